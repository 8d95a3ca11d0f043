package localorg

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
	"github.com/sfsync/sfsync/localorg/internal/schema"
	"github.com/sfsync/sfsync/localorg/internal/sfcsv"
	"github.com/sfsync/sfsync/localorg/internal/soql"
)

// Bulk 1.0 query batches: each batch of a query job runs its SOQL once and
// keeps the result file, rendered in the job's format (CSV, XML or JSON),
// in _query_chunks under the batch's Id, one stored piece per 10,000
// records. A PK-chunked job's batch is split into one batch per Id range
// instead, and itself becomes NotProcessed (reference §2.7).

// emptyCSVResult is what a CSV query result file holds when nothing
// matched (widely reported in place of a header-only file).
const emptyCSVResult = "Records not found for this query"

// compileAsync compiles a query batch's SOQL for its job.
func (o *Org) compileAsync(j *Job, text string) (*soql.Compiled, error) {
	q, err := soql.Parse(text)
	if err != nil {
		return nil, err
	}
	return soql.Compile(q, catalog{o.Schema()}, soql.Options{API: soql.Bulk1, IncludeDeleted: j.Operation == "queryAll",
		Now: o.now(), Location: time.UTC, JobObject: j.Object})
}

// queryStateMessage is the stateMessage of a query batch that failed.
func queryStateMessage(err error) string {
	var se *soql.Error
	if errors.As(err, &se) {
		return se.StateMessage()
	}
	return "InvalidBatch : Failed to process query: " + err.Error()
}

// processQueryBatch runs one query batch of a Bulk 1.0 job.
func (o *Org) processQueryBatch(ctx context.Context, j *Job, batchID string) error {
	b, err := o.Batch(ctx, batchID)
	if errors.Is(err, ErrNoJob) {
		return nil
	}
	if err != nil {
		return err
	}
	if b.State != BatchQueued && b.State != BatchInProgress {
		// Another worker finished it between the claim's read and ours.
		return nil
	}
	if b.State == BatchQueued {
		if err := o.pause(o.jobDelay()); err != nil {
			return err
		}
		if msg := o.takeBatchFailure(); msg != "" {
			_, err := o.failBatch(ctx, j, b, msg)
			return err
		}
	}
	started := time.Now()
	if err := o.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE _batches SET state = ?, system_modstamp = ? WHERE id = ? AND state IN (?, ?)`,
			BatchInProgress, formatStamp(o.stamp()), b.ID, BatchQueued, BatchInProgress); err != nil {
			return err
		}
		// A run cut short by a restart starts over.
		_, err := tx.ExecContext(ctx, `DELETE FROM _query_chunks WHERE job_id = ?`, b.ID)
		return err
	}); err != nil {
		return err
	}
	data, err := o.BatchData(ctx, b.ID)
	if err != nil {
		return err
	}
	text := string(data)
	cq, err := o.compileAsync(j, text)
	if err != nil {
		_, err := o.failBatch(ctx, j, b, queryStateMessage(err))
		return err
	}
	if size, start := j.pkChunking(); size > 0 && b.Chunk == "" {
		return o.chunkQueryBatch(ctx, j, b, cq, data, size, start)
	}
	lo, hi, _ := strings.Cut(b.Chunk, "|")
	total, err := o.runAsyncQuery(ctx, j, b, cq, lo, hi)
	if err != nil {
		return err
	}
	elapsed := time.Since(started).Milliseconds()
	return o.write(ctx, func(tx *sql.Tx) error {
		stamp := formatStamp(o.stamp())
		if _, err := tx.ExecContext(ctx, `UPDATE _batches SET state = ?, records_processed = ?, total_processing_time = ?,
			api_active_processing_time = ?, system_modstamp = ? WHERE id = ?`, BatchCompleted, total, elapsed, elapsed, stamp, b.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE _jobs SET records_processed = records_processed + ?, total_processing_time = total_processing_time + ?,
			api_active_processing_time = api_active_processing_time + ?, system_modstamp = ? WHERE id = ?`, total, elapsed, elapsed, stamp, j.ID)
		return err
	})
}

