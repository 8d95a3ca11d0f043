package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// API selects the Salesforce API a query or write goes through. The zero
// value is invalid.
type API uint8

const (
	apiInvalid API = iota
	Bulk2          // Bulk API 2.0 (the default)
	Bulk1          // Bulk API 1.0
	REST           // REST query / sObject Collections, for small reads and writes
)

func (a API) String() string {
	switch a {
	case Bulk2:
		return "2.0"
	case Bulk1:
		return "1.0"
	case REST:
		return "rest"
	}
	return "invalid"
}

// ParseAPI reads "2.0", "1.0" or "rest".
func ParseAPI(s string) (API, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "2.0", "2", "bulk2":
		return Bulk2, nil
	case "1.0", "1", "bulk1":
		return Bulk1, nil
	case "rest":
		return REST, nil
	}
	return apiInvalid, fmt.Errorf("unknown API %q (want 2.0, 1.0 or rest)", s)
}

// QueryOptions tune a query.
type QueryOptions struct {
	API API  // Bulk2 (default), Bulk1 or REST
	All bool // queryAll: include deleted and archived rows
	// MaxRecords is the Bulk 2.0 page size (0: Salesforce's default).
	MaxRecords int
	// PKChunking enables Bulk 1.0 PK chunking ("TRUE" or
	// "chunkSize=100000").
	PKChunking string
	// OnJob is told the query job's id once it exists.
	OnJob func(JobRef)
	// OnProgress is told about the job while it runs.
	OnProgress func(Progress)
}

// Rows streams a query's rows: at most one page is held at a time.
//
//	rows := c.Query(ctx, "SELECT Id, Name FROM Account", bulk.QueryOptions{})
//	defer rows.Close()
//	for rows.Next() { r := rows.Row(); … }
//	if err := rows.Err(); err != nil { … }
type Rows struct {
	ctx  context.Context
	c    *Client
	soql string
	opt  QueryOptions

	started bool
	next    func() (*CSVReader, error) // opens the next page; nil reader: no more
	page    *CSVReader
	row     Row
	err     error
	closed  bool
	jobID   string
	n       int64
}

// Query runs a SOQL query and streams its rows.
func (c *Client) Query(ctx context.Context, soql string, opt QueryOptions) *Rows {
	if opt.API == apiInvalid {
		opt.API = Bulk2
	}
	return &Rows{ctx: ctx, c: c, soql: soql, opt: opt}
}

// QueryEach runs a query and calls fn for each row; fn's error stops it.
func (c *Client) QueryEach(ctx context.Context, soql string, opt QueryOptions, fn func(Row) error) error {
	rows := c.Query(ctx, soql, opt)
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Row()); err != nil {
			return err
		}
	}
	return rows.Err()
}

// All ranges over the rows; the last pair carries the error that stopped
// them, if any. Breaking out of the loop closes the rows.
//
//	for row, err := range c.Query(ctx, soql, opt).All() { … }
func (r *Rows) All() iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		defer r.Close()
		for r.Next() {
			if !yield(r.Row(), nil) {
				return
			}
		}
		if err := r.Err(); err != nil {
			yield(Row{}, err)
		}
	}
}

// JobID is the query job's id (Bulk 2.0 and 1.0), once known.
func (r *Rows) JobID() string { return r.jobID }

// Next advances to the next row, fetching pages as needed.
func (r *Rows) Next() bool {
	if r.err != nil || r.closed {
		return false
	}
	if !r.started {
		r.started = true
		if err := r.start(); err != nil {
			r.err = err
			return false
		}
	}
	for {
		if r.page == nil {
			p, err := r.next()
			if err != nil {
				r.err = err
				return false
			}
			if p == nil {
				return false
			}
			r.page = p
		}
		if r.page.Next() {
			r.row = r.page.Row()
			r.n++
			return true
		}
		err := r.page.Err()
		r.page.Close()
		r.page = nil
		if err != nil {
			r.err = err
			return false
		}
	}
}

// Row returns the current row.
func (r *Rows) Row() Row { return r.row }

// Err returns the error that stopped Next.
func (r *Rows) Err() error {
	if r.err != nil {
		return fmt.Errorf("query %s: %w", objectOf(r.soql), r.err)
	}
	return nil
}

