package localorg_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/internal/conformance"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

func TestCollectionsCreateUpdateDelete(t *testing.T) {
	org := localorgtest.New(t)
	p := v + "/composite/sobjects"
	// The request body real jsforce sent.
	r := send(t, org, "POST", p, conformance.Read("rest/composite-sobjects-post-request-v42.json"))
	wantStatus(t, r, 200)
	var res []struct {
		ID      string
		Success bool
		Errors  []any
	}
	json.Unmarshal(r.Body, &res)
	if len(res) != 1 || !res[0].Success || !strings.HasPrefix(res[0].ID, "001EM") || res[0].Errors == nil {
		t.Fatalf("create: %s", r.Body)
	}
	if got, want := keysOf(t, r.Body), keysOf(t, conformance.Read("rest/composite-sobjects-post-response-v42.json")); !cmp.Equal(got, want) {
		t.Errorf("create keys %v, want %v", got, want)
	}
	id := res[0].ID

	// allOrNone: the good record is rolled back (recorded answer).
	r = send(t, org, "POST", p, `{"allOrNone":true,"records":[{"attributes":{"type":"Contact"},"FirstName":"No"},{"attributes":{"type":"Contact"},"LastName":"Fine"}]}`)
	if got, want := decodeAny(t, r.Body), decodeAny(t, conformance.Read("rest/composite-sobjects-create-allornone-rolled-back-v60.json")); !cmp.Equal(got, want) {
		t.Errorf("allOrNone create:\n%s", cmp.Diff(want, got))
	}
	if n := send(t, org, "GET", v+"/query?q="+url.QueryEscape("SELECT Id FROM Contact"), nil); !strings.Contains(n.String(), `"totalSize":0`) {
		t.Errorf("rolled-back contact exists: %s", n.Body)
	}
	// Update without ids (recorded), unknown field with allOrNone (recorded).
	r = send(t, org, "PATCH", p, `{"allOrNone":false,"records":[{"attributes":{"type":"Contact"},"LastName":"a"},{"attributes":{"type":"Contact"},"LastName":"b"}]}`)
	if got, want := decodeAny(t, r.Body), decodeAny(t, conformance.Read("rest/composite-sobjects-update-missing-id-v60.json")); !cmp.Equal(got, want) {
		t.Errorf("update without ids:\n%s", cmp.Diff(want, got))
	}
	r = send(t, org, "PATCH", p, `{"allOrNone":true,"records":[{"attributes":{"type":"Account"},"id":"`+id+`","Name":"Jones"},{"attributes":{"type":"Contact"},"id":"003EM0000000001","unknownField_LastName":"x"}]}`)
	got := decodeAny(t, r.Body)
	want := decodeAny(t, conformance.Read("rest/composite-sobjects-update-allornone-invalid-field-v60.json"))
	// The recording is of two Contacts; the message names the object.
	want.([]any)[1].(map[string]any)["errors"].([]any)[0].(map[string]any)["message"] = "No such column 'unknownField_LastName' on sobject of type Contact"
	if !cmp.Equal(got, want) {
		t.Errorf("update with unknown field:\n%s", cmp.Diff(want, got))
	}
	r = send(t, org, "PATCH", p, `{"allOrNone":false,"records":[{"attributes":{"type":"Account"},"id":"`+id+`","Name":"Jones","Site":"https://www.grouparoo.com"}]}`)
	if !strings.Contains(r.String(), `"success":true`) {
		t.Errorf("update: %s", r.Body)
	}
	r = send(t, org, "GET", v+"/sobjects/Account/"+id, nil)
	wantStatus(t, r, 200)
	rec := decodeAny(t, r.Body).(map[string]any)
	if rec["Name"] != "Jones" || rec["Site"] != "https://www.grouparoo.com" || rec["IsDeleted"] != false || rec["BillingAddress"] != nil {
		t.Errorf("record: %s", r.Body)
	}
	recorded := keysOf(t, conformance.Read("rest/sobject-get-account-v42.json"))
	gotKeys := keysOf(t, r.Body)
	for _, k := range []string{"attributes", "attributes.type", "attributes.url", "Id", "IsDeleted", "Name", "OwnerId", "CreatedDate", "SystemModstamp"} {
		if !contains(recorded, k) || !contains(gotKeys, k) {
			t.Errorf("record key %s: recorded %v, got %v", k, contains(recorded, k), contains(gotKeys, k))
		}
	}
	if cd, _ := rec["CreatedDate"].(string); !strings.HasSuffix(cd, "+0000") || len(cd) != 28 {
		t.Errorf("CreatedDate %q", cd)
	}

	// Upsert by external id through collections.
	r = send(t, org, "PATCH", p+"/Account/External_Id__c", `{"allOrNone":false,"records":[{"attributes":{"type":"Account"},"External_Id__c":"X1","Name":"New"},{"attributes":{"type":"Account"},"External_Id__c":"x1","Name":"Again"}]}`)
	var ups []struct {
		ID      string
		Success bool
		Created bool
	}
	json.Unmarshal(r.Body, &ups)
	if len(ups) != 2 || !ups[0].Created || ups[1].Created || ups[0].ID != ups[1].ID {
		t.Errorf("upsert: %s", r.Body)
	}

	r = send(t, org, "DELETE", p+"?ids="+id+","+ups[0].ID+"&allOrNone=false", nil)
	if got, want := keysOf(t, r.Body), keysOf(t, conformance.Read("rest/composite-sobjects-delete-response-v42.json")); !cmp.Equal(got, want) || strings.Contains(r.String(), "false") {
		t.Errorf("delete: %s", r.Body)
	}
	r = send(t, org, "DELETE", v+"/sobjects/Account/"+id, nil)
	if want := string(conformance.Read("rest/error-entity-is-deleted-compact-v49.json")); r.Status != 404 || r.String() != want {
		t.Errorf("delete again: %d %s, want %s", r.Status, r.Body, want)
	}
	wantStatus(t, send(t, org, "GET", v+"/sobjects/Account/"+id, nil), 404)
	r = send(t, org, "POST", p, `{"records":[]}`)
	if want := `[{"message":"At least 1 record is required","errorCode":"REQUIRED_FIELD_MISSING"}]`; r.Status != 400 || r.String() != want {
		t.Errorf("empty records: %d %s", r.Status, r.Body)
	}
}

