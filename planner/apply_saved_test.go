package planner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/internal/sfid"
)

func TestCheckSaved(t *testing.T) {
	e := newApplyEnv(t)
	ctx := context.Background()
	res, _ := e.apply(t, plan(
		insert("Account.upd", 0, "AccountNumber", set("AccountNumber", txt("U")), set("Name", txt("Upd"))),
		insert("Account.del", 0, "AccountNumber", set("AccountNumber", txt("D")), set("Name", txt("Del"))),
	), ApplyOptions{})
	if res.Partial() {
		t.Fatal(res.Failures)
	}
	// A saved plan as plan -out would write it now.
	saved := func(t *testing.T, key string) *Plan {
		st := e.open(t)
		defer st.Close(ctx)
		s := st.State()
		stamps := map[string]Change{}
		for _, r := range e.query(t, "SELECT Id, AccountNumber, SystemModstamp FROM Account") {
			ts, err := bulk.ParseDateTime(r["SystemModstamp"])
			if err != nil {
				t.Fatal(err)
			}
			stamps[r["AccountNumber"]] = Change{ID: sfid.To18(r["Id"]), SystemModstamp: ts}
		}
		p := plan(
			insert("Account.new", 0, "AccountNumber", set("AccountNumber", txt(key)), set("Name", txt("New"))),
			Change{Action: Update, Address: "Account.upd", Object: "Account", ID: stamps["U"].ID, SystemModstamp: stamps["U"].SystemModstamp,
				Fields: []FieldChange{chg("Name", txt("Upd"), txt("Updated"))}},
			Change{Action: Delete, Address: "Account.del", Object: "Account", ID: stamps["D"].ID, SystemModstamp: stamps["D"].SystemModstamp},
		)
		p.OrgID, p.Lineage, p.Serial = e.c.OrgID(), s.Lineage(), s.Serial()
		p.Inputs = []Input{{Name: "main.sfsync.hcl", Hash: "sha256:aa"}}
		// Through the file format, as apply FILE reads it.
		data, err := EncodeSaved(p)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeSaved(data)
		if err != nil {
			t.Fatal(err)
		}
		return back
	}
	inputs := []Input{{Name: "main.sfsync.hcl", Hash: "sha256:aa"}}
	check := func(t *testing.T, p *Plan, inputs []Input) []string {
		t.Helper()
		st := e.open(t)
		defer st.Close(ctx)
		err := CheckSaved(ctx, e.c, st.State(), p, inputs)
		if err == nil {
			return nil
		}
		var se *StalePlanError
		if !errors.As(err, &se) {
			t.Fatalf("CheckSaved: %v", err)
		}
		return se.Moved
	}
	load := func(t *testing.T, op, csv string) {
		t.Helper()
		if _, err := e.org.Instance.Client().Load(ctx, "Account", op, "", []byte(csv)); err != nil {
			t.Fatal(err)
		}
	}

	p := saved(t, "n-0")
	if moved := check(t, p, inputs); moved != nil {
		t.Fatalf("a fresh plan was refused: %v", moved)
	}
	if moved := check(t, p, []Input{{Name: "main.sfsync.hcl", Hash: "sha256:bb"}, {Name: "var.x", Hash: "sha256:cc"}}); !cmp.Equal(moved,
		[]string{"main.sfsync.hcl changed", "the value of var.x is new"}) {
		t.Errorf("inputs moved: %v", moved)
	}
	other := *p
	other.OrgID = "00D000000000001AAA"
	if moved := check(t, &other, inputs); len(moved) != 1 || !strings.Contains(moved[0], "made for org 00D000000000001AAA") {
		t.Errorf("other org: %v", moved)
	}

	t.Run("touched record changed", func(t *testing.T) {
		p := saved(t, "n-1")
		upd := p.Object("Account").Changes[2] // Account.upd
		load(t, "update", "Id,Description\n"+upd.ID+",touched\n")
		moved := check(t, p, inputs)
		if len(moved) != 1 || !strings.HasPrefix(moved[0], "Account.upd ("+upd.ID+") was changed in the org since the plan was made") {
			t.Errorf("moved: %v", moved)
		}
	})
	t.Run("insert key appeared", func(t *testing.T) {
		p := saved(t, "n-2")
		load(t, "insert", "AccountNumber,Name\nN-2,Someone else\n") // keys compare case-insensitively
		moved := check(t, p, inputs)
		if len(moved) != 1 || !strings.HasPrefix(moved[0], `Account.new, which the plan inserts, now exists in the org (`) ||
			!strings.HasSuffix(moved[0], `AccountNumber = "n-2")`) {
			t.Errorf("moved: %v", moved)
		}
	})
	t.Run("serial bumped", func(t *testing.T) {
		p := saved(t, "n-3")
		st := e.open(t)
		if err := st.Persist(ctx); err != nil {
			t.Fatal(err)
		}
		st.Close(ctx)
		moved := check(t, p, inputs)
		if len(moved) != 1 || !strings.HasPrefix(moved[0], "another run wrote the state since the plan was made") {
			t.Errorf("moved: %v", moved)
		}
	})
	t.Run("record gone", func(t *testing.T) {
		p := saved(t, "n-4")
		del := p.Object("Account").Changes[0] // Account.del
		load(t, "delete", "Id\n"+del.ID+"\n")
		moved := check(t, p, inputs)
		if want := []string{"Account.del (" + del.ID + ") no longer exists in the org"}; !cmp.Equal(moved, want) {
			t.Errorf("moved: %v, want %v", moved, want)
		}
	})
	err := (&StalePlanError{Moved: []string{"a", "b"}}).Error()
	if want := "the saved plan no longer matches what it was made from, so it was not applied:\n  - a\n  - b\nMake a new plan (sfsync plan -out=FILE) and apply that."; err != want {
		t.Errorf("message:\n%s\nwant:\n%s", err, want)
	}
}

// TestCheckSavedManyInserts checks the keys of a plan with more inserts
// than are looked up by IN lists: the object's keys are scanned instead.
func TestCheckSavedManyInserts(t *testing.T) {
	e := newApplyEnv(t)
	ctx := context.Background()
	if _, err := e.org.Instance.Client().Load(ctx, "Account", "insert", "", []byte("AccountNumber,Name\nK-1999,Taken\nother,Other\n")); err != nil {
		t.Fatal(err)
	}
	var changes []Change
	for i := range keyScanThreshold + 1 {
		n := fmt.Sprintf("k-%d", i)
		changes = append(changes, insert("Account.a"+n, 0, "AccountNumber", set("AccountNumber", txt(n)), set("Name", txt(n))))
	}
	p := plan(changes...)
	p.OrgID = e.c.OrgID()
	st := e.open(t)
	err := CheckSaved(ctx, e.c, st.State(), p, nil)
	var se *StalePlanError
	if !errors.As(err, &se) || len(se.Moved) != 1 || !strings.HasPrefix(se.Moved[0], "Account.ak-1999, which the plan inserts, now exists in the org") {
		t.Errorf("CheckSaved: %v", err)
	}
}
