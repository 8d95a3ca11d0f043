package planner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSOQLLiteral(t *testing.T) {
	mk := func(ty FieldType, s string) Value {
		v, err := ParseCell(FieldSpec{Type: ty}, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		v    Value
		want string
	}{
		{mk(TypeText, "O'Brien \\ Co"), `'O\'Brien \\ Co'`},
		{mk(TypePicklist, "Hot"), `'Hot'`},
		{mk(TypeID, "001EM0000000001"), `'001EM0000000001YAA'`},
		{mk(TypeInteger, "1e3"), `1000`},
		{mk(TypeNumber, "9.12260031E8"), `912260031`},
		{mk(TypeBoolean, "TRUE"), `true`},
		{mk(TypeDate, "2024-01-15"), `2024-01-15`},
		{mk(TypeDateTime, "2024-01-15T12:00:00+02:00"), `2024-01-15T10:00:00.000Z`},
		{mk(TypeTime, "08:30:00"), `'08:30:00.000Z'`},
		{Null(TypeText), `null`},
	}
	for _, tt := range tests {
		if got := soqlLiteral(tt.v); got != tt.want {
			t.Errorf("soqlLiteral(%v) = %s, want %s", tt.v, got, tt.want)
		}
	}
}

func TestInChunks(t *testing.T) {
	var lits []string
	for i := 0; i < 3000; i++ {
		lits = append(lits, "'KEY-000000"+strings.Repeat("x", i%7)+"'")
	}
	chunks := inChunks("Key__c", lits)
	if len(chunks) < 2 {
		t.Fatalf("%d chunks for %d literals", len(chunks), len(lits))
	}
	var back []string
	for _, c := range chunks {
		if len(c) > maxWhereChars+len("Key__c IN ()") {
			t.Errorf("chunk of %d characters", len(c))
		}
		inner := strings.TrimSuffix(strings.TrimPrefix(c, "Key__c IN ("), ")")
		back = append(back, strings.Split(inner, ", ")...)
	}
	if diff := cmp.Diff(lits, back); diff != "" {
		t.Errorf("chunks lose or reorder literals:\n%s", diff)
	}
	if got := orChunks([]string{"A = 1 AND B = 2", "A = 3 AND B = 4"}); !cmp.Equal(got, []string{"(A = 1 AND B = 2) OR (A = 3 AND B = 4)"}) {
		t.Errorf("orChunks = %q", got)
	}
}