func TestSingleRecordREST(t *testing.T) {
	org := localorgtest.New(t)
	r := send(t, org, "POST", v+"/sobjects/Account", `{"Name":"Solo","NumberOfEmployees":5}`)
	wantStatus(t, r, 201)
	if got, want := keysOf(t, r.Body), keysOf(t, conformance.Read("rest/sobject-create-ok-v59.json")); !cmp.Equal(got, want) {
		t.Errorf("create keys %v", got)
	}
	var created struct{ ID string }
	json.Unmarshal(r.Body, &created)
	wantStatus(t, send(t, org, "PATCH", v+"/sobjects/Account/"+created.ID, `{"Phone":"123"}`), 204)
	r = send(t, org, "PATCH", v+"/sobjects/Account/"+created.ID, `{"MasterRecordId":null}`)
	if r.Status != 400 || !strings.Contains(r.String(), `"errorCode":"INVALID_FIELD_FOR_INSERT_UPDATE","fields":["MasterRecordId"]`) {
		t.Errorf("read-only field: %d %s", r.Status, r.Body)
	}
	r = send(t, org, "POST", v+"/sobjects/Account", `{"NumberOfEmployees":5}`)
	if r.Status != 400 || r.String() != `[{"message":"Required fields are missing: [Name]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Name"]}]` {
		t.Errorf("missing name: %d %s", r.Status, r.Body)
	}
	r = send(t, org, "POST", v+"/sobjects/Account", `{"Name":"x","AccountNumer":"1"}`)
	if want := `[{"message":"No such column 'AccountNumer' on sobject of type Account","errorCode":"INVALID_FIELD"}]`; r.Status != 400 || r.String() != want {
		t.Errorf("unknown field: %d %s", r.Status, r.Body)
	}
	r = send(t, org, "POST", v+"/sobjects/Account", `{"Name":`)
	if r.Status != 400 || !strings.Contains(r.String(), "JSON_PARSER_ERROR") {
		t.Errorf("malformed JSON: %d %s", r.Status, r.Body)
	}
	r = send(t, org, "PATCH", v+"/sobjects/Account/External_Id__c/E-9", `{"Name":"By key"}`)
	if r.Status != 201 || !strings.Contains(r.String(), `"created":true`) {
		t.Errorf("upsert create: %d %s", r.Status, r.Body)
	}
	r = send(t, org, "PATCH", v+"/sobjects/Account/External_Id__c/e-9", `{"Name":"By key 2"}`)
	if r.Status != 200 || !strings.Contains(r.String(), `"created":false`) {
		t.Errorf("upsert update: %d %s", r.Status, r.Body)
	}
	wantStatus(t, send(t, org, "GET", v+"/sobjects/Account/External_Id__c/E-9", nil), 200)
	wantStatus(t, send(t, org, "GET", v+"/sobjects/Nope__c/describe", nil), 404)
}

