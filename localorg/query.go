package localorg

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
	"github.com/sfsync/sfsync/localorg/internal/schema"
	"github.com/sfsync/sfsync/localorg/internal/sfcsv"
	"github.com/sfsync/sfsync/localorg/internal/soql"
)

// catalog is the schema as the SOQL compiler sees it: tables and columns
// named after objects and fields.
type catalog struct{ s *schema.Schema }

var _ soql.Catalog = catalog{}

func (c catalog) Object(name string) (soql.Object, bool) {
	o := c.s.Object(name)
	if o == nil || !storable(o) || !o.Queryable {
		return soql.Object{}, false
	}
	return soql.Object{Name: o.Name, Table: o.Name}, true
}

func soqlField(f *schema.Field) soql.Field {
	col := ""
	if f.Storage() != schema.NoColumn {
		col = f.Name
	}
	return soql.Field{Name: f.Name, Type: f.Type.String(), Column: col, ReferenceTo: f.ReferenceTo,
		RelationshipName: f.RelationshipName, CaseSensitive: f.CaseSensitive, Filterable: f.Filterable, Sortable: f.Sortable}
}

func (c catalog) Field(object, name string) (soql.Field, bool) {
	o := c.s.Object(object)
	if o == nil {
		return soql.Field{}, false
	}
	f := o.Field(name)
	if f == nil {
		return soql.Field{}, false
	}
	return soqlField(f), true
}

func (c catalog) Relationship(object, name string) (soql.Field, bool) {
	o := c.s.Object(object)
	if o == nil {
		return soql.Field{}, false
	}
	f := o.Relationship(name)
	if f == nil {
		return soql.Field{}, false
	}
	return soqlField(f), true
}

// compile parses and compiles a query for an API.
func (o *Org) compile(text string, api soql.API, all bool) (*soql.Compiled, error) {
	q, err := soql.Parse(text)
	if err != nil {
		return nil, err
	}
	return soql.Compile(q, catalog{o.Schema()}, soql.Options{API: api, IncludeDeleted: all, Now: o.now(), Location: time.UTC})
}

// soqlError turns a SOQL error into a 400 answer.
func soqlError(err error) error {
	var se *soql.Error
	if errors.As(err, &se) {
		return badRequest(se.Code, se.Message)
	}
	return err
}

// fieldTypes maps describe type names ("currency") to field types.
var fieldTypes = sync.OnceValue(func() map[string]schema.FieldType {
	m := map[string]schema.FieldType{}
	for t := schema.FieldType(1); ; t++ {
		s := t.String()
		if strings.HasPrefix(s, "FieldType(") {
			return m
		}
		m[s] = t
	}
})

// columnField is a stand-in field carrying a result column's type, for the
// value formatters.
func columnField(c soql.Column) *schema.Field {
	return &schema.Field{Name: c.Header, Type: fieldTypes()[c.Type]}
}

// queryCursor is a REST query being paged through nextRecordsUrl.
type queryCursor struct {
	text    string
	all     bool
	offset  int
	created time.Time
}

// restPageSize is REST query's default batch size.
const restPageSize = 2000

// routeQuery serves /query?q=, /queryAll?q= and /query/{locator}.
func (o *Org) routeQuery(c *call, all bool, rest []string) {
	c.methods(func(c *call) {
		switch len(rest) {
		case 0:
			q := c.r.URL.Query()
			text := q.Get("q")
			if text == "" {
				if q.Has("explain") {
					c.fail(badRequest("FUNCTIONALITY_NOT_ENABLED", "explain is not supported by the local org"))
					return
				}
				c.fail(badRequest("MALFORMED_QUERY", "A query string has to be specified"))
				return
			}
			if q.Get("columns") == "true" {
				o.queryColumns(c, text, all)
				return
			}
			o.restQuery(c, &queryCursor{text: text, all: all}, "")
		case 1:
			id, off, ok := strings.Cut(rest[0], "-")
			o.cursorsMu.Lock()
			cur := o.cursors[id]
			o.cursorsMu.Unlock()
			n, err := strconv.Atoi(off)
			if !ok || cur == nil || err != nil || n < 0 {
				c.fail(badRequest("INVALID_QUERY_LOCATOR", "invalid query locator"))
				return
			}
			next := *cur
			next.offset = n
			o.restQuery(c, &next, id)
		default:
			c.fail(errNotFound)
		}
	}, "GET")
}

