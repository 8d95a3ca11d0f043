package generate

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

func TestSanitize(t *testing.T) {
	for _, tc := range []struct{ in, prefix, want string }{
		{"ACME-001", "account", "acme_001"},
		{"jane.doe+test@acme.example", "contact", "jane_doe_test_acme_example"},
		{"  --Ölfeld GmbH--  ", "account", "lfeld_gmbh"},
		{"2024 Plan", "campaign", "campaign_2024_plan"},
		{"csv", "account", "account_csv"},
		{"", "product2", "product2"},
		{"€€€", "", "record"},
		{"42", "2fa__c", "fa__c_42"},
		{strings.Repeat("x", 100), "a", strings.Repeat("x", maxLabel)},
		{strings.Repeat("x", 63) + "-y", "a", strings.Repeat("x", 63)},
	} {
		if got := sanitize(tc.in, tc.prefix); got != tc.want {
			t.Errorf("sanitize(%q, %q) = %q, want %q", tc.in, tc.prefix, got, tc.want)
		}
	}
}

// newOrg starts a local org holding the given Account rows (CSV with a
// header) and returns a client for it.
func newOrg(t *testing.T, accounts string) *bulk.Client {
	t.Helper()
	org := localorgtest.New(t)
	c, err := bulk.New(context.Background(), bulk.Config{Auth: bulk.AccessToken{InstanceURL: org.URL, Token: org.AccessToken}})
	if err != nil {
		t.Fatal(err)
	}
	insert(t, c, "Account", accounts)
	return c
}