func TestRESTQuery(t *testing.T) {
	org := localorgtest.New(t)
	r := send(t, org, "POST", v+"/sobjects/Account", `{"Name":"Parent Co","AccountNumber":"additivebrian@demo.com"}`)
	var acc struct{ ID string }
	json.Unmarshal(r.Body, &acc)
	send(t, org, "POST", v+"/sobjects/Contact", `{"LastName":"Kid","AccountId":"`+acc.ID+`"}`)
	send(t, org, "POST", v+"/sobjects/Contact", `{"LastName":"Orphan"}`)

	q := func(soql string, headers ...string) reply {
		return send(t, org, "GET", v+"/query?q="+url.QueryEscape(soql), nil, headers...)
	}
	r = q("SELECT Id FROM Account WHERE AccountNumber = 'additivebrian@demo.com'")
	want := strings.ReplaceAll(strings.ReplaceAll(string(conformance.Read("rest/query-one-row-v42.json")), "0014S000007NxmlQAC", acc.ID), "v42.0", "v60.0")
	if r.String() != want {
		t.Errorf("query:\n%s\nwant\n%s", r.Body, want)
	}
	r = q("SELECT Id FROM Account WHERE AccountNumber = 'nobody'")
	if r.String() != string(conformance.Read("rest/query-empty-v42.json")) {
		t.Errorf("empty query: %s", r.Body)
	}
	r = q("SELECT LastName, Account.Name FROM Contact ORDER BY LastName")
	if !strings.Contains(r.String(), `"LastName":"Kid","Account":{"attributes":{"type":"Account","url":"/services/data/v60.0/sobjects/Account/`+acc.ID+`"},"Name":"Parent Co"}}`) ||
		!strings.Contains(r.String(), `"LastName":"Orphan","Account":null}`) {
		t.Errorf("parent fields: %s", r.Body)
	}
	r = q("SELECT Id,Name,BillingCity,IsDeleted FROM Accout")
	if got, want := decodeAny(t, r.Body), decodeAny(t, conformance.Read("rest/error-invalid-type-soql-v59.json")); r.Status != 400 || !cmp.Equal(got, want) {
		t.Errorf("unknown object:\n%s", cmp.Diff(want, got))
	}
	r = q("SELECT COUNT() FROM Contact")
	if r.String() != `{"totalSize":2,"done":true,"records":[]}` {
		t.Errorf("count: %s", r.Body)
	}
	// Paging through nextRecordsUrl.
	var b strings.Builder
	b.WriteString(`{"records":[`)
	for i := 0; i < 200; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"attributes":{"type":"Lead"},"LastName":"L","Company":"C"}`)
	}
	b.WriteString("]}")
	for i := 0; i < 2; i++ {
		wantStatus(t, send(t, org, "POST", v+"/composite/sobjects", b.String()), 200)
	}
	seen := 0
	r = q("SELECT Id FROM Lead", "Sforce-Query-Options: batchSize=250")
	for pages := 1; ; pages++ {
		var page struct {
			TotalSize      int
			Done           bool
			NextRecordsURL string
			Records        []any
		}
		json.Unmarshal(r.Body, &page)
		seen += len(page.Records)
		if page.TotalSize != 400 {
			t.Fatalf("totalSize %d", page.TotalSize)
		}
		if page.Done {
			if pages != 2 || page.NextRecordsURL != "" {
				t.Errorf("pages %d next %q", pages, page.NextRecordsURL)
			}
			break
		}
		if !strings.HasPrefix(page.NextRecordsURL, "/services/data/v60.0/query/01g") {
			t.Fatalf("nextRecordsUrl %q", page.NextRecordsURL)
		}
		r = send(t, org, "GET", page.NextRecordsURL, nil)
	}
	if seen != 400 {
		t.Errorf("saw %d records", seen)
	}
	// queryAll sees deleted records.
	r = send(t, org, "DELETE", v+"/sobjects/Account/"+acc.ID, nil)
	wantStatus(t, r, 204)
	if r := q("SELECT Id FROM Account"); !strings.Contains(r.String(), `"totalSize":0`) {
		t.Errorf("deleted account visible: %s", r.Body)
	}
	if r := send(t, org, "GET", v+"/queryAll?q="+url.QueryEscape("SELECT Id, IsDeleted FROM Account"), nil); !strings.Contains(r.String(), `"IsDeleted":true`) {
		t.Errorf("queryAll: %s", r.Body)
	}
}

func TestQueryColumns(t *testing.T) {
	org := localorgtest.New(t)
	r := send(t, org, "GET", v+"/query?columns=true&q="+url.QueryEscape("SELECT Id, Name, Account.Name FROM Contact"), nil)
	wantStatus(t, r, 200)
	want := `{"columnMetadata":[{"aggregate":false,"apexType":"Id","booleanType":false,"columnName":"Id","custom":false,"displayName":"Id","foreignKeyName":null,"insertable":false,"joinColumns":[],"numberType":false,"textType":false,"updatable":false},` +
		`{"aggregate":false,"apexType":"String","booleanType":false,"columnName":"Name","custom":false,"displayName":"Name","foreignKeyName":null,"insertable":false,"joinColumns":[],"numberType":false,"textType":true,"updatable":false},` +
		`{"aggregate":false,"apexType":null,"booleanType":false,"columnName":"Account","custom":false,"displayName":"Account","foreignKeyName":null,"insertable":false,"joinColumns":[` +
		`{"aggregate":false,"apexType":"String","booleanType":false,"columnName":"Name","custom":false,"displayName":"Name","foreignKeyName":null,"insertable":true,"joinColumns":[],"numberType":false,"textType":true,"updatable":true}],"numberType":false,"textType":false,"updatable":false}],` +
		`"entityName":"Contact","groupBy":false,"idSelected":true,"keyPrefix":"003"}`
	if r.String() != want {
		t.Errorf("columns:\n%s\nwant\n%s", r.Body, want)
	}
}

func TestDescribe(t *testing.T) {
	org := localorgtest.New(t)
	r := send(t, org, "GET", v+"/sobjects", nil)
	wantStatus(t, r, 200)
	var g struct {
		Encoding     string
		MaxBatchSize int
		Sobjects     []struct{ Name, KeyPrefix string }
	}
	json.Unmarshal(r.Body, &g)
	names := map[string]string{}
	for _, o := range g.Sobjects {
		names[o.Name] = o.KeyPrefix
	}
	for name, prefix := range map[string]string{"Account": "001", "Contact": "003", "Opportunity": "006", "Lead": "00Q", "Case": "500", "Product2": "01t", "Pricebook2": "01s", "PricebookEntry": "01u", "User": "005", "RecordType": "012", "Organization": "00D"} {
		if names[name] != prefix {
			t.Errorf("global describe: %s has prefix %q, want %q", name, names[name], prefix)
		}
	}
	r = send(t, org, "GET", v+"/sobjects/Account/describe", nil)
	wantStatus(t, r, 200)
	var d struct {
		Name   string
		Fields []struct{ Name, Type string }
	}
	json.Unmarshal(r.Body, &d)
	if d.Name != "Account" || len(d.Fields) < 20 {
		t.Errorf("describe: %s with %d fields", d.Name, len(d.Fields))
	}
}
