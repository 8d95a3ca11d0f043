package state

import (
	"errors"
	"testing"
)

func TestMoveToOrg(t *testing.T) {
	s := New()
	if err := s.BindOrg("00D000000000001", "https://old.example"); err != nil {
		t.Fatal(err)
	}
	var mismatch *OrgMismatchError
	if err := s.BindOrg("00D000000000002", ""); !errors.As(err, &mismatch) {
		t.Fatalf("the guard let another org in: %v", err)
	}
	if err := s.MoveToOrg("not an id", ""); err == nil {
		t.Error("moved to an invalid org Id")
	}
	lineage := s.Lineage()
	if err := s.MoveToOrg("00D000000000002", "https://new.example"); err != nil {
		t.Fatal(err)
	}
	if s.OrgID() != "00D000000000002EAA" || s.InstanceURL() != "https://new.example" || s.Lineage() != lineage {
		t.Errorf("after the move: org %s at %s, lineage %s (was %s)", s.OrgID(), s.InstanceURL(), s.Lineage(), lineage)
	}
	if err := s.BindOrg("00D000000000002EAA", ""); err != nil {
		t.Errorf("the new org is refused: %v", err)
	}
	if err := s.BindOrg("00D000000000001", ""); !errors.As(err, &mismatch) {
		t.Errorf("the old org is still accepted: %v", err)
	}
}