// runAsyncQuery runs a compiled query and stores its result file; lo and
// hi bound the root Ids of a PK chunk (hi empty: no upper bound).
func (o *Org) runAsyncQuery(ctx context.Context, j *Job, b *Batch, cq *soql.Compiled, lo, hi string) (int64, error) {
	tx, err := o.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, cq.SQL, cq.Args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	ncols, _ := rows.Columns()
	vals := make([]any, len(ncols))
	ptrs := make([]any, len(ncols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	fields := make([]*schema.Field, len(cq.Columns))
	for i, col := range cq.Columns {
		fields[i] = columnField(col)
	}
	crlf := j.LineEnding == "CRLF"
	var buf bytes.Buffer
	var csvw *sfcsv.Writer
	if j.ContentType == asyncCSV {
		le := sfcsv.LF
		if crlf {
			le = sfcsv.CRLF
		}
		csvw = sfcsv.NewWriter(',', le)
		for i, col := range cq.Columns {
			csvw.Quoted(col.Header, i == 0)
		}
		csvw.End()
	}
	var total, inChunk int64
	seq := 0
	flush := func() error {
		if csvw != nil {
			buf.Write(csvw.Bytes())
			csvw.Reset()
		}
		if buf.Len() == 0 {
			return nil
		}
		data := append([]byte(nil), buf.Bytes()...)
		s, first, n := seq, total-inChunk, inChunk
		err := o.write(ctx, func(wtx *sql.Tx) error {
			_, err := wtx.ExecContext(ctx, `INSERT INTO _query_chunks(job_id, seq, first_row, rows, data, offsets) VALUES(?, ?, ?, ?, ?, ?)`,
				b.ID, s, first, n, data, []byte{})
			return err
		})
		buf.Reset()
		seq++
		inChunk = 0
		return err
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, err
		}
		if lo != "" || hi != "" {
			id, _ := vals[cq.IDIndex].(string)
			if id < lo || hi != "" && id >= hi {
				continue
			}
		}
		switch j.ContentType {
		case asyncCSV:
			for i, col := range cq.Columns {
				v := formatCSV(fields[i], vals[col.Index])
				if crlf && strings.Contains(v, "\n") {
					// Sforce-Line-Ending: CRLF applies to values too.
					v = strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\n", "\r\n")
				}
				csvw.Quoted(v, i == 0)
			}
			csvw.End()
		case asyncJSON:
			rec := queryRecord(j.APIVersion, cq, vals, func(col soql.Column, v any) any {
				if v == nil {
					return nil
				}
				return jsonw.Raw(columnField(col).AppendBulkJSON(nil, v))
			})
			if inChunk > 0 {
				buf.WriteString(", ")
			}
			p := jsonw.Pretty([]any{rec})
			buf.Write(p[2 : len(p)-2]) // the record without "[ " and " ]"
		case asyncXML:
			rec := queryRecord(j.APIVersion, cq, vals, func(col soql.Column, v any) any {
				if v == nil {
					return nil
				}
				return columnField(col).FormatText(v)
			})
			d := &xmlDoc{b: buf.AvailableBuffer()}
			xmlRecordTree(d, 1, "records", rec)
			buf.Write(d.b)
		}
		total++
		inChunk++
		if inChunk == queryChunkRows {
			if err := flush(); err != nil {
				return 0, err
			}
			if err := o.pause(0); err != nil {
				return 0, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if total == 0 && csvw != nil {
		// The header is dropped: the file holds a sentence instead.
		csvw.Reset()
		buf.WriteString(emptyCSVResult)
	}
	return total, flush()
}

// xmlRecordTree writes a query record as an sObject element: its type,
// its Id (nil unless selected, as the SOAP API writes sObjects), then the
// selected fields, parents nested the same way.
func xmlRecordTree(d *xmlDoc, depth int, name string, rec jsonw.Object) {
	d.open(depth, name, `xsi:type="sObject"`)
	typ := ""
	if a, ok := rec.Get("attributes"); ok {
		if ao, ok := a.(jsonw.Object); ok {
			if t, ok := ao.Get("type"); ok {
				typ, _ = t.(string)
			}
		}
	}
	d.elem(depth+1, "type", typ)
	if id, ok := rec.Get("Id"); ok && id != nil {
		d.elem(depth+1, "Id", fmt.Sprint(id))
	} else {
		d.nilElem(depth+1, "Id")
	}
	for _, m := range rec {
		switch v := m.Value.(type) {
		case jsonw.Object:
			if m.Key == "attributes" {
				continue
			}
			xmlRecordTree(d, depth+1, m.Key, v)
		case nil:
			d.nilElem(depth+1, m.Key)
		default:
			d.elem(depth+1, m.Key, fmt.Sprint(v))
		}
	}
	d.close(depth, name)
}

// chunkQueryBatch splits a PK-chunked query batch into one batch per
// range of chunk size Ids (from start), and marks it NotProcessed.
func (o *Org) chunkQueryBatch(ctx context.Context, j *Job, b *Batch, cq *soql.Compiled, soqlText []byte, size int, start string) error {
	obj := o.object(cq.Object)
	q := `SELECT Id FROM ` + quoteIdent(obj.Name) + ` WHERE Id >= ?`
	if obj.Field("IsDeleted") != nil && j.Operation != "queryAll" {
		q += ` AND IsDeleted = 0`
	}
	rows, err := o.db.QueryContext(ctx, q+` ORDER BY Id`, start)
	if err != nil {
		return err
	}
	var bounds []string
	n := 0
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		if n%size == 0 {
			bounds = append(bounds, id)
		}
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(bounds) == 0 {
		bounds = []string{start}
	}
	err = o.write(ctx, func(tx *sql.Tx) error {
		for i, lo := range bounds {
			hi := ""
			if i+1 < len(bounds) {
				hi = bounds[i+1]
			}
			if _, err := insertBatchTx(ctx, tx, o, j, soqlText, b.ContentType, lo+"|"+hi); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE _batches SET state = ?, system_modstamp = ? WHERE id = ?`,
			BatchNotProcessed, formatStamp(o.stamp()), b.ID)
		return err
	})
	if err != nil {
		return err
	}
	o.kick()
	return nil
}

// writeAsyncQueryResult answers a query batch's result file.
func (o *Org) writeAsyncQueryResult(c *call, j *Job, b *Batch) {
	ctx := c.r.Context()
	rows, err := o.db.QueryContext(ctx, `SELECT data FROM _query_chunks WHERE job_id = ? ORDER BY seq`, b.ID)
	if err != nil {
		c.fail(err)
		return
	}
	defer rows.Close()
	var head, sep, tail []byte
	ct := dataContentType(j)
	switch j.ContentType {
	case asyncJSON:
		head, sep, tail = []byte("[ "), []byte(", "), []byte(" ]")
		if b.RecordsProcessed == 0 {
			head, tail = []byte("[ ]"), nil
		}
	case asyncXML:
		head = newXMLDoc("queryResult", "xmlns", asyncNS, "xmlns:xsi", xsiNS).b
		tail = []byte("\n</queryResult>")
		if b.RecordsProcessed == 0 {
			head = []byte(`<?xml version="1.0" encoding="UTF-8"?><queryResult` + "\n   xmlns=\"" + asyncNS + "\"\n   xmlns:xsi=\"" + xsiNS + "\" />")
			tail = nil
		}
	}
	c.w.Header().Set("Content-Type", ct)
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(head)
	first := true
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			o.log.Error("write query results", "batch", b.ID, "err", err)
			panic(http.ErrAbortHandler)
		}
		if !first {
			c.w.Write(sep)
		}
		first = false
		c.w.Write(data)
	}
	if err := rows.Err(); err != nil {
		o.log.Error("write query results", "batch", b.ID, "err", err)
		panic(http.ErrAbortHandler)
	}
	c.w.Write(tail)
}
