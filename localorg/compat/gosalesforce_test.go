package compat_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	salesforce "github.com/k-capehart/go-salesforce/v3"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

type account struct {
	Id             string  `json:",omitempty"`
	Name           string  `json:",omitempty"`
	External_Id__c string  `json:",omitempty"`
	AnnualRevenue  float64 `json:",omitempty"`
}

func login(t *testing.T, org *localorgtest.Org) *salesforce.Salesforce {
	t.Helper()
	sf, err := salesforce.Init(salesforce.Creds{
		Domain:         org.URL,
		Username:       org.Username,
		Password:       org.Password,
		SecurityToken:  org.SecurityToken,
		ConsumerKey:    org.ClientID,
		ConsumerSecret: org.ClientSecret,
	})
	if err != nil {
		t.Fatalf("go-salesforce Init: %v", err)
	}
	return sf
}

func names(t *testing.T, sf *salesforce.Salesforce, soql string) []string {
	t.Helper()
	var accs []account
	if err := sf.Query(soql, &accs); err != nil {
		t.Fatalf("query %q: %v", soql, err)
	}
	var out []string
	for _, a := range accs {
		out = append(out, a.Name)
	}
	sort.Strings(out)
	return out
}

func TestGoSalesforceCollections(t *testing.T) {
	org := localorgtest.New(t)
	sf := login(t, org)

	res, err := sf.InsertCollection("Account", []map[string]any{
		{"Name": "Acme", "External_Id__c": "A-1", "AnnualRevenue": 1000},
		{"External_Id__c": "A-2"},
		{"Name": "Globex", "External_Id__c": "G-1"},
	}, 200)
	if err != nil {
		t.Fatalf("InsertCollection: %v", err)
	}
	if !res.HasSalesforceErrors || len(res.Results) != 3 || !res.Results[0].Success || res.Results[1].Success {
		t.Fatalf("insert results %+v", res)
	}
	if e := res.Results[1].Errors[0]; e.StatusCode != "REQUIRED_FIELD_MISSING" || e.Message != "Required fields are missing: [Name]" {
		t.Errorf("insert error %+v", e)
	}
	if got := names(t, sf, "SELECT Id, Name FROM Account"); strings.Join(got, ",") != "Acme,Globex" {
		t.Errorf("accounts %v", got)
	}
	var accs []account
	if err := sf.Query("SELECT Id, Name, AnnualRevenue FROM Account WHERE External_Id__c = 'A-1'", &accs); err != nil {
		t.Fatal(err)
	}
	if len(accs) != 1 || accs[0].AnnualRevenue != 1000 || accs[0].Id != res.Results[0].Id {
		t.Fatalf("read back %+v", accs)
	}

	upd, err := sf.UpdateCollection("Account", []account{{Id: accs[0].Id, Name: "Acme Corp"}}, 200)
	if err != nil || upd.HasSalesforceErrors {
		t.Fatalf("UpdateCollection: %v %+v", err, upd)
	}
	ups, err := sf.UpsertCollection("Account", "External_Id__c", []account{{External_Id__c: "g-1", Name: "Globex Inc"}, {External_Id__c: "I-1", Name: "Initech"}}, 200)
	if err != nil || ups.HasSalesforceErrors {
		t.Fatalf("UpsertCollection: %v %+v", err, ups)
	}
	if got := names(t, sf, "SELECT Name FROM Account"); strings.Join(got, ",") != "Acme Corp,Globex Inc,Initech" {
		t.Errorf("after update/upsert %v", got)
	}
	del, err := sf.DeleteCollection("Account", []account{{Id: accs[0].Id}}, 200)
	if err != nil || del.HasSalesforceErrors {
		t.Fatalf("DeleteCollection: %v %+v", err, del)
	}
	if got := names(t, sf, "SELECT Name FROM Account"); strings.Join(got, ",") != "Globex Inc,Initech" {
		t.Errorf("after delete %v", got)
	}

	one, err := sf.InsertOne("Account", account{Name: "Solo"})
	if err != nil || !one.Success {
		t.Fatalf("InsertOne: %v %+v", err, one)
	}
	if err := sf.UpdateOne("Account", account{Id: one.Id, Name: "Solo 2"}); err != nil {
		t.Fatalf("UpdateOne: %v", err)
	}
	if _, err := sf.UpsertOne("Account", "External_Id__c", account{External_Id__c: "S-1", Name: "Upserted"}); err != nil {
		t.Fatalf("UpsertOne: %v", err)
	}
	if err := sf.DeleteOne("Account", account{Id: one.Id}); err != nil {
		t.Fatalf("DeleteOne: %v", err)
	}
	if got := names(t, sf, "SELECT Name FROM Account"); strings.Join(got, ",") != "Globex Inc,Initech,Upserted" {
		t.Errorf("after single-record calls %v", got)
	}
	if _, err := sf.InsertOne("Account", account{External_Id__c: "X"}); err == nil || !strings.Contains(err.Error(), "REQUIRED_FIELD_MISSING") {
		t.Errorf("InsertOne without Name: %v", err)
	}

	// An expired session is refreshed by the client and the call retried.
	if err := org.Org.ExpireSessions(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := names(t, sf, "SELECT Name FROM Account"); len(got) != 3 {
		t.Errorf("after session expiry %v", got)
	}
}

func TestGoSalesforceBulk(t *testing.T) {
	org := localorgtest.New(t)
	sf := login(t, org)

	jobs, err := sf.InsertBulk("Account", []account{{Name: "B1", External_Id__c: "B-1"}, {Name: "B2", External_Id__c: "B-2"}, {External_Id__c: "B-3"}}, 10000, true)
	if err != nil {
		t.Fatalf("InsertBulk: %v", err)
	}
	res, err := sf.GetJobResults(jobs[0])
	if err != nil {
		t.Fatalf("GetJobResults: %v", err)
	}
	if res.State != "JobComplete" || res.NumberRecordsFailed != 1 || len(res.SuccessfulRecords) != 2 || len(res.FailedRecords) != 1 {
		t.Fatalf("insert job %+v", res)
	}
	if e := res.FailedRecords[0]["sf__Error"]; e != "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --" {
		t.Errorf("failed record error %q", e)
	}
	if id, _ := res.SuccessfulRecords[0]["sf__Id"].(string); !strings.HasPrefix(id, "001") || len(id) != 18 {
		t.Errorf("successful record %+v", res.SuccessfulRecords[0])
	}

	if _, err := sf.UpsertBulk("Account", "External_Id__c", []account{{External_Id__c: "b-1", Name: "B1 renamed"}, {External_Id__c: "B-9", Name: "B9"}}, 10000, true); err != nil {
		t.Fatalf("UpsertBulk: %v", err)
	}
	var accs []account
	if err := sf.Query("SELECT Id, Name FROM Account WHERE Name = 'B2'", &accs); err != nil || len(accs) != 1 {
		t.Fatalf("query B2: %v %+v", err, accs)
	}
	if _, err := sf.UpdateBulk("Account", []account{{Id: accs[0].Id, Name: "B2 updated"}}, 10000, true); err != nil {
		t.Fatalf("UpdateBulk: %v", err)
	}
	if _, err := sf.DeleteBulk("Account", []account{{Id: accs[0].Id}}, 10000, true); err != nil {
		t.Fatalf("DeleteBulk: %v", err)
	}
	if got := names(t, sf, "SELECT Name FROM Account"); strings.Join(got, ",") != "B1 renamed,B9" {
		t.Errorf("after bulk jobs %v", got)
	}

	// Bulk query export: paging by Sforce-Locator until "null".
	path := filepath.Join(t.TempDir(), "out.csv")
	if err := sf.QueryBulkExport("SELECT Name, External_Id__c FROM Account ORDER BY Name", path); err != nil {
		t.Fatalf("QueryBulkExport: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "Name" || rows[1][0] != "B1 renamed" || rows[2][1] != "B-9" {
		t.Errorf("export %v", rows)
	}
}
