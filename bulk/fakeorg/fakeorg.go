// Package fakeorg is a small in-memory Salesforce org on net/http/httptest
// for the bulk client's flow and fault tests: SOAP login, the OAuth token
// endpoint, versions, describe, limits, REST query, sObject Collections, and
// the Bulk API 1.0 and 2.0, with switchable faults (expired sessions, 503
// bursts, UNABLE_TO_LOCK_ROW, failed batches, shuffled and re-formatted
// Bulk 2.0 results). It models only what the client's tests need; the
// project's real emulator is localorg.
package fakeorg

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sfsync/sfsync/internal/conformance"
	"github.com/sfsync/sfsync/internal/sfid"
)

// Credentials the org accepts.
const (
	Username      = "user@example.com"
	Password      = "hunter2-password"
	SecurityToken = "SECTOKEN12345"
	ClientID      = "3MVG9fake.client.id"
	ClientSecret  = "fake-client-secret-9876"
	RefreshToken  = "5Aep861fake-refresh-token"
	OrgID         = "00D000000000001EAA"
)

// Org is the fake org. Its exported fields are faults and knobs; set them
// before or between calls (they are read under the org's lock).
type Org struct {
	Server *httptest.Server

	mu sync.Mutex
	// MaxVersion is the highest version /services/data lists (default 66.0).
	MaxVersion string
	// Fail503 makes the next n API calls (not logins) answer 503.
	Fail503 int
	// Fail500 makes the next n API calls answer 500.
	Fail500 int
	// ResetConnections makes the next n API calls lose their connection
	// (after the request was read: Salesforce may have acted on it).
	ResetConnections int
	// BreakBodies makes the next n CSV result bodies break after their
	// first row (the connection drops mid-body).
	BreakBodies int
	// GzipResponses compresses answers for clients that accept gzip.
	GzipResponses bool
	// LockFailures makes the next n records processed fail with
	// UNABLE_TO_LOCK_ROW.
	LockFailures int
	// LockBatches makes the next n Bulk 1.0 ingest batches fail with
	// TooManyLockFailure.
	LockBatches int
	// Shuffle returns Bulk 2.0 ingest results in random order.
	Shuffle bool
	// DoubleFields are echoed in Bulk 2.0 results the way Salesforce renders
	// doubles (912260031 → 9.12260031E8). Lower-case names.
	DoubleFields map[string]bool
	// PollsBeforeDone is how many job/batch reads show InProgress first.
	PollsBeforeDone int

	tokens       map[string]bool
	nTokens      int
	nIDs         int
	records      map[string][]map[string]string // object (lower) → records
	jobs2        map[string]*job2
	jobs1        map[string]*job1
	batches      map[string]*batch1
	pendingQuery string
	logins       int
	requests     []*http.Request // every API request (method, URL, headers; no bodies)
}

type job2 struct {
	info    map[string]any
	query   bool
	data    []byte
	polls   int
	results [3][][]string // successful, failed, unprocessed rows (with header row first)
	soql    string
	rows    [][]string
}

type job1 struct {
	info    map[string]any
	batches []string
}

type batch1 struct {
	info      map[string]any
	job       *job1
	request   []byte
	results   [][]string // CSV rows incl. header (ingest) or query rows
	ctype     string
	polls     int
	resultIDs []string
}

// New starts a fake org; it is closed when the test ends.
func New(t testing.TB) *Org {
	o := &Org{MaxVersion: "66.0", tokens: map[string]bool{}, records: map[string][]map[string]string{},
		jobs2: map[string]*job2{}, jobs1: map[string]*job1{}, batches: map[string]*batch1{}, DoubleFields: map[string]bool{}}
	o.Server = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.Server.Close)
	return o
}

// URL is the org's base URL (login and instance).
func (o *Org) URL() string { return o.Server.URL }

// Token returns a fresh valid access token.
func (o *Org) Token() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.newToken()
}

