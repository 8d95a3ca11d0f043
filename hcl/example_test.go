package hcl_test

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/sfsync/sfsync/hcl"
)

// The planner loads the configuration, walks the desired records, and
// evaluates deferred values once it knows the Ids they wait for.
func ExampleConfig_NewResolver() {
	cfg, diags := hcl.Load("../examples/quickstart", hcl.LoadOptions{})
	if diags.HasErrors() {
		fmt.Println(diags.Error())
		return
	}
	ids := map[hcl.Address]string{
		{Object: "Account", Label: "acme"}: "001000000000001AAA",
	}
	res := cfg.NewResolver(func(r hcl.Ref) cty.Value {
		if id, ok := ids[r.Record]; ok {
			return cty.StringVal(id)
		}
		return cty.UnknownVal(cty.String) // inserted by this apply: known after
	})
	for _, r := range cfg.Object("Account").Records[:2] {
		for i := range r.Fields {
			f := &r.Fields[i]
			switch {
			case f.Deferred != nil:
				v, _ := res.Eval(f.Deferred)
				ref, _ := f.Deferred.Ref()
				fmt.Printf("%s.%s = %s (from %s)\n", r.Addr, f.Name(), hcl.FormatValue(v), ref)
			case f.Name() == "Name":
				fmt.Printf("%s.%s = %s\n", r.Addr, f.Name(), f.FormatValue())
			}
		}
	}
	for _, src := range cfg.Object("Contact").CSV {
		for row, diags := range src.Rows() {
			if diags != nil {
				continue
			}
			fmt.Println(row.Addr, row.Cells[len(row.Cells)-1])
		}
	}
	// Output:
	// Account.acme.Name = "Acme Corporation"
	// Account.country["DE"].Name = "Acme Germany"
	// Account.country["DE"].ParentId = "001000000000001AAA" (from Account.acme.Id)
	// Contact.csv["max@acme.example"] ACME-DE
	// Contact.csv["marie@acme.example"] ACME-FR
	// Contact.csv["kenji@acme.example"] ACME-JP
}
