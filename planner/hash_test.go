package planner_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sfsync/sfsync/planner"
	"github.com/sfsync/sfsync/state"
)

// appliedHashCase has an update of a record block (a number the org renders
// as 9.12260031E8 is unchanged), an update of a CSV row (cells the org
// renders alike are not parsed while planning; 1500 is unchanged though
// the org writes 1500.0), and an adoption of a CSV row with nothing to
// change.
const appliedHashCase = `
-- org/Account.csv --
AccountNumber,Name,AnnualRevenue,NumberOfEmployees,Industry
ACME-001,Acme,912260031,10,Energy
ACME-DE,Acme Germany,1500,20,Energy
ACME-FR,Acme France,2000,30,Energy
-- state --
Account.acme {Account.AccountNumber=ACME-001} AccountNumber=ACME-001
Account.csv["ACME-DE"] {Account.AccountNumber=ACME-DE} AccountNumber=ACME-DE
-- main.sfsync.hcl --
object "Account" {
  key = ["AccountNumber"]

  record "acme" {
    AccountNumber     = "ACME-001"
    Name              = "Acme Corp"
    AnnualRevenue     = 912260031
    NumberOfEmployees = 10
  }
  records_csv = "accounts.csv"
}
-- accounts.csv --
AccountNumber,Name,AnnualRevenue,NumberOfEmployees,Industry
ACME-DE,Acme Deutschland,1500,20,Energy
ACME-FR,Acme France,2000,30,Energy
`

// TestAppliedHash checks that apply records in state the hash of every
// managed value of an updated and an adopted record — the changed ones
// and the unchanged ones the plan carries — as state.HashValues of the
// desired values.
func TestAppliedHash(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "case.txtar")
	if err := os.WriteFile(archive, []byte(appliedHashCase), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, archive)
	ctx := context.Background()
	st, err := state.Open(ctx, state.NewLocalBackend(filepath.Join(t.TempDir(), "sfsync.state.json")), state.Options{Operation: "apply", OrgID: f.c.OrgID()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	for _, r := range f.st.AllRecords() {
		if err := st.State().Bind(r); err != nil {
			t.Fatal(err)
		}
	}
	f.st = st.State()
	p, diags := f.build()
	if p == nil || diags != "" {
		t.Fatalf("no plan: %s", diags)
	}
	want := map[string]struct {
		action planner.Action
		values map[string]string
	}{
		"Account.acme": {planner.Update, map[string]string{
			"AccountNumber": "ACME-001", "Name": "Acme Corp", "AnnualRevenue": "912260031", "NumberOfEmployees": "10"}},
		`Account.csv["ACME-DE"]`: {planner.Update, map[string]string{
			"AccountNumber": "ACME-DE", "Name": "Acme Deutschland", "AnnualRevenue": "1500", "NumberOfEmployees": "20", "Industry": "Energy"}},
		`Account.csv["ACME-FR"]`: {planner.Adopt, map[string]string{
			"AccountNumber": "ACME-FR", "Name": "Acme France", "AnnualRevenue": "2000", "NumberOfEmployees": "30", "Industry": "Energy"}},
	}
	o := p.Object("Account")
	if o == nil || len(o.Changes) != len(want) {
		t.Fatalf("plan: %+v", p.Objects)
	}
	for _, ch := range o.Changes {
		w, ok := want[ch.Address]
		if !ok || ch.Action != w.action {
			t.Fatalf("%s: %v, want %v", ch.Address, ch.Action, w.action)
		}
		if len(ch.UnchangedValues) != ch.Unchanged || len(ch.Fields)+ch.Unchanged != len(w.values) {
			t.Errorf("%s: %d fields, %d unchanged, %d unchanged values; want %d values in all", ch.Address, len(ch.Fields), ch.Unchanged, len(ch.UnchangedValues), len(w.values))
		}
	}
	res, err := planner.Apply(ctx, f.c, st, p, planner.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated != 2 || res.Adopted != 1 || len(res.Failures) != 0 {
		t.Fatalf("apply: %d updated, %d adopted, failures %+v", res.Updated, res.Adopted, res.Failures)
	}
	for addr, w := range want {
		rec, ok := st.State().Record(addr)
		if !ok {
			t.Errorf("%s: not in state", addr)
			continue
		}
		if rec.Hash == "" || rec.Hash != state.HashValues(w.values) {
			t.Errorf("%s: state hash %q, want %q, the hash of %v", addr, rec.Hash, state.HashValues(w.values), w.values)
		}
	}
}