func (o *Org) newToken() string {
	o.nTokens++
	t := fmt.Sprintf("00D000000000001!AQ.fake.session.token.%04d", o.nTokens)
	o.tokens[t] = true
	return t
}

// Requests returns the API requests received so far (method, URL and
// headers; bodies are not kept).
func (o *Org) Requests() []*http.Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*http.Request(nil), o.requests...)
}

// ExpireSessions invalidates every session issued so far.
func (o *Org) ExpireSessions() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tokens = map[string]bool{}
}

// Logins counts successful logins.
func (o *Org) Logins() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.logins
}

// Set changes knobs under the lock.
func (o *Org) Set(fn func(o *Org)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fn(o)
}

// Records returns a copy of an object's records.
func (o *Org) Records(object string) []map[string]string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []map[string]string
	for _, r := range o.records[strings.ToLower(object)] {
		c := map[string]string{}
		for k, v := range r {
			c[k] = v
		}
		out = append(out, c)
	}
	return out
}

// AddRecords stores records (an Id is made for those without).
func (o *Org) AddRecords(object string, recs ...map[string]string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range recs {
		if r["Id"] == "" {
			r["Id"] = o.newID(object)
		}
		o.records[strings.ToLower(object)] = append(o.records[strings.ToLower(object)], r)
	}
}

func (o *Org) newID(object string) string {
	o.nIDs++
	prefix := "a00"
	switch strings.ToLower(object) {
	case "account":
		prefix = "001"
	case "contact":
		prefix = "003"
	case "job":
		prefix = "750"
	case "batch":
		prefix = "751"
	case "result":
		return fmt.Sprintf("752%012d", o.nIDs)
	}
	return sfid.To18(fmt.Sprintf("%s%012d", prefix, o.nIDs))
}

