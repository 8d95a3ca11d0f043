package localorg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/localorg/internal/sfcsv"
)

// JobKind is what a Bulk job does. The zero value is invalid.
type JobKind int

const (
	_ JobKind = iota
	// KindIngest writes records (insert, update, upsert, delete, hardDelete).
	KindIngest
	// KindQuery reads records (query, queryAll).
	KindQuery
)

func (k JobKind) String() string {
	switch k {
	case KindIngest:
		return "ingest"
	case KindQuery:
		return "query"
	}
	return fmt.Sprintf("JobKind(%d)", int(k))
}

// Bulk API generations a job can belong to.
const (
	Bulk1 = 1 // /services/async: jobs hold batches, processed while the job is Open
	Bulk2 = 2 // /services/data/vXX.X/jobs: one upload per job
)

// Job states (Bulk 2.0 uses all but Closed; Bulk 1.0 uses Open, Closed,
// Aborted and Failed).
const (
	StateOpen           = "Open"
	StateUploadComplete = "UploadComplete"
	StateInProgress     = "InProgress"
	StateJobComplete    = "JobComplete"
	StateFailed         = "Failed"
	StateAborted        = "Aborted"
	StateClosed         = "Closed"
)

// Batch states (Bulk 1.0; a Bulk 2.0 upload is kept as one batch too).
const (
	BatchQueued       = "Queued"
	BatchInProgress   = "InProgress"
	BatchCompleted    = "Completed"
	BatchFailed       = "Failed"
	BatchNotProcessed = "NotProcessed"
)

// Job is a Bulk job as stored.
type Job struct {
	ID               string
	API              int // Bulk1 or Bulk2
	Kind             JobKind
	Operation        string // insert, update, upsert, delete, hardDelete, query, queryAll
	Object           string
	ExternalIDField  string
	AssignmentRuleID string
	ContentType      string // CSV (2.0); CSV, XML, JSON (1.0)
	LineEnding       string // LF or CRLF
	ColumnDelimiter  string // COMMA, TAB, ...
	ConcurrencyMode  string // Parallel or Serial
	APIVersion       string // "60.0"
	Query            string // query jobs
	QueryHeader      string // query jobs: the results' header line
	State            string
	ErrorMessage     string
	CreatedByID      string
	CreatedDate      time.Time
	SystemModstamp   time.Time
	// Uploaded is true once data was uploaded (2.0).
	Uploaded bool
	// PKChunking is the Bulk 1.0 query job's PK chunking setting
	// ("chunkSize=N;startRow=Id"), empty when off.
	PKChunking string
	// DisableRetry records Sforce-Disable-Batch-Retry (Bulk 1.0). The
	// local org never retries a batch, so it changes nothing.
	DisableRetry bool

	RecordsProcessed        int64
	RecordsFailed           int64
	Retries                 int64
	TotalProcessingTime     int64 // milliseconds
	APIActiveProcessingTime int64
	ApexProcessingTime      int64
}

// Terminal reports whether a Bulk 2.0 job is finished.
func (j *Job) Terminal() bool {
	return j.State == StateJobComplete || j.State == StateFailed || j.State == StateAborted
}

// delimiter returns the job's column delimiter byte.
func (j *Job) delimiter() byte {
	if d, ok := sfcsv.Delimiters[j.ColumnDelimiter]; ok {
		return d
	}
	return ','
}

func (j *Job) lineEnding() sfcsv.LineEnding {
	if j.LineEnding == "CRLF" || j.API == Bulk1 {
		// Bulk 1.0 accepts either line ending; CRLF mode does too.
		return sfcsv.CRLF
	}
	return sfcsv.LF
}