// Close releases the current page.
func (r *Rows) Close() error {
	r.closed = true
	if r.page != nil {
		r.page.Close()
		r.page = nil
	}
	return nil
}

var fromRE = regexp.MustCompile(`(?is)\bfrom\s+([A-Za-z0-9_]+)`)

// objectOf returns the object of a SOQL query's outermost FROM.
func objectOf(soql string) string {
	depth := 0
	s := soql
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '\'':
			for i++; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		default:
			if depth == 0 && (i == 0 || !isIdent(s[i-1])) && len(s)-i > 5 && strings.EqualFold(s[i:i+4], "from") && !isIdent(s[i+4]) {
				if m := fromRE.FindStringSubmatch(s[i:]); m != nil {
					return m[1]
				}
			}
		}
	}
	return ""
}

func isIdent(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '.'
}

func (r *Rows) start() error {
	switch r.opt.API {
	case Bulk2:
		return r.startBulk2()
	case Bulk1:
		return r.startBulk1()
	case REST:
		return r.startREST()
	}
	return fmt.Errorf("unknown API %v", r.opt.API)
}

func (r *Rows) startBulk2() error {
	info, err := r.c.CreateQueryJob2(r.ctx, QueryJobSpec2{SOQL: r.soql, All: r.opt.All})
	if err != nil {
		return err
	}
	r.jobID = info.ID
	if r.opt.OnJob != nil {
		r.opt.OnJob(JobRef{API: Bulk2, ID: info.ID, Version: r.c.version, Object: info.Object, Operation: Query})
	}
	if _, err := r.c.WaitJob2(r.ctx, true, info.ID, r.opt.OnProgress); err != nil {
		return err
	}
	locator, done := "", false
	r.next = func() (*CSVReader, error) {
		if done {
			return nil, nil
		}
		page, next, err := r.c.QueryResultPage2(r.ctx, info.ID, locator, r.opt.MaxRecords)
		if err != nil {
			return nil, err
		}
		locator, done = next, next == ""
		return page, nil
	}
	return nil
}

func (r *Rows) startBulk1() error {
	object := objectOf(r.soql)
	if object == "" {
		return errors.New("no FROM object in the query")
	}
	op := Query
	if r.opt.All {
		op = QueryAll
	}
	job, err := r.c.CreateJob1(r.ctx, JobSpec1{Object: object, Operation: op, ContentType: "CSV", PKChunking: r.opt.PKChunking})
	if err != nil {
		return err
	}
	r.jobID = job.Info.ID
	if r.opt.OnJob != nil {
		r.opt.OnJob(JobRef{API: Bulk1, ID: job.Info.ID, Version: r.c.version, Object: object, Operation: op})
	}
	first, err := job.AddBatch(r.ctx, []byte(r.soql))
	if err != nil {
		return err
	}
	if _, err := job.Close(r.ctx); err != nil {
		return err
	}
	batches, err := job.WaitBatches(r.ctx, r.opt.OnProgress)
	if err != nil {
		return err
	}
	// With PK chunking the original batch is NotProcessed and the chunks
	// carry the rows.
	var use []BatchInfo1
	for _, b := range batches {
		switch b.State {
		case "Completed":
			use = append(use, b)
		case "NotProcessed":
			if b.ID == first.ID && r.opt.PKChunking != "" {
				continue
			}
			return newJobError(job.Info.ID, b.ID, b.State, b.StateMessage)
		default:
			return newJobError(job.Info.ID, b.ID, b.State, b.StateMessage)
		}
	}
	var pending [][2]string // batch id, result id
	listed := 0
	r.next = func() (*CSVReader, error) {
		for len(pending) == 0 {
			if listed == len(use) {
				return nil, nil
			}
			b := use[listed]
			listed++
			ids, err := job.ResultList(r.ctx, b.ID)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				pending = append(pending, [2]string{b.ID, id})
			}
		}
		p := pending[0]
		pending = pending[1:]
		open := func() (*CSVReader, error) {
			body, err := job.Result(r.ctx, p[0], p[1])
			if err != nil {
				return nil, err
			}
			return NewCSVReader(body), nil
		}
		cr, err := open()
		if err != nil {
			return nil, err
		}
		return r.c.resumable(r.ctx, cr, open), nil
	}
	return nil
}

