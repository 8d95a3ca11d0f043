package sfvalue

import "testing"

func BenchmarkParseDateTime(b *testing.B) {
	for b.Loop() {
		if _, err := ParseDateTime("2024-01-15T10:00:00.000Z"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDecimal(b *testing.B) {
	for b.Loop() {
		if _, err := ParseDecimal("9.12260031E8"); err != nil {
			b.Fatal(err)
		}
	}
}
