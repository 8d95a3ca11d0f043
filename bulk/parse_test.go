package bulk

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/internal/conformance"
)

// Every recorded body the client parses is parsed here, success and error.

func TestParseJobInfo1Recorded(t *testing.T) {
	want := map[string]struct{ id, op, state, ct, version string }{
		"bulk1/job-create-insert-open-v37.xml":                {"", "insert", "Open", "CSV", "37.0"},
		"bulk1/job-create-insert-open-v51.xml":                {"7503h000009yLOeAAM", "insert", "Open", "CSV", "51.0"},
		"bulk1/job-create-query-json-v62.xml":                 {"7509H0000016HQbQAM", "query", "Open", "JSON", ""},
		"bulk1/job-create-update-open-v47.xml":                {"", "update", "Open", "", ""},
		"bulk1/job-create-upsert-open-scrubbed.xml":           {"", "upsert", "Open", "", ""},
		"bulk1/job-close-closed-v51.xml":                      {"", "insert", "Closed", "CSV", "51.0"},
		"bulk1/job-close-closed-batch-queued-scrubbed.xml":    {"", "", "Closed", "", ""},
		"bulk1/job-info-closed-batch-inprogress-scrubbed.xml": {"", "", "Closed", "", ""},
		"bulk1/job-info-closed-completed-upsert-scrubbed.xml": {"", "upsert", "Closed", "", ""},
	}
	for _, name := range append(conformance.List("bulk1", "job-create"), append(conformance.List("bulk1", "job-close"), conformance.List("bulk1", "job-info")...)...) {
		if strings.Contains(name, "request-") {
			continue
		}
		w, ok := want[name]
		if !ok {
			t.Errorf("%s: no expectation (add it)", name)
			continue
		}
		j, err := ParseJobInfo1(conformance.Read(name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(j.ID) != 18 || !strings.HasPrefix(j.ID, "750") {
			t.Errorf("%s: id %q", name, j.ID)
		}
		if w.id != "" && j.ID != w.id {
			t.Errorf("%s: id %q, want %q", name, j.ID, w.id)
		}
		if w.op != "" && j.Operation != w.op || j.State != w.state || w.ct != "" && j.ContentType != w.ct {
			t.Errorf("%s: got %s/%s/%s, want %s/%s/%s", name, j.Operation, j.State, j.ContentType, w.op, w.state, w.ct)
		}
		if w.version != "" && j.Version() != w.version {
			t.Errorf("%s: version %q, want %q", name, j.Version(), w.version)
		}
	}
}

func TestParseBatchInfo1Recorded(t *testing.T) {
	for _, name := range append(conformance.List("bulk1", "batch-create"), conformance.List("bulk1", "batch-info-")...) {
		if strings.Contains(name, "batch-info-list") {
			continue
		}
		b, err := ParseBatchInfo1(conformance.Read(name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !strings.HasPrefix(b.ID, "751") || !strings.HasPrefix(b.JobID, "750") {
			t.Errorf("%s: ids %q %q", name, b.ID, b.JobID)
		}
		wantState := map[bool]string{true: "Queued", false: ""}[strings.Contains(name, "queued")]
		switch {
		case strings.Contains(name, "completed"):
			wantState = "Completed"
		case strings.Contains(name, "inprogress"):
			wantState = "InProgress"
		}
		if b.State != wantState {
			t.Errorf("%s: state %q, want %q", name, b.State, wantState)
		}
		if b.Terminal() != (wantState == "Completed") {
			t.Errorf("%s: Terminal() = %v", name, b.Terminal())
		}
	}
}

func TestParseBatchInfoList1Recorded(t *testing.T) {
	l, err := ParseBatchInfoList1(conformance.Read("bulk1/batch-info-list-completed-scrubbed.xml"))
	if err != nil || len(l) == 0 {
		t.Fatalf("completed list: %v, %d batches", err, len(l))
	}
	for _, b := range l {
		if b.State != "Completed" || b.ID == "" {
			t.Errorf("batch %+v", b)
		}
	}
	l, err = ParseBatchInfoList1(conformance.Read("bulk1/batch-info-list-empty-scrubbed.xml"))
	if err != nil || len(l) != 0 {
		t.Errorf("empty list: %v, %d batches", err, len(l))
	}
}

func TestParseResultList1Recorded(t *testing.T) {
	ids, err := ParseResultList1(conformance.Read("bulk1/query-result-list.doc.xml"))
	if err != nil || !cmp.Equal(ids, []string{"752x00000004CJE"}) {
		t.Errorf("xml: %v %v", ids, err)
	}
	ids, err = ParseResultList1(conformance.Read("bulk1/query-result-list-json-v62.json"))
	if err != nil || !cmp.Equal(ids, []string{"7529H000000xO6L"}) {
		t.Errorf("json: %v %v", ids, err)
	}
}

func TestParseBatchResults1Recorded(t *testing.T) {
	tests := []struct {
		name  string
		want  []BatchResult1
		count int
	}{
		{name: "bulk1/batch-result-with-failure-row.doc.csv", want: []BatchResult1{
			{ID: "003D000000Q89kQIAR", Success: true, Created: true},
			{ID: "003D000000Q89kRIAR", Success: true, Created: true},
			{Errors: []RecordError{{StatusCode: "REQUIRED_FIELD_MISSING", Message: "Required fields are missing: [LastName]", Fields: []string{"LastName"}}}},
		}},
		{name: "bulk1/batch-result-insert-success-v37.csv"},
		{name: "bulk1/batch-result-upsert-created-and-updated-scrubbed.csv"},
	}
	for _, tt := range tests {
		var got []BatchResult1
		err := ParseBatchResults1(bytes.NewReader(conformance.Read(tt.name)), "text/csv", func(r BatchResult1) error {
			got = append(got, r)
			return nil
		})
		if err != nil || len(got) == 0 {
			t.Errorf("%s: %v, %d rows", tt.name, err, len(got))
			continue
		}
		if tt.want != nil {
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, d)
			}
		}
		for _, r := range got {
			if r.Success && len(r.ID) != 18 {
				t.Errorf("%s: success without an 18-char id: %+v", tt.name, r)
			}
		}
	}
	// Upsert results: Created false for updates, true for inserts.
	var created, updated int
	ParseBatchResults1(bytes.NewReader(conformance.Read("bulk1/batch-result-upsert-created-and-updated-scrubbed.csv")), "text/csv", func(r BatchResult1) error {
		if r.Created {
			created++
		} else {
			updated++
		}
		return nil
	})
	if created == 0 || updated == 0 {
		t.Errorf("upsert results: %d created, %d updated", created, updated)
	}
}

func TestParseBatchResults1XMLAndJSON(t *testing.T) {
	// Reference §2.5 shapes (no recording exists for these).
	xmlBody := `<?xml version="1.0" encoding="UTF-8"?><results xmlns="http://www.force.com/2009/06/asyncapi/dataload"><result><id>001D000000ISUr3IAH</id><success>true</success><created>true</created></result><result><errors><fields>LastName</fields><message>Required fields are missing: [LastName]</message><statusCode>REQUIRED_FIELD_MISSING</statusCode></errors><id xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/><success>false</success><created>false</created></result></results>`
	jsonBody := `[{"success":true,"created":true,"id":"001D000000ISUr3IAH","errors":[]},{"success":false,"created":false,"id":null,"errors":[{"statusCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing: [LastName]","fields":["LastName"]}]}]`
	want := []BatchResult1{
		{ID: "001D000000ISUr3IAH", Success: true, Created: true},
		{Errors: []RecordError{{StatusCode: "REQUIRED_FIELD_MISSING", Message: "Required fields are missing: [LastName]", Fields: []string{"LastName"}}}},
	}
	for ct, body := range map[string]string{"application/xml": xmlBody, "application/json": jsonBody} {
		var got []BatchResult1
		if err := ParseBatchResults1(strings.NewReader(body), ct, func(r BatchResult1) error { got = append(got, r); return nil }); err != nil {
			t.Fatalf("%s: %v", ct, err)
		}
		for i := range got {
			if len(got[i].Errors) == 0 {
				got[i].Errors = nil
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", ct, d)
		}
	}
}

func TestParseErrorBodiesRecorded(t *testing.T) {
	tests := []struct{ name, code, msg string }{
		{"bulk1/error-invalid-session-id-400.xml", "InvalidSessionId", "Invalid session id"},
		{"bulk1/error-invalid-job-upsert-no-external-id.xml", "InvalidJob", "External ID was blank for Contact. An External ID must be specified for upsert."},
		{"bulk2/error-abort-completed-job-invalidjobstate-v49.json", "INVALIDJOBSTATE", "Aborting already Completed Job not allowed"},
		{"rest/error-invalid-session-id-401-v37.json", "INVALID_SESSION_ID", "Session expired or invalid"},
		{"rest/error-entity-is-deleted-compact-v49.json", "ENTITY_IS_DELETED", "entity is deleted"},
		{"rest/error-entity-is-deleted-v60.json", "ENTITY_IS_DELETED", "entity is deleted"},
		{"rest/error-invalid-field-v59.json", "INVALID_FIELD", "No such column 'AccountNumer' on sobject of type Account"},
		{"rest/error-invalid-field-for-insert-update-v59.json", "INVALID_FIELD_FOR_INSERT_UPDATE", ""},
		{"rest/error-invalid-type-soql-v59.json", "INVALID_TYPE", ""},
		{"rest/error-not-found-404-v42.json", "NOT_FOUND", ""},
		{"rest/error-composite-sobjects-empty-records-v60.json", "REQUIRED_FIELD_MISSING", "At least 1 record is required"},
		{"soap-login/login-fault-invalid-login.xml", "INVALID_LOGIN", "Invalid username, password, security token; or user locked out."},
		{"oauth/token-error-invalid-grant-authentication-failure.json", "invalid_grant", "authentication failure"},
		{"oauth/token-error-invalid-grant-2015-key-order.json", "invalid_grant", ""},
		{"oauth/token-error-invalid-grant-invalid-password-legacy.fixture.json", "invalid_grant", ""},
		{"oauth/token-error-refresh-expired.fixture.json", "invalid_grant", "expired access/refresh token"},
	}
	for _, tt := range tests {
		code, msg, _, ok := parseErrorBody(conformance.Read(tt.name))
		if !ok || code != tt.code || tt.msg != "" && msg != tt.msg || msg == "" {
			t.Errorf("%s: got %q %q %v, want %q %q", tt.name, code, msg, ok, tt.code, tt.msg)
		}
	}
	_, _, fields, _ := parseErrorBody(conformance.Read("rest/error-invalid-field-for-insert-update-v59.json"))
	if !cmp.Equal(fields, []string{"MasterRecordId"}) {
		t.Errorf("fields %v", fields)
	}
}

func TestParseSOAPLoginRecorded(t *testing.T) {
	s, err := parseSOAPLogin(conformance.Read("soap-login/login-success-partner-v42.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if s.InstanceURL != "https://d4s000000oz4euaa-dev-ed.my.salesforce.com" || s.OrgID != "00D4S000000oz4eUAA" || s.UserID != "0054S000000JQeqQAG" || s.Lifetime.Seconds() != 7200 || !strings.HasPrefix(s.AccessToken, "00D4S000000oz4e!") {
		t.Errorf("session %s user %s token prefix %v (lifetime %v)", s, s.UserID, strings.HasPrefix(s.AccessToken, "00D4S000000oz4e!"), s.Lifetime)
	}
	if _, err := parseSOAPLogin(conformance.Read("soap-login/login-fault-invalid-login.xml")); err == nil {
		t.Error("a fault parsed as a login")
	}
}

func TestParseTokenResponsesRecorded(t *testing.T) {
	for _, name := range conformance.List("oauth", "token-refresh-success") {
		s, refresh, err := parseTokenResponse(200, conformance.Read(name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if s.AccessToken == "" || !strings.HasPrefix(s.InstanceURL, "https://") || s.OrgID == "" || s.UserID == "" || s.IssuedAt.Year() != 2016 || refresh != "" {
			t.Errorf("%s: %+v %q", name, s, refresh)
		}
	}
	for _, name := range conformance.List("oauth", "token-error") {
		_, _, err := parseTokenResponse(400, conformance.Read(name))
		if ErrorCode(err) != "invalid_grant" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseJobInfo2Recorded(t *testing.T) {
	for _, name := range append(conformance.List("bulk2", "-job-create-"), append(conformance.List("bulk2", "-job-info-"), conformance.List("bulk2", "-job-close-")...)...) {
		j, err := ParseJobInfo2(conformance.Read(name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !strings.HasPrefix(j.ID, "750") || j.Object == "" || j.State == "" {
			t.Errorf("%s: %+v", name, j)
		}
		if v := j.Version(); v != "59.0" && v != "52.0" {
			t.Errorf("%s: version %q", name, v)
		}
		switch {
		case strings.Contains(name, "failed-invalidbatch"):
			je := newJobError(j.ID, "", j.State, j.ErrorMessage)
			if j.State != "Failed" || je.Code != "InvalidBatch" || je.Message != "Field name not found : StageName_invalid_field_on_purpose" {
				t.Errorf("%s: %+v", name, je)
			}
		case strings.Contains(name, "partial-failure"):
			if j.State != "JobComplete" || j.NumberRecordsProcessed != 8 || j.NumberRecordsFailed != 1 || !j.Terminal() {
				t.Errorf("%s: %+v", name, j)
			}
		case strings.Contains(name, "inprogress"):
			if j.Terminal() {
				t.Errorf("%s: terminal", name)
			}
		}
	}
	l := conformance.Read("bulk2/ingest-job-list-v49.json")
	var page JobList2
	if err := decodeBytes(l, &page); err != nil || !page.Done || len(page.Records) == 0 || page.Records[0].ID == "" {
		t.Errorf("job list: %v %+v", err, page)
	}
}

func TestIngestResults2Recorded(t *testing.T) {
	cr := NewCSVReader(io.NopCloser(bytes.NewReader(conformance.Read("bulk2/ingest-failedresults-invalid-date-v59.csv"))))
	if !cr.Next() {
		t.Fatal(cr.Err())
	}
	row := cr.Row()
	id, _ := row.Get("sf__Id")
	e, _ := row.Get("sf__Error")
	ext, _ := row.Get("EXTERNAL_ID__C") // case-insensitive
	got := ParseRecordErrors(e)
	want := []RecordError{{StatusCode: "INVALID_FIELD", Message: "Failed to deserialize field at col 3. Due to, '2003-04-987654321987654321' is not a valid value for the type xsd:date", Fields: []string{"CloseDate"}}}
	if id != "" || ext != "external-id-3" || !cmp.Equal(got, want) {
		t.Errorf("row %v: errors %+v", row.Values, got)
	}
	if cr.Next() {
		t.Error("one row expected")
	}
	for _, name := range []string{"bulk2/ingest-failedresults-empty-v52.csv", "bulk2/ingest-unprocessedrecords-empty-v52.csv"} {
		cr := NewCSVReader(io.NopCloser(bytes.NewReader(conformance.Read(name))))
		h, err := cr.Header()
		if err != nil || h == nil || h.Index("Id") < 0 || cr.Next() {
			t.Errorf("%s: header %v err %v", name, h, err)
		}
	}
}

func TestQueryResultsRecorded(t *testing.T) {
	for _, name := range []string{"bulk2/query-results-account-v52.csv", "bulk2/query-results-account-v59.csv", "bulk1/query-result-csv-embedded-newline-and-quotes.fixture.csv"} {
		cr := NewCSVReader(io.NopCloser(bytes.NewReader(conformance.Read(name))))
		n := 0
		for cr.Next() {
			n++
			if id, ok := cr.Row().Get("Id"); strings.Contains(name, "bulk2") && (!ok || len(id) != 18) || cr.Row().Header.Names()[0] == "" {
				t.Errorf("%s: row %v", name, cr.Row().Values)
			}
		}
		if cr.Err() != nil || n == 0 {
			t.Errorf("%s: %d rows, %v", name, n, cr.Err())
		}
	}
	cr := NewCSVReader(io.NopCloser(bytes.NewReader(conformance.Read("bulk1/query-result-empty.fixture.txt"))))
	if cr.Next() || cr.Err() != nil {
		t.Errorf("empty 1.0 result: rows or %v", cr.Err())
	}
}

func TestRESTBodiesRecorded(t *testing.T) {
	page, next, header, err := parseRESTQueryPage(bytes.NewReader(conformance.Read("rest/query-one-row-v42.json")), selectList("SELECT Id FROM Account"))
	if err != nil || next != "" || !cmp.Equal(header, []string{"Id"}) || !page.Next() || page.Row().Values[0] != "0014S000007NxmlQAC" {
		t.Errorf("one row: %v %q %v", err, next, header)
	}
	page, _, _, err = parseRESTQueryPage(bytes.NewReader(conformance.Read("rest/query-empty-v42.json")), nil)
	if err != nil || page.Next() {
		t.Errorf("empty: %v", err)
	}
	page, next, header, err = parseRESTQueryPage(bytes.NewReader(conformance.Read("rest/query-leads-with-nextrecordsurl-v59.json")), nil)
	if err != nil || next != "" || len(header) == 0 {
		t.Fatalf("leads: %v %q", err, next)
	}
	n := 0
	for page.Next() {
		n++
		if city, ok := page.Row().Get("Address.city"); !ok || city == "" && n == 1 {
			t.Errorf("leads row %d: Address.city %q %v", n, city, ok)
		}
	}
	if n != 8 {
		t.Errorf("leads: %d rows", n)
	}
	// Subquery results are not columns.
	_, _, header, err = parseRESTQueryPage(bytes.NewReader(conformance.Read("rest/query-opportunity-with-subquery-v60.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range header {
		if strings.Contains(h, "OpportunityContactRoles") {
			t.Errorf("subquery flattened into column %s", h)
		}
	}
	_, _, _, err = parseRESTQueryPage(bytes.NewReader(conformance.Read("rest/query-count-pretty-scrubbed.json")), nil)
	if err != nil {
		t.Error(err)
	}

	for _, name := range conformance.List("rest", "composite-sobjects") {
		if strings.Contains(name, "request") || strings.HasPrefix(name, "rest/error-") {
			continue
		}
		rs, err := ParseCollectionResults(conformance.Read(name))
		if err != nil || len(rs) == 0 {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, r := range rs {
			if r.Success && r.ID == "" || !r.Success && (len(r.Errors) == 0 || r.Errors[0].StatusCode == "") {
				t.Errorf("%s: %+v", name, r)
			}
		}
	}
	rs, _ := ParseCollectionResults(conformance.Read("rest/composite-sobjects-create-allornone-rolled-back-v60.json"))
	if len(rs) != 2 || rs[1].Errors[0].StatusCode != "ALL_OR_NONE_OPERATION_ROLLED_BACK" || !cmp.Equal(rs[0].Errors[0].Fields, []string{"LastName"}) {
		t.Errorf("rolled back: %+v", rs)
	}
	var vs []APIVersion
	if err := decodeBytes(conformance.Read("rest/versions.doc.json"), &vs); err != nil || len(vs) == 0 {
		t.Fatal(err)
	}
	// The docs list ends at 61.0: the lower of ours and the org's wins.
	if v, err := negotiate("62.0", vs); err != nil || v != "61.0" {
		t.Errorf("negotiate 62.0 against the docs list: %q %v", v, err)
	}
	if v, err := negotiate("40.0", vs); err != nil || v != "40.0" {
		t.Errorf("negotiate 40.0 against the docs list: %q %v", v, err)
	}
	if _, err := negotiate("20.0", vs); err == nil {
		t.Error("negotiated below the org's oldest version")
	}
}

func TestDescribeRecorded(t *testing.T) {
	for _, name := range []string{"describe/account-v42.json", "describe/contact-v42.json", "describe/lead-v42.json", "describe/topic-v42.json", "describe/case-scrubbed.json", "describe/opportunity-scrubbed.json", "describe/custom-object-custom__c-scrubbed.json"} {
		var o SObject
		if err := decodeBytes(conformance.Read(name), &o); err != nil || o.Name == "" || len(o.Fields) == 0 {
			t.Errorf("%s: %v", name, err)
			continue
		}
		id, ok := o.Field("ID")
		if !ok || id.Type != "id" || id.Createable || !id.IDLookup {
			t.Errorf("%s: Id field %+v", name, id)
		}
	}
	var acct SObject
	decodeBytes(conformance.Read("describe/account-v42.json"), &acct)
	rev, _ := acct.Field("AnnualRevenue")
	name, _ := acct.Field("Name")
	owner, _ := acct.Field("OwnerId")
	rating, _ := acct.Field("Rating")
	if rev.Type != "currency" || rev.Kind() != KindNumber || rev.Precision != 18 || !name.Required() || owner.RelationshipName != "Owner" || !cmp.Equal(owner.ReferenceTo, []string{"User"}) || len(rating.PicklistValues) != 3 {
		t.Errorf("account fields: %+v %+v %+v", rev, owner, rating)
	}
	if f, ok := acct.FieldByRelationship("parent"); !ok || f.Name != "ParentId" {
		t.Errorf("relationship Parent: %+v", f)
	}
	var child *ChildRelationship
	for i := range acct.ChildRelationships {
		if acct.ChildRelationships[i].RelationshipName == "Contacts" {
			child = &acct.ChildRelationships[i]
		}
	}
	if child == nil || child.ChildSObject != "Contact" || child.Field != "AccountId" {
		t.Errorf("Contacts relationship %+v", child)
	}
	var g GlobalDescribe
	if err := decodeBytes(conformance.Read("describe/global-describe-subset-scrubbed.json"), &g); err != nil || len(g.SObjects) == 0 {
		t.Fatal(err)
	}
	if a, ok := g.Object("account"); !ok || a.KeyPrefix != "001" {
		t.Errorf("global Account %+v", a)
	}
	for _, name := range conformance.List("limits", "developer-edition") {
		var l Limits
		if err := decodeBytes(conformance.Read(name), &l); err != nil || l["DailyApiRequests"].Max == 0 {
			t.Errorf("%s: %v %+v", name, err, l["DailyApiRequests"])
		}
	}
}