// Batch is a unit of uploaded data: the one upload of a Bulk 2.0 job, or a
// Bulk 1.0 batch.
type Batch struct {
	ID           string
	JobID        string
	Seq          int
	State        string
	StateMessage string
	ContentType  string
	// Chunk is the Id range "lo|hi" of a batch made by PK chunking (hi
	// empty for the last chunk); empty for other batches.
	Chunk string
	// RowsTotal is the number of data rows, known once processing began
	// (-1 before).
	RowsTotal int
	// NextRow is how many rows have been applied and committed.
	NextRow                 int
	RecordsProcessed        int64
	RecordsFailed           int64
	TotalProcessingTime     int64
	APIActiveProcessingTime int64
	ApexProcessingTime      int64
	CreatedDate             time.Time
	SystemModstamp          time.Time
}

// RowResult is what happened to one uploaded row.
type RowResult struct {
	Row     int // 0-based index among the batch's data rows
	Success bool
	Created bool
	ID      string // the record's Id; empty when unknown
	Error   string // CODE:message:fields --
	// Values are the row's values as the results echo them: re-serialised
	// for successes, as uploaded for failures.
	Values []string
}

const jobColumns = `id, api, kind, operation, object, external_id_field, assignment_rule_id, content_type,
	line_ending, column_delimiter, concurrency_mode, api_version, query, query_header, state, error_message, created_by,
	created_date, system_modstamp, uploaded, records_processed, records_failed, retries,
	total_processing_time, api_active_processing_time, apex_processing_time, pk_chunking, disable_retry`

type scanner interface{ Scan(...any) error }

func scanJob(s scanner) (*Job, error) {
	var j Job
	var created, modstamp string
	var kind int
	err := s.Scan(&j.ID, &j.API, &kind, &j.Operation, &j.Object, &j.ExternalIDField, &j.AssignmentRuleID,
		&j.ContentType, &j.LineEnding, &j.ColumnDelimiter, &j.ConcurrencyMode, &j.APIVersion, &j.Query, &j.QueryHeader, &j.State,
		&j.ErrorMessage, &j.CreatedByID, &created, &modstamp, &j.Uploaded, &j.RecordsProcessed, &j.RecordsFailed,
		&j.Retries, &j.TotalProcessingTime, &j.APIActiveProcessingTime, &j.ApexProcessingTime, &j.PKChunking, &j.DisableRetry)
	if err != nil {
		return nil, err
	}
	j.Kind = JobKind(kind)
	j.CreatedDate, j.SystemModstamp = parseStamp(created), parseStamp(modstamp)
	return &j, nil
}

// ErrNoJob is returned for an unknown (or deleted) job or batch.
var ErrNoJob = errors.New("no such job")