func (r *Rows) startREST() error {
	kind := "query"
	if r.opt.All {
		kind = "queryAll"
	}
	path := r.c.dataPath("/%s/", kind)
	q := url.Values{"q": {r.soql}}
	header := selectList(r.soql)
	r.next = func() (*CSVReader, error) {
		if path == "" {
			return nil, nil
		}
		resp, err := r.c.do(r.ctx, call{method: http.MethodGet, path: path, query: q, api: apiREST, accept: "application/json", retry: retrySafe})
		if err != nil {
			return nil, err
		}
		page, next, h, err := parseRESTQueryPage(resp.Body, header)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		header = h
		path, q = next, nil
		return page, nil
	}
	return nil
}

// QueryPage is a REST query response.
type QueryPage struct {
	TotalSize      int               `json:"totalSize"`
	Done           bool              `json:"done"`
	NextRecordsURL string            `json:"nextRecordsUrl"`
	Records        []json.RawMessage `json:"records"`
}

// parseRESTQueryPage turns a REST query page into rows rendered like Bulk
// CSV: nested relationships flattened to "Account.Name", null as "",
// numbers as JSON wrote them. header is the SELECT list when it could be
// read; otherwise the union of the page's flattened keys.
func parseRESTQueryPage(body io.Reader, header []string) (*CSVReader, string, []string, error) {
	var page QueryPage
	dec := json.NewDecoder(body)
	dec.UseNumber()
	if err := dec.Decode(&page); err != nil {
		return nil, "", header, fmt.Errorf("read query response: %w", err)
	}
	flat := make([]map[string]string, 0, len(page.Records))
	var order []string
	seen := map[string]bool{}
	for _, raw := range page.Records {
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(string(raw)))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			return nil, "", header, fmt.Errorf("read query record: %w", err)
		}
		f := map[string]string{}
		flatten("", m, f, &order, seen)
		flat = append(flat, f)
	}
	if header == nil {
		header = order
	}
	h := NewHeader(header)
	rows := make([]Row, 0, len(flat))
	for _, f := range flat {
		lower := make(map[string]string, len(f))
		for k, v := range f {
			lower[strings.ToLower(k)] = v
		}
		vals := make([]string, len(header))
		for i, name := range header {
			vals[i] = lower[strings.ToLower(name)]
		}
		rows = append(rows, Row{Header: h, Values: vals})
	}
	next := ""
	if !page.Done {
		next = page.NextRecordsURL
	}
	return sliceReader(h, rows), next, header, nil
}

func flatten(prefix string, m map[string]any, out map[string]string, order *[]string, seen map[string]bool) {
	for k, v := range m {
		if k == "attributes" {
			continue
		}
		name := prefix + k
		switch t := v.(type) {
		case map[string]any:
			if _, isSub := t["records"]; isSub {
				continue // a parent-to-child subquery: not a column
			}
			flatten(name+".", t, out, order, seen)
			continue
		case nil:
			out[name] = ""
		case string:
			out[name] = t
		case json.Number:
			out[name] = t.String()
		case bool:
			if t {
				out[name] = "true"
			} else {
				out[name] = "false"
			}
		default:
			b, _ := json.Marshal(t)
			out[name] = string(b)
		}
		if !seen[strings.ToLower(name)] {
			seen[strings.ToLower(name)] = true
			*order = append(*order, name)
		}
	}
}

// selectList reads the top-level field list of a SELECT (subqueries and
// functions make it give up: nil).
func selectList(soql string) []string {
	s := strings.TrimSpace(soql)
	if len(s) < 7 || !strings.EqualFold(s[:6], "select") {
		return nil
	}
	s = s[6:]
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			return nil
		case ')':
			depth--
		}
		if depth == 0 && i > 0 && !isIdent(s[i-1]) && len(s)-i > 5 && strings.EqualFold(s[i:i+4], "from") && !isIdent(s[i+4]) {
			var out []string
			for _, f := range strings.Split(s[:i], ",") {
				f = strings.TrimSpace(f)
				if f == "" || strings.ContainsAny(f, " \t\n") {
					return nil
				}
				out = append(out, f)
			}
			return out
		}
	}
	return nil
}

// sliceReader serves rows already in memory (one REST page) through the
// CSVReader interface used for Bulk pages.
func sliceReader(h *Header, rows []Row) *CSVReader {
	return &CSVReader{header: h, mem: rows, inMem: true}
}