// insert inserts rows (CSV with a header) into object.
func insert(t *testing.T, c *bulk.Client, object, rows string) {
	t.Helper()
	ctx := context.Background()
	j, err := c.CreateIngestJob2(ctx, bulk.IngestJobSpec2{Object: object, Operation: bulk.Insert})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UploadJobData2(ctx, j.ID, func() (io.Reader, error) { return strings.NewReader(rows), nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetJobState2(ctx, false, j.ID, "UploadComplete"); err != nil {
		t.Fatal(err)
	}
	info, err := c.WaitJob2(ctx, false, j.ID, nil)
	if err != nil || info.NumberRecordsFailed != 0 {
		t.Fatalf("insert %s: %v, %d failed", object, err, info.NumberRecordsFailed)
	}
}

func TestGenerateLabelsKeysAndFields(t *testing.T) {
	c := newOrg(t, "External_Id__c,AccountNumber,Name,Site\nX-1,A-1,First,\nX-2,A_1,Second,\nX-3,1,Third,HQ\n")
	ctx := context.Background()

	// No -key: the external Id field every record has. Keys that make the
	// same label get numbered suffixes, in key order.
	res, err := Generate(ctx, Options{Org: c, Objects: []Spec{{Object: "Account", Fields: []string{"Name"}}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `object "Account" {
  key = ["External_Id__c"]

  record "x_1" {
    External_Id__c = "X-1"
    Name           = "First"
  }

  record "x_2" {
    External_Id__c = "X-2"
    Name           = "Second"
  }

  record "x_3" {
    External_Id__c = "X-3"
    Name           = "Third"
  }
}
`
	if string(res.HCL) != want {
		t.Errorf("default key:\n%s\nwant:\n%s", res.HCL, want)
	}

	res, err = Generate(ctx, Options{Org: c, Objects: []Spec{{Object: "Account", Key: []string{"AccountNumber"}, Fields: []string{"Site"}}},
		Header: []string{"one", "two"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"# one\n# two\n\n", `record "a_1" {`, `record "a_1_2" {`, `record "account_1" {`, `Site          = "HQ"`} {
		if !strings.Contains(string(res.HCL), s) {
			t.Errorf("missing %q in:\n%s", s, res.HCL)
		}
	}
	if got := strings.Join(res.Addresses, " "); got != "Account.a_1 Account.a_1_2 Account.account_1" {
		t.Errorf("addresses %s", got)
	}
	// A record whose key refers to a configured record is written as a
	// reference to its address.
	res, err = Generate(ctx, Options{Org: c, Objects: []Spec{{Object: "Account", Key: []string{"AccountNumber"}, Fields: []string{"Name", "OwnerId"}}},
		Known: func(id string) (hcl.Address, bool) {
			return hcl.Address{Object: "User", Label: "admin", Key: "x", Keyed: true}, strings.HasPrefix(id, "005")
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.HCL), `OwnerId       = User.admin["x"].Id`) {
		t.Errorf("known reference:\n%s", res.HCL)
	}

	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Object: "Account", Key: []string{"Site"}}, ""},
		{Spec{Object: "Account", Key: []string{"Nope"}}, "-key Nope: Account has no field Nope"},
		{Spec{Object: "Account", Key: []string{"CreatedDate"}}, "cannot be written"},
		{Spec{Object: "Account", Fields: []string{"Name"}, Where: "External_Id__c = 'X-1' OR Site = 'HQ'"}, ""},
		{Spec{Object: "Account", Key: []string{"Name"}, Where: "Bogus__c = 1"}, "Bogus__c"},
	} {
		res, err := Generate(ctx, Options{Org: c, Objects: []Spec{tc.spec}})
		switch {
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: %v, want %q", tc.spec, err, tc.want)
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc.spec, err)
		case tc.want == "" && tc.spec.Key != nil && tc.spec.Key[0] == "Site" && len(res.Notes) != 1:
			t.Errorf("records without a key value: notes %q", res.Notes)
		}
	}
}

func TestGenerateDuplicateKeys(t *testing.T) {
	c := newOrg(t, "AccountNumber,Name\nA-1,Acme\nA-2,ACME\n")
	// Text keys compare without regard to case, as the planner matches them.
	_, err := Generate(context.Background(), Options{Org: c, Objects: []Spec{{Object: "Account", Key: []string{"Name"}}}})
	if err == nil || !strings.Contains(err.Error(), "have the same key (Name = ACME)") {
		t.Errorf("duplicate keys: %v", err)
	}
	res, err := Generate(context.Background(), Options{Org: c, Objects: []Spec{{Object: "Account", Key: []string{"Name", "AccountNumber"}, Fields: []string{"Name"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Addresses, " "); got != "Account.acme_a_1 Account.acme_a_2" {
		t.Errorf("composite key labels: %s", got)
	}
}

// TestGenerateStandardPriceBook: the standard price book is never a
// generated record, even when every Pricebook2 is asked for; entries
// refer to it through the data lookup.
func TestGenerateStandardPriceBook(t *testing.T) {
	c := newOrg(t, "AccountNumber,Name\nA-1,Acme\n")
	insert(t, c, "Product2", "ProductCode,Name\nG-1,Gadget\n")
	insert(t, c, "Pricebook2", "Name,IsActive\nPartner Prices,true\n")
	ctx := context.Background()
	var std, partner, product string
	for _, q := range []struct {
		soql string
		dst  *string
	}{
		{"SELECT Id FROM Pricebook2 WHERE IsStandard = true", &std},
		{"SELECT Id FROM Pricebook2 WHERE IsStandard = false", &partner},
		{"SELECT Id FROM Product2", &product},
	} {
		rows := c.Query(ctx, q.soql, bulk.QueryOptions{})
		for rows.Next() {
			*q.dst, _ = rows.Row().Get("Id")
		}
		if err := rows.Err(); err != nil || *q.dst == "" {
			t.Fatalf("%s: %q, %v", q.soql, *q.dst, err)
		}
		rows.Close()
	}
	insert(t, c, "PricebookEntry", "Pricebook2Id,Product2Id,UnitPrice,IsActive\n"+std+","+product+",10,true\n"+partner+","+product+",9,true\n")

	specs := []Spec{{Object: "Product2", Key: []string{"ProductCode"}}, {Object: "Pricebook2", Key: []string{"Name"}}, {Object: "PricebookEntry"}}
	// Even a configuration that binds the standard price book to a record
	// gets the data lookup.
	known := func(id string) (hcl.Address, bool) {
		return hcl.Address{Object: "Pricebook2", Label: "std"}, strings.EqualFold(id, std)
	}
	res, err := Generate(ctx, Options{Org: c, Objects: specs, Known: known})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.HCL)
	for _, want := range []string{
		"data \"Pricebook2\" \"standard\" {\n  where = \"IsStandard = true\"\n}",
		"record \"partner_prices\" {",
		"Pricebook2Id     = data.Pricebook2.standard.Id",
		"Pricebook2Id     = Pricebook2.partner_prices.Id",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	for _, bad := range []string{"standard_price_book", "Pricebook2.std"} {
		if strings.Contains(out, bad) {
			t.Errorf("%q in:\n%s", bad, out)
		}
	}
	if got := strings.Join(res.Addresses, " "); strings.Contains(got, "Pricebook2.standard") {
		t.Errorf("addresses %s", got)
	}
	if n := strings.Join(res.Notes, "\n"); !strings.Contains(n, "Pricebook2: the standard price book is left out") {
		t.Errorf("notes:\n%s", n)
	}
	// Left out by -where, it needs no note.
	specs[1].Where = "IsStandard = false"
	res, err = Generate(ctx, Options{Org: c, Objects: specs})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notes) != 0 {
		t.Errorf("notes with -where: %q", res.Notes)
	}
}

// TestGenerateErrors: what the user got wrong is said in their terms, not
// as the org's answer to a request they never made.
func TestGenerateErrors(t *testing.T) {
	c := newOrg(t, "AccountNumber,Name\nA-1,Acme\n")
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Object: "Nope__c"}, "object Nope__c does not exist in the org"},
		{Spec{Object: "Acount"}, "object Acount does not exist in the org; did you mean Account?"},
		{Spec{Object: "Account", Key: []string{"AccountNumbr"}}, "-key AccountNumbr: Account has no field AccountNumbr; did you mean AccountNumber?"},
		{Spec{Object: "Account", Key: []string{"External_Id"}}, "-key External_Id: Account has no field External_Id; did you mean External_Id__c?"},
		{Spec{Object: "Account", Key: []string{"AccountNumber"}, Where: "Name = = 'x'"},
			"-where of -object Account is not a condition the org accepts: MALFORMED_QUERY: unexpected token: '='\n" +
				"  -where Name = = 'x'\n" +
				"                ^"},
		{Spec{Object: "Account", Key: []string{"AccountNumber"}, Where: "Nmae = 'x'"},
			"-where of -object Account is not a condition the org accepts: INVALID_FIELD: No such column 'Nmae' on entity 'Account'."},
	} {
		_, err := Generate(context.Background(), Options{Org: c, Objects: []Spec{tc.spec}})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%+v:\n%v\nwant:\n%s", tc.spec, err, tc.want)
			continue
		}
		for _, bad := range []string{"Column:", "SELECT", "GET /", "POST /"} {
			if strings.Contains(err.Error(), bad) {
				t.Errorf("%+v: %q in %v", tc.spec, bad, err)
			}
		}
	}
}

func TestSOQLError(t *testing.T) {
	located := "External_Id__c FROM Account WHERE Name = = 'x'\n                                         ^\nERROR at Row:1:Column:584\nunexpected token: '='"
	for _, tc := range []struct {
		err     error
		msg     string
		col     int
		notSOQL bool
	}{
		{err: fmt.Errorf("query: %w", &bulk.APIError{StatusCode: 400, Code: "MALFORMED_QUERY", Message: located}), msg: "MALFORMED_QUERY: unexpected token: '='", col: 584},
		{err: &bulk.APIError{StatusCode: 400, Code: "INVALID_FIELD", Message: "No such column 'X'"}, msg: "INVALID_FIELD: No such column 'X'"},
		{err: &bulk.JobError{JobID: "750x", State: "Failed", Code: "InvalidBatch", Message: "Failed to process query: MALFORMED_QUERY: " + located}, msg: "InvalidBatch: unexpected token: '='", col: 584},
		{err: &bulk.APIError{StatusCode: 500, Code: "UNKNOWN_EXCEPTION", Message: "boom"}, notSOQL: true},
		{err: context.Canceled, notSOQL: true},
	} {
		msg, col, ok := soqlError(tc.err)
		if ok == tc.notSOQL || msg != tc.msg || col != tc.col {
			t.Errorf("soqlError(%v) = %q, %d, %v; want %q, %d", tc.err, msg, col, ok, tc.msg, tc.col)
		}
	}
}
