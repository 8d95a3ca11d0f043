package sfid

import "testing"

// Vectors from ../shared/reference/salesforce-api.md §5.2: Ids recorded from
// real orgs and documentation samples, 15-character form and the 18-character
// form Salesforce returned.
var recorded = []struct{ id15, id18 string }{
	{"0014S000007Nxml", "0014S000007NxmlQAC"},
	{"0054S000000JFmh", "0054S000000JFmhQAG"},
	{"00D4S000000oz4e", "00D4S000000oz4eUAA"},
	{"00e4S00000127lg", "00e4S00000127lgQAA"},
	{"012000000000000", "012000000000000AAA"},
	{"003ak00000luKU1", "003ak00000luKU1AAM"},
	{"001ak00000OQTie", "001ak00000OQTieAAH"},
	{"005ak000005hvjJ", "005ak000005hvjJAAQ"},
	{"750ak000009BWKL", "750ak000009BWKLAA4"},
	{"0018c00002FInbo", "0018c00002FInboAAD"},
	{"750x0000000005L", "750x0000000005LAAQ"},
	{"751x00000000079", "751x00000000079AAA"},
	{"00Di0000000icUB", "00Di0000000icUBEAY"},
	{"750R0000000zlh9", "750R0000000zlh9IAA"},
	{"7503z00000WDQ4S", "7503z00000WDQ4SAAX"},
}

func TestTo18Recorded(t *testing.T) {
	for _, v := range recorded {
		if got := To18(v.id15); got != v.id18 {
			t.Errorf("To18(%q) = %q, want %q", v.id15, got, v.id18)
		}
		if got := To18(v.id18); got != v.id18 {
			t.Errorf("To18(%q) = %q, want it unchanged", v.id18, got)
		}
		if !Valid(v.id15) || !Valid(v.id18) {
			t.Errorf("Valid(%q / %q) = false", v.id15, v.id18)
		}
		if !Equal(v.id15, v.id18) {
			t.Errorf("Equal(%q, %q) = false", v.id15, v.id18)
		}
	}
}

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"0014S000007NxmlqAc", true},  // suffix case does not matter
		{"0014S000007NxmlQAD", false}, // wrong checksum
		{"0014S000007Nxm!", false},
		{"0014S000007Nxm", false},
		{"", false},
		{"001RM000003oLrB000", false}, // recorded MALFORMED_ID example
	} {
		if got := Valid(tc.id); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestEqualIsCaseSensitiveOn15(t *testing.T) {
	if Equal("0014S000007Nxml", "0014S000007NXML") {
		t.Error("15-character Ids differing in case must be different records")
	}
	if Prefix("0014S000007NxmlQAC") != "001" {
		t.Error("Prefix")
	}
}

func TestCanonical(t *testing.T) {
	for _, id := range []string{"001EM0000000001", "001EM0000000001YAA", "001EM0000000001yaa", "a0Bxx0000001AbC"} {
		k, ok := Canonical(id)
		if !ok || string(k[:]) != To18(id) {
			t.Errorf("Canonical(%q) = %q, %v; want %q", id, k[:], ok, To18(id))
		}
		if kb, ok := Canonical([]byte(id)); !ok || kb != k {
			t.Errorf("Canonical([]byte(%q)) = %q, %v; want %q", id, kb[:], ok, k[:])
		}
	}
	for _, id := range []string{"001EM0000000001YAB", "001EM000000000", "001EM0000000-01", "001EM0000000001YA", ""} {
		if _, ok := Canonical(id); ok {
			t.Errorf("Canonical(%q) accepted it", id)
		}
		if Valid(id) {
			t.Errorf("Valid(%q) accepted it", id)
		}
	}
}