// Job returns a job by Id (15 or 18 characters).
func (o *Org) Job(ctx context.Context, id string) (*Job, error) {
	return o.jobQ(ctx, o.db, id)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (o *Org) jobQ(ctx context.Context, q querier, id string) (*Job, error) {
	id = normID(id)
	j, err := scanJob(q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM _jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoJob
	}
	return j, err
}

// Jobs returns every job, oldest first.
func (o *Org) Jobs(ctx context.Context) ([]*Job, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT `+jobColumns+` FROM _jobs ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

const batchColumns = `id, job_id, seq, state, state_message, content_type, rows_total, next_row,
	records_processed, records_failed, total_processing_time, api_active_processing_time,
	apex_processing_time, created_date, system_modstamp, chunk`

func scanBatch(s scanner) (*Batch, error) {
	var b Batch
	var created, modstamp string
	err := s.Scan(&b.ID, &b.JobID, &b.Seq, &b.State, &b.StateMessage, &b.ContentType, &b.RowsTotal, &b.NextRow,
		&b.RecordsProcessed, &b.RecordsFailed, &b.TotalProcessingTime, &b.APIActiveProcessingTime,
		&b.ApexProcessingTime, &created, &modstamp, &b.Chunk)
	if err != nil {
		return nil, err
	}
	b.CreatedDate, b.SystemModstamp = parseStamp(created), parseStamp(modstamp)
	return &b, nil
}

// Batches returns a job's batches in upload order.
func (o *Org) Batches(ctx context.Context, jobID string) ([]*Batch, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT `+batchColumns+` FROM _batches WHERE job_id = ? ORDER BY seq`, normID(jobID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Batch returns one batch by Id.
func (o *Org) Batch(ctx context.Context, id string) (*Batch, error) {
	b, err := scanBatch(o.db.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM _batches WHERE id = ?`, normID(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoJob
	}
	return b, err
}

// BatchData returns the data uploaded in a batch, as uploaded (after any
// gzip content encoding was removed).
func (o *Org) BatchData(ctx context.Context, batchID string) ([]byte, error) {
	var data []byte
	err := o.db.QueryRowContext(ctx, `SELECT data FROM _batch_data WHERE batch_id = ?`, normID(batchID)).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoJob
	}
	return data, err
}

// JobUploads returns the data uploaded to a job, one entry per batch (a
// Bulk 2.0 job has at most one).
func (o *Org) JobUploads(ctx context.Context, jobID string) ([][]byte, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT d.data FROM _batches b JOIN _batch_data d ON d.batch_id = b.id WHERE b.job_id = ? ORDER BY b.seq`, normID(jobID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var d []byte
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// JobResults returns the per-row results of every batch of a job, in
// batch order and row order.
func (o *Org) JobResults(ctx context.Context, jobID string) ([]RowResult, error) {
	j, err := o.Job(ctx, jobID)
	if err != nil {
		return nil, err
	}
	batches, err := o.Batches(ctx, j.ID)
	if err != nil {
		return nil, err
	}
	var out []RowResult
	for _, b := range batches {
		rs, err := o.batchResults(ctx, j, b.ID, -1)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// batchResults reads a batch's results; success -1 means all, 0 failures,
// 1 successes.
func (o *Org) batchResults(ctx context.Context, j *Job, batchID string, success int) ([]RowResult, error) {
	q := `SELECT row, success, created, record_id, error, echo FROM _results WHERE batch_id = ?`
	args := []any{batchID}
	if success >= 0 {
		q += ` AND success = ?`
		args = append(args, success)
	}
	rows, err := o.db.QueryContext(ctx, q+` ORDER BY row`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RowResult
	for rows.Next() {
		var r RowResult
		var echo string
		if err := rows.Scan(&r.Row, &r.Success, &r.Created, &r.ID, &r.Error, &echo); err != nil {
			return nil, err
		}
		rd := sfcsv.NewReader([]byte(echo), j.delimiter(), sfcsv.LF)
		if cells, _, err := rd.Read(); err == nil {
			r.Values = append([]string(nil), cells...)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// WaitJob waits until a job is finished: a Bulk 2.0 job in JobComplete,
// Failed or Aborted; a Bulk 1.0 job whose batches are all done.
func (o *Org) WaitJob(ctx context.Context, id string) (*Job, error) {
	for {
		j, err := o.Job(ctx, id)
		if err != nil {
			return nil, err
		}
		if j.API == Bulk2 && j.Terminal() {
			return j, nil
		}
		if j.API == Bulk1 {
			done, err := o.batchesDone(ctx, j.ID)
			if err != nil {
				return nil, err
			}
			if done && j.State != StateOpen {
				return j, nil
			}
		}
		select {
		case <-ctx.Done():
			return j, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (o *Org) batchesDone(ctx context.Context, jobID string) (bool, error) {
	var n int
	err := o.db.QueryRowContext(ctx, `SELECT count(*) FROM _batches WHERE job_id = ? AND state IN (?, ?)`,
		jobID, BatchQueued, BatchInProgress).Scan(&n)
	return n == 0, err
}

// normID turns a valid 15- or 18-character Id into its canonical
// 18-character form; anything else is returned as it is.
func normID(id string) string {
	if sfid.Valid(id) {
		return sfid.To18(id)
	}
	return id
}

// WaitBatches waits until every batch of a Bulk 1.0 job is finished
// (Completed, Failed or NotProcessed), whatever the job's state, and
// returns the batches.
func (o *Org) WaitBatches(ctx context.Context, jobID string) ([]*Batch, error) {
	for {
		done, err := o.batchesDone(ctx, normID(jobID))
		if err != nil {
			return nil, err
		}
		if done {
			return o.Batches(ctx, jobID)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