// restQuery answers one page of a REST query.
func (o *Org) restQuery(c *call, cur *queryCursor, locator string) {
	ctx := c.r.Context()
	cq, err := o.compile(cur.text, soql.REST, cur.all)
	if err != nil {
		c.fail(soqlError(err))
		return
	}
	if cq.Count && len(cq.Columns) == 0 {
		var n int64
		if err := o.db.QueryRowContext(ctx, cq.SQL, cq.Args...).Scan(&n); err != nil {
			c.fail(err)
			return
		}
		c.rest(http.StatusOK, jsonw.Object{}.Add("totalSize", n).Add("done", true).Add("records", []any{}))
		return
	}
	size := restPageSize
	if opt := c.r.Header.Get("Sforce-Query-Options"); opt != "" {
		for _, part := range strings.Split(opt, ",") {
			if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok && strings.EqualFold(k, "batchSize") {
				if n, err := strconv.Atoi(v); err == nil && n >= 200 && n <= 2000 {
					size = n
				}
			}
		}
	}
	tx, err := o.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		c.fail(err)
		return
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (`+cq.SQL+`)`, cq.Args...).Scan(&total); err != nil {
		c.fail(err)
		return
	}
	args := append(append([]any{}, cq.Args...), size, cur.offset)
	rows, err := tx.QueryContext(ctx, `SELECT * FROM (`+cq.SQL+`) LIMIT ? OFFSET ?`, args...)
	if err != nil {
		c.fail(err)
		return
	}
	defer rows.Close()
	ncols, _ := rows.Columns()
	vals := make([]any, len(ncols))
	ptrs := make([]any, len(ncols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	records := []any{}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			c.fail(err)
			return
		}
		records = append(records, o.restRecord(c, cq, vals))
	}
	if err := rows.Err(); err != nil {
		c.fail(err)
		return
	}
	body := jsonw.Object{}.Add("totalSize", total)
	end := cur.offset + len(records)
	if end < total {
		if locator == "" {
			locator = o.newCursor(cur)
		}
		body = body.Add("done", false).Add("nextRecordsUrl", fmt.Sprintf("/services/data/v%s/query/%s-%d", c.ver, locator, end))
	} else {
		body = body.Add("done", true)
	}
	body = body.Add("records", records)
	c.rest(http.StatusOK, body)
}

// newCursor remembers a query for nextRecordsUrl and returns its locator
// ("01g…", the prefix of Salesforce's query locators).
func (o *Org) newCursor(cur *queryCursor) string {
	o.cursorsMu.Lock()
	defer o.cursorsMu.Unlock()
	if o.cursors == nil {
		o.cursors = map[string]*queryCursor{}
	}
	// Keep the newest cursors only.
	if len(o.cursors) > 1000 {
		cutoff := o.now().Add(-time.Hour)
		for k, v := range o.cursors {
			if v.created.Before(cutoff) {
				delete(o.cursors, k)
			}
		}
	}
	o.cursorSeq++
	id := makeID("01g", o.cursorSeq)
	c := *cur
	c.created = o.now()
	o.cursors[id] = &c
	return id
}

// restRecord builds a query record: attributes, then the SELECT items in
// order, parents nested as objects at the place of their first field
// (null when the lookup is empty).
func (o *Org) restRecord(c *call, cq *soql.Compiled, vals []any) jsonw.Object {
	return queryRecord(c.ver, cq, vals, func(col soql.Column, v any) any { return formatJSON(columnField(col), v) })
}

// queryRecord builds a query record as a tree: attributes, then the
// SELECT items in order, parents nested at the place of their first field
// (nil when the lookup is empty). value renders a column's stored value.
func queryRecord(ver string, cq *soql.Compiled, vals []any, value func(col soql.Column, v any) any) jsonw.Object {
	if cq.Count {
		rec := jsonw.Object{}.Add("attributes", jsonw.Object{}.Add("type", "AggregateResult"))
		for _, col := range cq.Columns {
			rec = rec.Add(col.Header, value(col, vals[col.Index]))
		}
		return rec
	}
	// entry is a member of the root (node -1) or of a relationship node:
	// a value, or a nested relationship.
	type entry struct {
		name  string
		value any
		rel   int // -1 for a value
	}
	nodes := make([][]entry, len(cq.Relationships)+1) // index i+1 is relationship i; 0 the root
	placed := make([]bool, len(cq.Relationships))
	var place func(i int)
	place = func(i int) {
		if placed[i] {
			return
		}
		placed[i] = true
		r := cq.Relationships[i]
		if r.Parent >= 0 {
			place(r.Parent)
		}
		nodes[r.Parent+1] = append(nodes[r.Parent+1], entry{name: r.Path[len(r.Path)-1], rel: i})
	}
	for _, col := range cq.Columns {
		v := value(col, vals[col.Index])
		name := col.Header
		if len(col.Path) > 0 {
			name = col.Path[len(col.Path)-1]
		}
		if col.Rel >= 0 {
			place(col.Rel)
		}
		nodes[col.Rel+1] = append(nodes[col.Rel+1], entry{name: name, value: v, rel: -1})
	}
	attrs := func(object string, id any) jsonw.Object {
		s, _ := id.(string)
		return jsonw.Object{}.Add("type", object).Add("url", "/services/data/v"+ver+"/sobjects/"+object+"/"+s)
	}
	var render func(node int, object string, id any) jsonw.Object
	render = func(node int, object string, id any) jsonw.Object {
		obj := jsonw.Object{}.Add("attributes", attrs(object, id))
		for _, e := range nodes[node] {
			if e.rel < 0 {
				obj = obj.Add(e.name, e.value)
				continue
			}
			r := cq.Relationships[e.rel]
			if vals[r.IDIndex] == nil {
				obj = obj.Add(e.name, nil)
				continue
			}
			obj = obj.Add(e.name, render(e.rel+1, r.Object, vals[r.IDIndex]))
		}
		return obj
	}
	return render(0, cq.Object, vals[cq.IDIndex])
}

// queryColumns answers /query?q=…&columns=true: the column metadata the
// sf CLI asks for before querying (shape of a recorded answer).
func (o *Org) queryColumns(c *call, text string, all bool) {
	cq, err := o.compile(text, soql.REST, all)
	if err != nil {
		c.fail(soqlError(err))
		return
	}
	root := o.object(cq.Object)
	fieldOf := func(path []string) *schema.Field {
		obj := root
		for _, p := range path[:len(path)-1] {
			ref := obj.Relationship(p)
			if ref == nil || len(ref.ReferenceTo) == 0 {
				return nil
			}
			obj = o.object(ref.ReferenceTo[0])
			if obj == nil {
				return nil
			}
		}
		return obj.Field(path[len(path)-1])
	}
	meta := func(name string, f *schema.Field, typ string, join []any) jsonw.Object {
		apex, num, txt, boolean := apexType(typ)
		custom, ins, upd := false, false, false
		if f != nil {
			custom, ins, upd = f.Custom, f.Createable, f.Updateable
		}
		if join != nil {
			apex, num, txt, boolean = "", false, false, false
		}
		var apexV any = apex
		if apex == "" {
			apexV = nil
		}
		if join == nil {
			join = []any{}
		}
		return jsonw.Object{}.Add("aggregate", cq.Count).Add("apexType", apexV).Add("booleanType", boolean).
			Add("columnName", name).Add("custom", custom).Add("displayName", name).Add("foreignKeyName", nil).
			Add("insertable", ins).Add("joinColumns", join).Add("numberType", num).Add("textType", txt).Add("updatable", upd)
	}
	var cols []any
	idSelected := false
	for _, col := range cq.Columns {
		if len(col.Path) <= 1 {
			name := col.Header
			if len(col.Path) == 1 {
				name = col.Path[0]
			}
			if strings.EqualFold(name, "Id") {
				idSelected = true
			}
			var f *schema.Field
			if col.Path != nil {
				f = fieldOf(col.Path)
			}
			cols = append(cols, meta(name, f, col.Type, nil))
			continue
		}
		// Parent fields nest: Account → joinColumns [Name].
		leaf := meta(col.Path[len(col.Path)-1], fieldOf(col.Path), col.Type, nil)
		for i := len(col.Path) - 2; i >= 0; i-- {
			leaf = meta(col.Path[i], nil, "", []any{leaf})
		}
		cols = append(cols, leaf)
	}
	if cols == nil {
		cols = []any{}
	}
	body := jsonw.Object{}.Add("columnMetadata", cols).Add("entityName", cq.Object).Add("groupBy", false).
		Add("idSelected", idSelected).Add("keyPrefix", root.KeyPrefix)
	c.rest(http.StatusOK, body)
}

// apexType is the Apex type of a describe type, and whether it is a
// number, text or boolean.
func apexType(t string) (apex string, number, text, boolean bool) {
	switch t {
	case "id", "reference":
		return "Id", false, false, false
	case "boolean":
		return "Boolean", false, false, true
	case "int":
		return "Integer", true, false, false
	case "long":
		return "Long", true, false, false
	case "double", "percent":
		return "Double", true, false, false
	case "currency":
		return "Decimal", true, false, false
	case "date":
		return "Date", false, false, false
	case "datetime":
		return "Datetime", false, false, false
	case "time":
		return "Time", false, false, false
	case "":
		return "", false, false, false
	}
	return "String", false, true, false
}

// createQueryJob serves POST /jobs/query.
func (o *Org) createQueryJob(c *call) {
	body, err := c.readBody()
	if err != nil {
		c.fail(err)
		return
	}
	var spec ingestSpec
	if err := decodeSpec(body, &spec); err != nil {
		c.fail(err)
		return
	}
	if spec.Operation == "" {
		spec.Operation = "query"
	}
	if spec.Operation != "query" && spec.Operation != "queryAll" {
		c.fail(badRequest("INVALIDJOB", "InvalidJob : Invalid operation: "+spec.Operation))
		return
	}
	if err := validateFormat(&spec); err != nil {
		c.fail(err)
		return
	}
	if strings.TrimSpace(spec.Query) == "" {
		c.fail(badRequest("INVALIDJOB", "InvalidJob : Query is required"))
		return
	}
	cq, err := o.compile(spec.Query, soql.Bulk2, spec.Operation == "queryAll")
	if err != nil {
		c.fail(soqlError(err))
		return
	}
	if n, err := o.bulkCounts(c.r.Context()); err != nil {
		c.fail(err)
		return
	} else if lim := o.Limits().DailyBulkV2QueryJobs; n.queryJobs >= lim {
		// UNCERTAIN: code and wording (2.0 writes 1.0's exception codes
		// in capitals: INVALIDJOB, INVALIDJOBSTATE).
		c.fail(badRequest("EXCEEDEDQUOTA", fmt.Sprintf("Exceeded the maximum number of Bulk API 2.0 query jobs (%d) allowed in a 24 hour period", lim)))
		return
	}
	j := &Job{API: Bulk2, Kind: KindQuery, Operation: spec.Operation, Object: cq.Object, Query: spec.Query,
		ContentType: "CSV", LineEnding: spec.LineEnding, ColumnDelimiter: spec.ColumnDelimiter, ConcurrencyMode: "Parallel",
		APIVersion: c.ver, State: StateUploadComplete, CreatedByID: c.user}
	if err := o.insertJob(c.r.Context(), j, nil); err != nil {
		c.fail(err)
		return
	}
	o.kick()
	c.bulk2(http.StatusOK, jobCreateBody(j))
}

// queryChunkRows is how many result rows one stored chunk holds.
const queryChunkRows = 10000

// processQueryJob runs a Bulk 2.0 query job: the results are computed
// once, rendered as CSV and stored in chunks; pages are cut from them.
func (o *Org) processQueryJob(ctx context.Context, j *Job) error {
	if j.State == StateUploadComplete {
		if err := o.pause(o.jobDelay()); err != nil {
			return err
		}
		ok, err := o.setJobState(ctx, j.ID, StateInProgress, "", StateUploadComplete)
		if err != nil || !ok {
			return err
		}
		if msg := o.takeJobFailure(); msg != "" {
			_, err := o.setJobState(ctx, j.ID, StateFailed, msg, StateInProgress)
			return err
		}
	}
	started := time.Now()
	// A run cut short by a restart starts over.
	if err := o.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM _query_chunks WHERE job_id = ?`, j.ID)
		return err
	}); err != nil {
		return err
	}
	cq, err := o.compile(j.Query, soql.Bulk2, j.Operation == "queryAll")
	if err != nil {
		msg := err.Error()
		var se *soql.Error
		if errors.As(err, &se) {
			msg = se.Code + " : " + se.Message
		}
		_, err := o.setJobState(ctx, j.ID, StateFailed, msg, StateInProgress)
		return err
	}
	delim := j.delimiter()
	le := sfcsv.LF
	if j.LineEnding == "CRLF" {
		le = sfcsv.CRLF
	}
	hw := sfcsv.NewWriter(delim, le)
	for i, col := range cq.Columns {
		hw.Quoted(col.Header, i == 0)
	}
	hw.End()
	fields := make([]*schema.Field, len(cq.Columns))
	for i, col := range cq.Columns {
		fields[i] = columnField(col)
	}
	tx, err := o.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, cq.SQL, cq.Args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	ncols, _ := rows.Columns()
	vals := make([]any, len(ncols))
	ptrs := make([]any, len(ncols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	w := sfcsv.NewWriter(delim, le)
	offsets := make([]byte, 0, 4*queryChunkRows)
	total, inChunk, seq := 0, 0, 0
	flush := func() error {
		if inChunk == 0 {
			return nil
		}
		data := append([]byte(nil), w.Bytes()...)
		offs := append([]byte(nil), offsets...)
		first, n, s := total-inChunk, inChunk, seq
		err := o.write(ctx, func(wtx *sql.Tx) error {
			_, err := wtx.ExecContext(ctx, `INSERT INTO _query_chunks(job_id, seq, first_row, rows, data, offsets) VALUES(?, ?, ?, ?, ?, ?)`,
				j.ID, s, first, n, data, offs)
			return err
		})
		w.Reset()
		offsets = offsets[:0]
		inChunk = 0
		seq++
		return err
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		offsets = binary.LittleEndian.AppendUint32(offsets, uint32(w.Len()))
		for i, col := range cq.Columns {
			w.Quoted(formatCSV(fields[i], vals[col.Index]), i == 0)
		}
		w.End()
		total++
		inChunk++
		if inChunk == queryChunkRows {
			if err := flush(); err != nil {
				return err
			}
			if err := o.pause(0); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	rows.Close()
	tx.Rollback()
	elapsed := time.Since(started).Milliseconds()
	return o.write(ctx, func(wtx *sql.Tx) error {
		_, err := wtx.ExecContext(ctx, `UPDATE _jobs SET state = ?, query_header = ?, records_processed = ?, total_processing_time = ?,
			system_modstamp = ? WHERE id = ? AND state = ?`, StateJobComplete, string(hw.Bytes()), total, elapsed,
			formatStamp(o.stamp()), j.ID, StateInProgress)
		return err
	})
}

// defaultMaxRecords is the page size of query results when the client
// gives no maxRecords. UNCERTAIN: Salesforce picks a large size of its own.
const defaultMaxRecords = 100000

// queryResults serves GET /jobs/query/{id}/results?locator=&maxRecords=:
// one page of CSV with its header, Sforce-Locator (base-64 of the next
// offset, literal "null" on the last page) and Sforce-NumberOfRecords.
func (o *Org) queryResults(c *call, id string) {
	j, ok := o.lookupJob(c, KindQuery, id)
	if !ok {
		return
	}
	if j.State != StateJobComplete {
		c.fail(badRequest("INVALIDJOBSTATE", fmt.Sprintf("Get job results is not allowed for a job in the %s state", j.State)))
		return
	}
	q := c.r.URL.Query()
	offset := 0
	if loc := q.Get("locator"); loc != "" && loc != "null" {
		b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(loc, "="))
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			c.fail(badRequest("INVALID_LOCATOR", "Invalid locator: "+url.QueryEscape(loc)))
			return
		}
		offset = n
	}
	max := defaultMaxRecords
	if m := q.Get("maxRecords"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n <= 0 {
			c.fail(badRequest("INVALID_MAX_RECORDS", "maxRecords must be a positive integer"))
			return
		}
		max = n
	}
	total := int(j.RecordsProcessed)
	if offset > total {
		offset = total
	}
	n := min(max, total-offset)
	next := "null"
	if offset+n < total {
		next = base64.RawStdEncoding.EncodeToString([]byte(strconv.Itoa(offset + n)))
	}
	h := c.w.Header()
	h.Set("Content-Type", ctCSV)
	h.Set("Sforce-Locator", next)
	h.Set("Sforce-NumberOfRecords", strconv.Itoa(n))
	c.limitInfo()
	c.w.WriteHeader(http.StatusOK)
	c.w.Write([]byte(j.QueryHeader))
	if n == 0 {
		return
	}
	if err := o.writeQueryRows(c.r.Context(), c.w, j.ID, offset, n); err != nil {
		o.log.Error("write query results", "job", j.ID, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// writeQueryRows copies rows [offset, offset+n) of a query job's stored
// results to w.
func (o *Org) writeQueryRows(ctx context.Context, w interface{ Write([]byte) (int, error) }, jobID string, offset, n int) error {
	rows, err := o.db.QueryContext(ctx, `SELECT first_row, rows, data, offsets FROM _query_chunks
		WHERE job_id = ? AND first_row + rows > ? AND first_row < ? ORDER BY seq`, jobID, offset, offset+n)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var first, cnt int
		var data, offs []byte
		if err := rows.Scan(&first, &cnt, &data, &offs); err != nil {
			return err
		}
		lo := max(offset, first) - first
		hi := min(offset+n, first+cnt) - first
		start := int(binary.LittleEndian.Uint32(offs[4*lo:]))
		end := len(data)
		if hi < cnt {
			end = int(binary.LittleEndian.Uint32(offs[4*hi:]))
		}
		if _, err := w.Write(data[start:end]); err != nil {
			return err
		}
	}
	return rows.Err()
}