func (o *Org) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err == nil {
			body, _ = io.ReadAll(zr)
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/services/Soap/u/"):
		o.soapLogin(w, r, body)
		return
	case p == "/services/oauth2/token":
		o.oauth(w, r, body)
		return
	}
	o.requests = append(o.requests, r.Clone(r.Context()))
	if o.Fail503 > 0 {
		o.Fail503--
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	if o.Fail500 > 0 {
		o.Fail500--
		writeJSON(w, 500, []map[string]string{{"errorCode": "UNKNOWN_EXCEPTION", "message": "An unexpected error occurred."}})
		return
	}
	if o.ResetConnections > 0 {
		o.ResetConnections--
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	}
	if o.GzipResponses && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		gw := &gzipWriter{ResponseWriter: w, zw: gzip.NewWriter(w)}
		defer gw.zw.Close()
		w = gw
	}
	if p == "/services/data" || p == "/services/data/" {
		o.versions(w)
		return
	}
	bulk1 := strings.HasPrefix(p, "/services/async/")
	tok := r.Header.Get("X-SFDC-Session")
	if !bulk1 {
		tok = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if !o.tokens[tok] {
		if bulk1 {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(400)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><error
   xmlns="http://www.force.com/2009/06/asyncapi/dataload">
 <exceptionCode>InvalidSessionId</exceptionCode>
 <exceptionMessage>Invalid session id</exceptionMessage>
</error>`)
			return
		}
		writeJSON(w, 401, []map[string]string{{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}})
		return
	}
	if bulk1 {
		o.bulk1(w, r, body)
		return
	}
	m := regexp.MustCompile(`^/services/data/v(\d+\.\d)(/.*)$`).FindStringSubmatch(p)
	if m == nil {
		writeJSON(w, 404, []map[string]string{{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}})
		return
	}
	rest := strings.TrimSuffix(m[2], "/")
	switch {
	case strings.HasPrefix(rest, "/jobs/"):
		o.bulk2(w, r, rest, body, m[1])
	case rest == "/limits":
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Write(conformance.Read("limits/limits-2022-developer-edition.json"))
	case rest == "/sobjects":
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Write(conformance.Read("describe/global-describe-subset-scrubbed.json"))
	case strings.HasPrefix(rest, "/sobjects/") && strings.HasSuffix(rest, "/describe"):
		obj := strings.TrimSuffix(strings.TrimPrefix(rest, "/sobjects/"), "/describe")
		if !strings.EqualFold(obj, "Account") {
			writeJSON(w, 404, []map[string]string{{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}})
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Write(conformance.Read("describe/account-v42.json"))
	case rest == "/query" || rest == "/queryAll" || strings.HasPrefix(rest, "/query/"):
		o.restQuery(w, r, rest)
	case strings.HasPrefix(rest, "/composite/sobjects"):
		o.collections(w, r, rest, body)
	default:
		writeJSON(w, 404, []map[string]string{{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (o *Org) versions(w http.ResponseWriter) {
	max, _ := strconv.ParseFloat(o.MaxVersion, 64)
	var vs []map[string]string
	for v := 31.0; v <= max; v++ {
		s := strconv.FormatFloat(v, 'f', 1, 64)
		vs = append(vs, map[string]string{"label": "v" + s, "url": "/services/data/v" + s, "version": s})
	}
	writeJSON(w, 200, vs)
}

// ---- auth ----

func (o *Org) soapLogin(w http.ResponseWriter, r *http.Request, body []byte) {
	ver := strings.TrimPrefix(r.URL.Path, "/services/Soap/u/")
	var env struct {
		Body struct {
			Login struct {
				Username string `xml:"username"`
				Password string `xml:"password"`
			} `xml:"login"`
		} `xml:"Body"`
	}
	xml.Unmarshal(body, &env)
	if env.Body.Login.Username != Username || env.Body.Login.Password != Password+SecurityToken {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(500)
		w.Write(conformance.Read("soap-login/login-fault-invalid-login.xml"))
		return
	}
	o.logins++
	tok := o.newToken()
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result><metadataServerUrl>%[1]s/services/Soap/m/%[2]s/00D000000000001</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>%[1]s/services/Soap/u/%[2]s/00D000000000001</serverUrl><sessionId>%[3]s</sessionId><userId>005000000000001AAA</userId><userInfo><organizationId>%[4]s</organizationId><sessionSecondsValid>7200</sessionSecondsValid></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>`,
		o.Server.URL, ver, tok, OrgID)
}

func (o *Org) oauth(w http.ResponseWriter, r *http.Request, body []byte) {
	form, _ := url.ParseQuery(string(body))
	bad := func(code, desc string) {
		writeJSON(w, 400, map[string]string{"error": code, "error_description": desc})
	}
	switch form.Get("grant_type") {
	case "password":
		if form.Get("client_id") != ClientID || form.Get("client_secret") != ClientSecret {
			bad("invalid_client_id", "client identifier invalid")
			return
		}
		if form.Get("username") != Username || form.Get("password") != Password+SecurityToken {
			bad("invalid_grant", "authentication failure")
			return
		}
	case "refresh_token":
		if form.Get("refresh_token") != RefreshToken {
			bad("invalid_grant", "expired access/refresh token")
			return
		}
	case "client_credentials":
		if form.Get("client_id") != ClientID || form.Get("client_secret") != ClientSecret {
			bad("invalid_client", "invalid client credentials")
			return
		}
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		parts := strings.Split(form.Get("assertion"), ".")
		if len(parts) != 3 {
			bad("invalid_grant", "invalid assertion")
			return
		}
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims map[string]any
		json.Unmarshal(payload, &claims)
		if claims["iss"] != ClientID || claims["sub"] != Username {
			bad("invalid_grant", "invalid assertion")
			return
		}
		if claims["aud"] != o.Server.URL {
			bad("invalid_grant", "audience is invalid")
			return
		}
	default:
		bad("unsupported_grant_type", "grant type not supported")
		return
	}
	o.logins++
	writeJSON(w, 200, map[string]string{
		"access_token": o.newToken(), "instance_url": o.Server.URL,
		"id": o.Server.URL + "/id/" + OrgID + "/005000000000001AAA", "token_type": "Bearer",
		"issued_at": "1668791215099", "signature": "c2lnbmF0dXJl",
	})
}

// ---- record processing ----

// process applies one record (field → value, "" unchanged, "#N/A" null);
// it returns the Id, whether it was created, and an error cell.
func (o *Org) process(object, op, extID string, rec map[string]string) (id string, created bool, errCell string) {
	if o.LockFailures > 0 {
		o.LockFailures--
		return rec["Id"], false, "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--"
	}
	if rec["Name"] == "BAD" {
		return rec["Id"], false, "FIELD_CUSTOM_VALIDATION_EXCEPTION:Name must not be BAD:Name --"
	}
	key := strings.ToLower(object)
	find := func(field, val string) map[string]string {
		for _, r := range o.records[key] {
			if field == "Id" && sfid.Equal(r["Id"], val) || field != "Id" && r[field] == val && val != "" {
				return r
			}
		}
		return nil
	}
	apply := func(dst map[string]string) {
		for k, v := range rec {
			switch v {
			case "":
			case "#N/A":
				delete(dst, k)
			default:
				if k != "Id" {
					dst[k] = v
				}
			}
		}
	}
	switch op {
	case "insert":
		if rec["Id"] != "" {
			return "", false, "INVALID_FIELD_FOR_INSERT_UPDATE:cannot specify Id in an insert call:Id --"
		}
		n := map[string]string{"Id": o.newID(object)}
		apply(n)
		o.records[key] = append(o.records[key], n)
		return n["Id"], true, ""
	case "update":
		r := find("Id", rec["Id"])
		if r == nil {
			return rec["Id"], false, "ENTITY_IS_DELETED:entity is deleted:--"
		}
		apply(r)
		return r["Id"], false, ""
	case "upsert":
		if r := find(extID, rec[extID]); r != nil {
			apply(r)
			return r["Id"], false, ""
		}
		n := map[string]string{"Id": o.newID(object)}
		apply(n)
		o.records[key] = append(o.records[key], n)
		return n["Id"], true, ""
	case "delete", "hardDelete":
		for i, r := range o.records[key] {
			if sfid.Equal(r["Id"], rec["Id"]) {
				o.records[key] = append(o.records[key][:i], o.records[key][i+1:]...)
				return r["Id"], false, ""
			}
		}
		return rec["Id"], false, "ENTITY_IS_DELETED:entity is deleted:--"
	}
	return "", false, "INVALID_OPERATION:bad operation:--"
}

var knownField = regexp.MustCompile(`^(?i)(Id|Name|[A-Za-z0-9_]+__c|AnnualRevenue|NumberOfEmployees|Description|Phone|Industry|Type|Rating|Site|[A-Za-z]+\.[A-Za-z0-9_]+)$`)

func badHeader(h []string) string {
	for _, f := range h {
		if !knownField.MatchString(f) {
			return f
		}
	}
	return ""
}

// ---- Bulk API 2.0 ----

func (o *Org) jobInfo2(j *job2) map[string]any { return j.info }

func (o *Org) bulk2(w http.ResponseWriter, r *http.Request, rest string, body []byte, ver string) {
	parts := strings.Split(strings.Trim(rest, "/"), "/") // jobs, ingest|query, id, sub
	if len(parts) < 2 {
		writeJSON(w, 404, []map[string]string{{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}})
		return
	}
	query := parts[1] == "query"
	if len(parts) == 2 {
		switch r.Method {
		case http.MethodPost:
			o.createJob2(w, body, query, ver)
		case http.MethodGet:
			var recs []map[string]any
			var ids []string
			for id, j := range o.jobs2 {
				if j.query == query {
					ids = append(ids, id)
				}
			}
			sort.Strings(ids)
			for _, id := range ids {
				recs = append(recs, o.jobs2[id].info)
			}
			if !query {
				var ids1 []string
				for id := range o.jobs1 {
					ids1 = append(ids1, id)
				}
				sort.Strings(ids1)
				for _, id := range ids1 {
					info := map[string]any{}
					for k, v := range o.jobs1[id].info {
						info[k] = v
					}
					info["jobType"] = "Classic"
					recs = append(recs, info)
				}
			}
			writeJSON(w, 200, map[string]any{"done": true, "records": recs, "nextRecordsUrl": nil})
		}
		return
	}
	j := o.jobs2[parts[2]]
	if j1 := o.jobs1[parts[2]]; j == nil && j1 != nil && !query && len(parts) == 3 && r.Method == http.MethodGet {
		// Bulk 1.0 jobs show through the 2.0 endpoint as jobType Classic.
		info := map[string]any{"jobType": "Classic"}
		for k, v := range j1.info {
			info[k] = v
		}
		info["apiVersion"] = json.Number(str(j1.info["apiVersion"]))
		writeJSON(w, 200, info)
		return
	}
	if j == nil || j.query != query {
		writeJSON(w, 404, []map[string]string{{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}})
		return
	}
	sub := ""
	if len(parts) > 3 {
		sub = parts[3]
	}
	switch {
	case sub == "" && r.Method == http.MethodGet:
		if st := j.info["state"]; st == "UploadComplete" || st == "InProgress" {
			if j.polls < o.PollsBeforeDone {
				j.polls++
				j.info["state"] = "InProgress"
			} else {
				o.run2(j)
			}
		}
		writeJSON(w, 200, j.info)
	case sub == "" && r.Method == http.MethodPatch:
		var req map[string]string
		json.Unmarshal(body, &req)
		st := j.info["state"].(string)
		switch req["state"] {
		case "UploadComplete":
			if st != "Open" {
				writeJSON(w, 400, []map[string]string{{"errorCode": "INVALIDJOBSTATE", "message": "Job is not open"}})
				return
			}
		case "Aborted":
			if st == "JobComplete" || st == "Failed" || st == "Aborted" {
				writeJSON(w, 400, []map[string]string{{"errorCode": "INVALIDJOBSTATE", "message": "Aborting already Completed Job not allowed"}})
				return
			}
			j.results[2] = unprocessed(j.data)
		}
		j.info["state"] = req["state"]
		writeJSON(w, 200, j.info)
	case sub == "" && r.Method == http.MethodDelete:
		delete(o.jobs2, parts[2])
		w.WriteHeader(204)
	case sub == "batches" && r.Method == http.MethodPut:
		if j.info["state"] != "Open" || j.data != nil {
			writeJSON(w, 400, []map[string]string{{"errorCode": "INVALIDJOBSTATE", "message": "Data can only be uploaded once"}})
			return
		}
		j.data = body
		w.WriteHeader(201)
	case sub == "successfulResults" || sub == "failedResults" || sub == "unprocessedrecords":
		k := map[string]int{"successfulResults": 0, "failedResults": 1, "unprocessedrecords": 2}[sub]
		w.Header().Set("Content-Type", "text/csv")
		rows := j.results[k]
		if rows == nil {
			h, _ := csvRows(j.data)
			if len(h) > 0 {
				rows = [][]string{append(map[int][]string{0: {"sf__Id", "sf__Created"}, 1: {"sf__Id", "sf__Error"}, 2: nil}[k], h[0]...)}
			}
		}
		o.writeResultCSV(w, rows, k < 2)
	case sub == "results" && query:
		o.queryResults2(w, r, j)
	default:
		writeJSON(w, 404, []map[string]string{{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}})
	}
}

func (o *Org) createJob2(w http.ResponseWriter, body []byte, query bool, ver string) {
	var req map[string]string
	json.Unmarshal(body, &req)
	id := o.newID("job")
	info := map[string]any{"id": id, "operation": req["operation"], "object": req["object"], "createdById": "005000000000001AAA",
		"createdDate": "2024-09-09T19:25:27.000+0000", "systemModstamp": "2024-09-09T19:25:27.000+0000", "state": "Open",
		"concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": json.Number(ver), "lineEnding": "LF", "columnDelimiter": "COMMA"}
	j := &job2{info: info, query: query}
	if query {
		m := regexp.MustCompile(`(?is)^\s*select\s+(.*?)\s+from\s+(\w+)`).FindStringSubmatch(req["query"])
		if m == nil {
			writeJSON(w, 400, []map[string]string{{"errorCode": "MALFORMED_QUERY", "message": "unexpected token"}})
			return
		}
		info["object"] = m[2]
		info["state"] = "UploadComplete"
		j.soql = req["query"]
	} else {
		if req["externalIdFieldName"] != "" {
			info["externalIdFieldName"] = req["externalIdFieldName"]
		}
		info["contentUrl"] = "services/data/v" + ver + "/jobs/ingest/" + id + "/batches"
	}
	o.jobs2[id] = j
	writeJSON(w, 200, info)
}

func csvRows(b []byte) ([][]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	return cr.ReadAll()
}

func unprocessed(data []byte) [][]string {
	rows, _ := csvRows(data)
	return rows
}

// run2 processes an ingest job (or a query job) to completion.
func (o *Org) run2(j *job2) {
	if j.query {
		o.runQuery2(j)
		return
	}
	rows, err := csvRows(j.data)
	if err != nil || len(rows) == 0 {
		j.info["state"] = "Failed"
		j.info["errorMessage"] = "InvalidBatch : no data"
		return
	}
	head := rows[0]
	j.info["numberRecordsProcessed"] = 0
	j.info["numberRecordsFailed"] = 0
	if f := badHeader(head); f != "" {
		j.info["state"] = "Failed"
		j.info["errorMessage"] = "InvalidBatch : Field name not found : " + f
		j.results[2] = rows
		return
	}
	succ := [][]string{append([]string{"sf__Id", "sf__Created"}, head...)}
	fail := [][]string{append([]string{"sf__Id", "sf__Error"}, head...)}
	nf := 0
	for _, row := range rows[1:] {
		rec := map[string]string{}
		for i, h := range head {
			if i < len(row) {
				rec[h] = row[i]
			}
		}
		id, created, errCell := o.process(j.info["object"].(string), j.info["operation"].(string), str(j.info["externalIdFieldName"]), rec)
		echo := make([]string, len(row))
		for i, v := range row {
			if i < len(head) && o.DoubleFields[strings.ToLower(head[i])] {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					v = javaDouble(f)
				}
			}
			echo[i] = v
		}
		if errCell != "" {
			nf++
			fail = append(fail, append([]string{id, errCell}, echo...))
		} else {
			succ = append(succ, append([]string{id, strconv.FormatBool(created)}, echo...))
		}
	}
	if o.Shuffle {
		rand.Shuffle(len(succ)-1, func(a, b int) { succ[a+1], succ[b+1] = succ[b+1], succ[a+1] })
		rand.Shuffle(len(fail)-1, func(a, b int) { fail[a+1], fail[b+1] = fail[b+1], fail[a+1] })
	}
	j.results[0], j.results[1] = succ, fail
	j.results[2] = [][]string{head}
	j.info["state"] = "JobComplete"
	j.info["numberRecordsProcessed"] = len(rows) - 1
	j.info["numberRecordsFailed"] = nf
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// javaDouble renders f like Java's Double.toString (enough for tests).
func javaDouble(f float64) string {
	if a := f; a < 0 {
		a = -a
		if a >= 1e-3 && a < 1e7 {
			return strconv.FormatFloat(f, 'f', -1, 64) + dotZero(f)
		}
	} else if a >= 1e-3 && a < 1e7 {
		return strconv.FormatFloat(f, 'f', -1, 64) + dotZero(f)
	}
	s := strconv.FormatFloat(f, 'E', -1, 64)
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

func dotZero(f float64) string {
	if strings.Contains(strconv.FormatFloat(f, 'f', -1, 64), ".") {
		return ""
	}
	return ".0"
}

// writeResultCSV writes a result body, breaking it when BreakBodies says so.
func (o *Org) writeResultCSV(w http.ResponseWriter, rows [][]string, quoteAll bool) {
	if o.BreakBodies > 0 && len(rows) > 2 {
		o.BreakBodies--
		writeCSV(w, rows[:2], quoteAll)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	writeCSV(w, rows, quoteAll)
}

func writeCSV(w io.Writer, rows [][]string, quoteAll bool) {
	for ri, row := range rows {
		for i, v := range row {
			if i > 0 {
				io.WriteString(w, ",")
			}
			// Echoed upload header cells are written unquoted, as Salesforce does.
			if ri == 0 && !strings.HasPrefix(v, "sf__") && quoteAll {
				io.WriteString(w, v)
				continue
			}
			io.WriteString(w, `"`+strings.ReplaceAll(v, `"`, `""`)+`"`)
		}
		io.WriteString(w, "\n")
	}
}

func selectFields(soql string) (fields []string, object string) {
	m := regexp.MustCompile(`(?is)^\s*select\s+(.*?)\s+from\s+(\w+)`).FindStringSubmatch(soql)
	if m == nil {
		return nil, ""
	}
	for _, f := range strings.Split(m[1], ",") {
		fields = append(fields, strings.TrimSpace(f))
	}
	return fields, m[2]
}

func (o *Org) queryRows(soql string) [][]string {
	fields, object := selectFields(soql)
	rows := [][]string{fields}
	for _, r := range o.records[strings.ToLower(object)] {
		row := make([]string, len(fields))
		for i, f := range fields {
			for k, v := range r {
				if strings.EqualFold(k, f) {
					row[i] = v
				}
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func (o *Org) runQuery2(j *job2) {
	j.rows = o.queryRows(j.soql)
	j.info["state"] = "JobComplete"
	j.info["numberRecordsProcessed"] = len(j.rows) - 1
}

func (o *Org) queryResults2(w http.ResponseWriter, r *http.Request, j *job2) {
	start := 0
	if l := r.URL.Query().Get("locator"); l != "" {
		b, _ := base64.RawStdEncoding.DecodeString(l)
		start, _ = strconv.Atoi(string(b))
	}
	max, _ := strconv.Atoi(r.URL.Query().Get("maxRecords"))
	if max <= 0 {
		max = 1000
	}
	data := j.rows[1:]
	end := min(start+max, len(data))
	next := "null"
	if end < len(data) {
		next = base64.RawStdEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	w.Header().Set("Sforce-Locator", next)
	w.Header().Set("Sforce-NumberOfRecords", strconv.Itoa(end-start))
	w.Header().Set("Content-Type", "text/csv")
	o.writeResultCSV(w, append([][]string{j.rows[0]}, data[start:end]...), false)
}

// ---- REST ----

func (o *Org) restQuery(w http.ResponseWriter, r *http.Request, rest string) {
	rows := o.queryRows(r.URL.Query().Get("q"))
	if strings.HasPrefix(rest, "/query/") { // nextRecordsUrl: second page
		rows = o.queryRows(o.pendingQuery)
		rows = append(rows[:1], rows[1+2:]...)
	}
	var recs []map[string]any
	for _, row := range rows[1:] {
		m := map[string]any{"attributes": map[string]string{"type": "Account"}}
		for i, f := range rows[0] {
			if rel, field, ok := strings.Cut(f, "."); ok {
				sub, _ := m[rel].(map[string]any)
				if sub == nil {
					sub = map[string]any{"attributes": map[string]string{"type": rel}}
					m[rel] = sub
				}
				sub[field] = row[i]
				continue
			}
			if row[i] == "" {
				m[f] = nil
			} else if n, err := strconv.ParseFloat(row[i], 64); err == nil && f != "Id" && f != "Name" {
				m[f] = n
			} else {
				m[f] = row[i]
			}
		}
		recs = append(recs, m)
	}
	resp := map[string]any{"totalSize": len(recs), "done": true, "records": recs}
	if !strings.HasPrefix(rest, "/query/") && len(recs) > 2 {
		o.pendingQuery = r.URL.Query().Get("q")
		resp["records"] = recs[:2]
		resp["done"] = false
		resp["nextRecordsUrl"] = "/services/data/v60.0/query/01gxx0000000001AAA-2000"
	}
	writeJSON(w, 200, resp)
}

func (o *Org) collections(w http.ResponseWriter, r *http.Request, rest string, body []byte) {
	var results []map[string]any
	one := func(id string, created bool, errCell string) {
		if errCell != "" {
			e := parseErr(errCell)
			results = append(results, map[string]any{"success": false, "errors": []any{e}})
			return
		}
		m := map[string]any{"id": id, "success": true, "errors": []any{}}
		if strings.Count(rest, "/") == 4 {
			m["created"] = created
		}
		results = append(results, m)
	}
	if r.Method == http.MethodDelete {
		for _, id := range strings.Split(r.URL.Query().Get("ids"), ",") {
			_, _, e := o.process("Account", "delete", "", map[string]string{"Id": id})
			one(id, false, e)
		}
		writeJSON(w, 200, results)
		return
	}
	var req struct {
		Records []map[string]any `json:"records"`
	}
	json.Unmarshal(body, &req)
	if len(req.Records) == 0 || len(req.Records) > 200 {
		writeJSON(w, 400, []map[string]string{{"message": "At least 1 record is required", "errorCode": "REQUIRED_FIELD_MISSING"}})
		return
	}
	op, ext, object := "insert", "", ""
	if r.Method == http.MethodPatch {
		op = "update"
		if p := strings.Split(strings.TrimPrefix(rest, "/composite/sobjects/"), "/"); len(p) == 2 {
			op, object, ext = "upsert", p[0], p[1]
		}
	}
	for _, rec := range req.Records {
		m := map[string]string{}
		for k, v := range rec {
			if k == "attributes" {
				if object == "" {
					object = v.(map[string]any)["type"].(string)
				}
				continue
			}
			if strings.EqualFold(k, "id") {
				k = "Id"
			}
			switch t := v.(type) {
			case nil:
				m[k] = "#N/A"
			case string:
				m[k] = t
			default:
				b, _ := json.Marshal(t)
				m[k] = string(b)
			}
		}
		one(o.process(object, op, ext, m))
	}
	writeJSON(w, 200, results)
}

func parseErr(cell string) map[string]any {
	code, rest, _ := strings.Cut(cell, ":")
	msg := rest
	fields := []string{}
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		msg = rest[:i]
		if f := strings.TrimSpace(strings.TrimSuffix(rest[i+1:], "--")); f != "" {
			fields = strings.Split(f, ",")
		}
	}
	return map[string]any{"statusCode": code, "message": msg, "fields": fields}
}

type gzipWriter struct {
	http.ResponseWriter
	zw          *gzip.Writer
	wroteHeader bool
}

func (g *gzipWriter) WriteHeader(status int) {
	if !g.wroteHeader {
		g.wroteHeader = true
		g.Header().Set("Content-Encoding", "gzip")
		g.Header().Del("Content-Length")
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.wroteHeader {
		g.WriteHeader(http.StatusOK)
	}
	return g.zw.Write(b)
}
