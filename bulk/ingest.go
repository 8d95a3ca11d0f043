package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"iter"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// Limits of one upload (reference §2.12, §3.10, §4.6).
const (
	MaxBatchRecords1   = 10000
	MaxBatchBytes1     = 10_000_000
	MaxUploadBytes2    = 100_000_000
	MaxCollectionsSize = 200
)

// JobRef names a job so that it can be journaled and resumed.
type JobRef struct {
	API       API
	ID        string
	Version   string // the API version the job was created with
	Object    string
	Operation Operation
	// Attempt is 0 for the first job of a write, n for the n-th resubmission
	// of records that failed with UNABLE_TO_LOCK_ROW.
	Attempt int
}

// Result is the outcome of one record.
type Result struct {
	// Index is the record's position in IngestRequest.Records; -1 in Resume,
	// where Row carries the record's values instead.
	Index   int
	JobID   string
	BatchID string // Bulk 1.0
	ID      string // the record's Id (empty for a failed insert)
	Success bool
	Created bool
	// Unprocessed: Salesforce never processed the record (job aborted or
	// failed, batch not processed).
	Unprocessed bool
	Errors      []RecordError
	// Row is the record as Salesforce echoed it (Bulk 2.0 results, Bulk 1.0
	// batch requests in Resume); nil otherwise.
	Row *Row
}

// Err returns the record's first error, or nil.
func (r Result) Err() error {
	if len(r.Errors) == 0 {
		if r.Success {
			return nil
		}
		return &RecordError{StatusCode: "UNKNOWN", Message: "record failed without an error message"}
	}
	return &r.Errors[0]
}

// IngestRequest is one write: an operation on one object.
type IngestRequest struct {
	Object          string
	Operation       Operation // Insert, Update, Upsert, Delete, HardDelete
	ExternalIDField string    // Upsert: the external id field ("Id" allowed)
	API             API       // Bulk2 (default), Bulk1 or REST (sObject Collections)

	// Records yields the records; it is read once, and the records are
	// spooled to a temporary file, never all held in memory.
	Records iter.Seq[Record]

	// KeyFields name the columns that identify a record in Bulk 2.0 results
	// (which come back unordered and re-formatted); compared as typed values.
	// Default: Id for update and delete, ExternalIDField for upsert, every
	// column for insert.
	KeyFields []string

	// Bulk 1.0
	ContentType  string // CSV (default), XML, JSON
	Serial       bool   // concurrencyMode Serial
	BatchRecords int    // records per batch (default and maximum 10,000)
	BatchBytes   int64  // bytes per batch (default and maximum 10,000,000)

	// Bulk 2.0: bytes per upload; a new job only when one upload would
	// exceed it (default and maximum 100,000,000).
	UploadBytes int64

	// sObject Collections
	AllOrNone bool

	// LockRetries: records that fail with UNABLE_TO_LOCK_ROW are resubmitted
	// in a new job up to this many times (default 3; negative: never).
	LockRetries int

	AssignmentRuleID string

	// Submit, when cancelled, stops new jobs and batches from being created;
	// jobs already submitted are waited for and their results reported.
	// Cancelling the ctx given to Ingest aborts jobs in flight.
	Submit context.Context

	// OnJob is called with each job after it is created and before any data
	// is uploaded to it, so that its id can be journaled; an error aborts the
	// job and the write.
	OnJob func(ctx context.Context, job JobRef) error
	// OnProgress reports records processed and failed while jobs run.
	OnProgress func(Progress)
	// OnResult receives every record's result, once; an error stops the
	// write (jobs already running continue on Salesforce).
	OnResult func(Result) error
}

// IngestSummary counts what a write did.
type IngestSummary struct {
	Jobs []JobRef // the jobs created, in order
	// Records counts the records sent (each once, however often
	// resubmitted): in the order of IngestRequest.Records, those in a job,
	// batch or request that may have written them, including the ones
	// whose submission failed without telling whether Salesforce took
	// them. A record not counted was never sent.
	Records     int
	Succeeded   int
	Failed      int
	Unprocessed int
	LockRetried int // records resubmitted after UNABLE_TO_LOCK_ROW
}

// Ingest writes records. Every record that was submitted gets exactly one
// Result with its Index. It returns a *JobError (errors.Join'ed when several)
// for jobs or batches that Salesforce failed as a whole (an InvalidBatch,
// for example): those are never retried.
func (c *Client) Ingest(ctx context.Context, req IngestRequest) (IngestSummary, error) {
	var sum IngestSummary
	if err := validateIngest(&req); err != nil {
		return sum, err
	}
	sp, err := newSpool(c.cfg.TempDir)
	if err != nil {
		return sum, err
	}
	defer sp.close()
	in := &ingest{c: c, req: req, sp: sp, sum: &sum, seed: maphash.MakeSeed()}
	err = in.run(ctx)
	return sum, err
}

func validateIngest(req *IngestRequest) error {
	if req.Object == "" {
		return errors.New("ingest: no object")
	}
	switch req.Operation {
	case Insert, Update, Delete, HardDelete:
	case Upsert:
		if req.ExternalIDField == "" {
			return fmt.Errorf("upsert %s: no external id field", req.Object)
		}
	default:
		return fmt.Errorf("ingest %s: operation %v cannot write", req.Object, req.Operation)
	}
	if req.Operation != Upsert {
		// Salesforce refuses externalIdFieldName on other operations.
		req.ExternalIDField = ""
	}
	if req.Records == nil {
		return fmt.Errorf("%s %s: no records", req.Operation, req.Object)
	}
	if req.API == apiInvalid {
		req.API = Bulk2
	}
	if req.API == REST && req.Operation == HardDelete {
		return fmt.Errorf("hardDelete %s: only the Bulk API can hard-delete", req.Object)
	}
	if req.BatchRecords <= 0 || req.BatchRecords > MaxBatchRecords1 {
		req.BatchRecords = MaxBatchRecords1
	}
	if req.BatchBytes <= 0 || req.BatchBytes > MaxBatchBytes1 {
		req.BatchBytes = MaxBatchBytes1
	}
	if req.UploadBytes <= 0 || req.UploadBytes > MaxUploadBytes2 {
		req.UploadBytes = MaxUploadBytes2
	}
	if req.LockRetries == 0 {
		req.LockRetries = 3
	}
	if req.ContentType == "" {
		req.ContentType = "CSV"
	}
	req.ContentType = strings.ToUpper(req.ContentType)
	switch req.ContentType {
	case "CSV", "XML", "JSON":
	default:
		return fmt.Errorf("content type %q: want CSV, XML or JSON", req.ContentType)
	}
	if len(req.KeyFields) == 0 {
		switch req.Operation {
		case Update, Delete, HardDelete:
			req.KeyFields = []string{"Id"}
		case Upsert:
			req.KeyFields = []string{req.ExternalIDField}
		}
	}
	if req.Submit == nil {
		req.Submit = context.Background()
	}
	return nil
}

type ingest struct {
	c    *Client
	req  IngestRequest
	sp   *spool
	sr   *spoolReader
	sum  *IngestSummary
	seed maphash.Seed

	attempt int
	retry   []Result // held results of records to resubmit after UNABLE_TO_LOCK_ROW
	jobErrs []error  // jobs/batches failed as a whole
}

// sink is one API's way of submitting chunks and collecting results.
type sink interface {
	format() format
	limits() (records int, bytes int64)
	// submit sends a chunk. sent reports whether its records may have
	// reached a job, batch or request that can write them — true even when
	// err is set, whenever the org may have taken them (an upload whose
	// answer was lost); false when they surely were not (the job was never
	// created, or was aborted before it could process anything).
	submit(ctx context.Context, ch *chunk) (sent bool, err error)
	finish(ctx context.Context) error
	abort(ctx context.Context)
}

func (in *ingest) newSink() sink {
	switch in.req.API {
	case Bulk1:
		return &sink1{in: in}
	case REST:
		return &sinkREST{in: in}
	}
	return &sink2{in: in}
}

func (in *ingest) run(ctx context.Context) error {
	var err error
	in.sr, err = in.sp.reader()
	if err != nil {
		return err
	}
	// First pass: spool the records, submitting each chunk as it fills.
	p := in.newPass(false, true)
	var cells []cell
	var stopErr error
	for rec := range in.req.Records {
		if e := in.req.Submit.Err(); e != nil {
			stopErr = fmt.Errorf("%w: %w", ErrSubmitStopped, e)
			break
		}
		i, cl, err := in.sp.add(rec, cells)
		if err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		cells = cl
		if err := p.add(ctx, i, cells); err != nil {
			if errors.Is(err, ErrSubmitStopped) {
				stopErr = err
				break
			}
			return in.fail(ctx, p.s, err)
		}
	}
	if err := p.end(ctx, stopErr == nil); err != nil {
		if !errors.Is(err, ErrSubmitStopped) {
			return in.fail(ctx, p.s, err)
		}
		stopErr = err
	}
	// Lock retries: resubmit what failed with UNABLE_TO_LOCK_ROW, unless
	// submitting was stopped (then the failures are reported as they are).
	for len(in.retry) > 0 {
		held := in.retry
		in.retry = nil
		if stopErr == nil && in.req.Submit.Err() != nil {
			stopErr = fmt.Errorf("%w: %w", ErrSubmitStopped, in.req.Submit.Err())
		}
		if stopErr != nil {
			for _, r := range held {
				if err := in.report(r); err != nil {
					return err
				}
			}
			break
		}
		in.attempt++
		in.sum.LockRetried += len(held)
		if err := sleepCtx(ctx, time.Duration(in.attempt)*in.c.retry.BaseDelay); err != nil {
			return err
		}
		p = in.newPass(true, false)
		for _, r := range held {
			cl, err := in.sr.read(r.Index, cells)
			if err != nil {
				return err
			}
			cells = cl
			if err := p.add(ctx, r.Index, cells); err != nil {
				return in.fail(ctx, p.s, err)
			}
		}
		if err := p.end(ctx, true); err != nil {
			return in.fail(ctx, p.s, err)
		}
	}
	return errors.Join(append(in.jobErrs, stopErr)...)
}

// ErrSubmitStopped marks a write whose submitting was stopped
// (IngestRequest.Submit cancelled): the jobs already submitted were waited
// for and their records reported; the rest were never sent.
var ErrSubmitStopped = errors.New("submitting stopped")

// pass submits records to one sink in chunks within the sink's limits.
type pass struct {
	in       *ingest
	s        sink
	f        format
	maxRecs  int
	maxBytes int64
	ch       *chunk
	explicit bool // chunks of explicit indices (retries)
	check    bool // stop when Submit is cancelled
}

func (in *ingest) newPass(explicit, checkSubmit bool) *pass {
	s := in.newSink()
	p := &pass{in: in, s: s, f: s.format(), explicit: explicit, check: checkSubmit}
	p.maxRecs, p.maxBytes = s.limits()
	return p
}

func (p *pass) newChunk(i int) *chunk {
	ch := newChunk(i)
	if p.explicit {
		ch.idx = []int{}
	}
	return ch
}

func (p *pass) add(ctx context.Context, i int, cells []cell) error {
	if p.ch == nil {
		p.ch = p.newChunk(i)
	}
	size, recBytes, newHdr, _ := p.ch.cost(p.f, cells, p.in.sp.names)
	if p.ch.rows > 0 && (p.ch.rows >= p.maxRecs || size > p.maxBytes) {
		if err := p.submit(ctx); err != nil {
			return err
		}
		p.ch = p.newChunk(i)
		size, recBytes, newHdr, _ = p.ch.cost(p.f, cells, p.in.sp.names)
	}
	if size > p.maxBytes {
		return fmt.Errorf("record %d alone is %d bytes, over the %d-byte upload limit", i, size, p.maxBytes)
	}
	p.ch.add(i, cells, recBytes, newHdr)
	return nil
}

func (p *pass) submit(ctx context.Context) error {
	if p.check {
		if e := p.in.req.Submit.Err(); e != nil {
			return fmt.Errorf("%w: %w", ErrSubmitStopped, e)
		}
	}
	sent, err := p.s.submit(ctx, p.ch)
	if sent && !p.explicit {
		p.in.sum.Records += p.ch.rows // resubmissions are counted in LockRetried
	}
	return err
}

// end submits the last chunk (when submit is true) and waits for the jobs
// of the pass, reporting their results.
func (p *pass) end(ctx context.Context, submit bool) error {
	var stop error
	if submit && p.ch != nil && p.ch.rows > 0 {
		if err := p.submit(ctx); err != nil {
			if !errors.Is(err, ErrSubmitStopped) {
				return err
			}
			stop = err
		}
	}
	if err := p.s.finish(ctx); err != nil {
		return err
	}
	return stop
}

// fail ends a write that met an error: when ctx was cancelled (the second
// Ctrl-C) it aborts the jobs in flight; otherwise it still waits for the
// jobs already submitted and reports their records, so that nothing sent
// goes unreported.
func (in *ingest) fail(ctx context.Context, s sink, err error) error {
	if ctx.Err() != nil {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		s.abort(actx)
		return err
	}
	if ferr := s.finish(ctx); ferr != nil {
		return errors.Join(err, ferr)
	}
	return err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// emit reports a result, holding back records that failed with
// UNABLE_TO_LOCK_ROW while retries remain.
func (in *ingest) emit(r Result) error {
	if !r.Success && in.canRetryLocks() && r.Index >= 0 {
		for _, e := range r.Errors {
			if isLockFailure(e.StatusCode) {
				in.retry = append(in.retry, r)
				return nil
			}
		}
	}
	return in.report(r)
}

func (in *ingest) canRetryLocks() bool { return in.attempt < in.req.LockRetries }

// isLockFailure: a record (UNABLE_TO_LOCK_ROW) or a whole Bulk 1.0 batch
// (TooManyLockFailure) that lost a race for a row lock; trying again later
// can succeed.
func isLockFailure(code string) bool {
	return code == "UNABLE_TO_LOCK_ROW" || code == "TooManyLockFailure"
}

// report counts a result and hands it to the caller.
func (in *ingest) report(r Result) error {
	switch {
	case r.Success:
		in.sum.Succeeded++
	case r.Unprocessed:
		in.sum.Unprocessed++
	default:
		in.sum.Failed++
	}
	if in.req.OnResult != nil {
		return in.req.OnResult(r)
	}
	return nil
}

// progress passes job progress on with the job's record count.
func (in *ingest) progress(total int64) func(Progress) {
	if in.req.OnProgress == nil {
		return nil
	}
	return func(p Progress) {
		p.Total = total
		in.req.OnProgress(p)
	}
}

func (in *ingest) jobRef(api API, id string) JobRef {
	return JobRef{API: api, ID: id, Version: in.c.version, Object: in.req.Object, Operation: in.req.Operation, Attempt: in.attempt}
}

func (in *ingest) created(ctx context.Context, ref JobRef) error {
	in.sum.Jobs = append(in.sum.Jobs, ref)
	if in.req.OnJob != nil {
		return in.req.OnJob(ctx, ref)
	}
	return nil
}

func (in *ingest) tempFile(render func(io.Writer) error) (string, error) {
	f, err := os.CreateTemp(in.c.cfg.TempDir, "sfsync-upload-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	if err := render(f); err != nil {
		f.Close()
		os.Remove(name)
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// ---- Bulk API 2.0 ----

type job2 struct {
	info      JobInfo2
	ch        *chunk
	header    []int
	collected bool // results reported (or being reported): never twice
}

type sink2 struct {
	in   *ingest
	jobs []*job2
}

func (s *sink2) format() format       { return formatCSV }
func (s *sink2) limits() (int, int64) { return 150_000_000, s.in.req.UploadBytes }
func (s *sink2) abort(ctx context.Context) {
	for _, j := range s.jobs {
		s.in.c.SetJobState2(ctx, false, j.info.ID, "Aborted")
	}
}

// submit creates a job for the chunk, uploads it and marks the upload
// complete. Until that last call Salesforce processes nothing (an Open job
// is never processed), so a failure before it — the job not created, the
// upload refused and the job aborted — sent nothing; only a failed
// UploadComplete leaves the records' fate unknown.
func (s *sink2) submit(ctx context.Context, ch *chunk) (bool, error) {
	in := s.in
	header := ch.header(in.sp.names, in.req.KeyFields)
	file, err := in.tempFile(func(w io.Writer) error { return renderCSV(w, in.sr, ch, in.sp.names, header) })
	if err != nil {
		return false, err
	}
	defer os.Remove(file)
	// An upload that fails after reaching Salesforce leaves the job in an
	// unknown state: abort it (an Open job has processed nothing) and try
	// once more with a new job.
	var lastErr error
	for try := 0; try < 2; try++ {
		info, err := in.c.CreateIngestJob2(ctx, IngestJobSpec2{Object: in.req.Object, Operation: in.req.Operation, ExternalIDFieldName: in.req.ExternalIDField, AssignmentRuleID: in.req.AssignmentRuleID})
		if err != nil {
			return false, err
		}
		if err := in.created(ctx, in.jobRef(Bulk2, info.ID)); err != nil {
			in.c.SetJobState2(context.WithoutCancel(ctx), false, info.ID, "Aborted")
			return false, fmt.Errorf("job %s: %w", info.ID, err)
		}
		if err := in.c.UploadJobData2(ctx, info.ID, fileBody(file)); err != nil {
			lastErr = err
			in.c.SetJobState2(context.WithoutCancel(ctx), false, info.ID, "Aborted")
			if ctx.Err() != nil || ErrorCode(err) != "" {
				return false, err // Salesforce answered: do not try again
			}
			continue
		}
		info, err = in.c.SetJobState2(ctx, false, info.ID, "UploadComplete")
		if err != nil {
			return true, err
		}
		s.jobs = append(s.jobs, &job2{info: info, ch: ch, header: header})
		return true, nil
	}
	return false, lastErr
}

func (s *sink2) finish(ctx context.Context) error {
	for _, j := range s.jobs {
		if j.collected {
			continue
		}
		j.collected = true
		if err := s.collect(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

func (s *sink2) collect(ctx context.Context, j *job2) error {
	in := s.in
	_, err := in.c.WaitJob2(ctx, false, j.info.ID, in.progress(int64(j.ch.rows)))
	var jobErr *JobError
	if err != nil && !errors.As(err, &jobErr) {
		return err
	}
	if jobErr != nil && !(isLockFailure(jobErr.Code) && in.canRetryLocks()) {
		in.jobErrs = append(in.jobErrs, jobErr)
	}
	keys := in.req.KeyFields
	if len(keys) == 0 { // insert without a key: the whole row identifies it
		for _, f := range j.header {
			keys = append(keys, in.sp.names[f])
		}
	}
	idx, err := in.buildKeyIndex(j.ch, keys)
	if err != nil {
		return err
	}
	idx.sameRow = func(i int, row Row) bool { return in.sameRow(j.ch, i, row) }
	unmatched := 0
	for _, set := range []ResultSet{Successful, Failed, Unprocessed} {
		rows, err := in.c.IngestResults2(ctx, j.info.ID, set)
		if err != nil {
			var ae *APIError
			if jobErr != nil && errors.As(err, &ae) {
				// A failed or aborted job may have no such result file; its
				// records without a result are reported unprocessed below.
				continue
			}
			return err
		}
		for rows.Next() {
			row := rows.Row()
			i, ok := idx.match(row)
			if !ok {
				unmatched++
				continue
			}
			r := Result{Index: i, JobID: j.info.ID, Row: &row}
			r.ID, _ = row.Get("sf__Id")
			switch set {
			case Successful:
				created, _ := row.Get("sf__Created")
				r.Success, r.Created = true, strings.EqualFold(created, "true")
			case Failed:
				e, _ := row.Get("sf__Error")
				r.Errors = ParseRecordErrors(e)
			case Unprocessed:
				r.Unprocessed = true
				r.Errors = unprocessedErrors(jobErr)
			}
			if err := in.emit(r); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("%s of job %s: %w", set, j.info.ID, err)
		}
	}
	// Records no result row named: never processed, as far as Salesforce says.
	for _, i := range idx.unused() {
		r := Result{Index: i, JobID: j.info.ID, Unprocessed: true, Errors: unprocessedErrors(jobErr)}
		if unmatched > 0 {
			r.Errors = []RecordError{{StatusCode: "NO_RESULT", Message: "Salesforce returned no result row that matches this record"}}
		}
		if err := in.emit(r); err != nil {
			return err
		}
	}
	if unmatched > 0 {
		return fmt.Errorf("job %s: %d result rows match no submitted record by %s", j.info.ID, unmatched, strings.Join(keys, ", "))
	}
	return nil
}

func unprocessedErrors(jobErr *JobError) []RecordError {
	if jobErr != nil {
		return []RecordError{{StatusCode: jobErr.Code, Message: jobErr.Message}}
	}
	return []RecordError{{StatusCode: "NOT_PROCESSED", Message: "Salesforce did not process the record"}}
}

// keyIndex finds the record a Bulk 2.0 result row belongs to: rows come back
// in any order with values re-serialised, so records are matched on their
// key columns compared as typed values (Canonical).
type keyIndex struct {
	seed    maphash.Seed
	cols    []string
	kinds   []Kind
	entries []keyEntry
	used    []bool
	// sameRow compares a record's every column with a result row's echo
	// (typed); used only when several records share a key.
	sameRow func(idx int, row Row) bool
}

type keyEntry struct {
	h   uint64
	idx int
}

func (in *ingest) buildKeyIndex(ch *chunk, cols []string) (*keyIndex, error) {
	ki := &keyIndex{seed: in.seed, cols: cols, kinds: make([]Kind, len(cols)), entries: make([]keyEntry, 0, ch.rows)}
	fieldOf := make([]int, len(cols))
	for k, c := range cols {
		fieldOf[k] = -1
		if f, ok := in.sp.index[strings.ToLower(c)]; ok {
			fieldOf[k] = f
			ki.kinds[k] = ch.kind(f)
		} else {
			ki.kinds[k] = KindText
		}
	}
	vals := make([]string, len(cols))
	var cells []cell
	err := ch.each(func(i int) error {
		var err error
		cells, err = in.sr.read(i, cells)
		if err != nil {
			return err
		}
		for k := range vals {
			vals[k] = ""
		}
		for _, cl := range cells {
			for k, f := range fieldOf {
				if f == cl.field {
					vals[k] = cellCSV(cl)
				}
			}
		}
		ki.entries = append(ki.entries, keyEntry{h: ki.hash(vals), idx: i})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(ki.entries, func(a, b int) bool {
		if ki.entries[a].h != ki.entries[b].h {
			return ki.entries[a].h < ki.entries[b].h
		}
		return ki.entries[a].idx < ki.entries[b].idx
	})
	ki.used = make([]bool, len(ki.entries))
	return ki, nil
}

// sameRow reports whether record i's every value equals the echo in row,
// compared as typed values.
func (in *ingest) sameRow(ch *chunk, i int, row Row) bool {
	cells, err := in.sr.read(i, nil)
	if err != nil {
		return false
	}
	have := map[int]string{}
	for _, cl := range cells {
		have[cl.field] = cellCSV(cl)
	}
	for _, f := range ch.fields {
		echo, ok := row.Get(in.sp.names[f])
		if ok && !SameValue(ch.kind(f), have[f], echo) {
			return false
		}
	}
	return true
}

func (ki *keyIndex) hash(vals []string) uint64 {
	var h maphash.Hash
	h.SetSeed(ki.seed)
	for k, v := range vals {
		h.WriteString(Canonical(ki.kinds[k], v))
		h.WriteByte(0)
	}
	return h.Sum64()
}

func (ki *keyIndex) match(row Row) (int, bool) {
	vals := make([]string, len(ki.cols))
	for k, c := range ki.cols {
		vals[k], _ = row.Get(c)
	}
	h := ki.hash(vals)
	p := sort.Search(len(ki.entries), func(i int) bool { return ki.entries[i].h >= h })
	first := -1
	for ; p < len(ki.entries) && ki.entries[p].h == h; p++ {
		if ki.used[p] {
			continue
		}
		if first < 0 {
			first = p
			if ki.sameRow == nil || p+1 >= len(ki.entries) || ki.entries[p+1].h != h {
				break // the only candidate
			}
		}
		// Several records share the key: prefer the one whose whole row
		// matches the echo.
		if ki.sameRow(ki.entries[p].idx, row) {
			first = p
			break
		}
	}
	if first < 0 {
		return 0, false
	}
	ki.used[first] = true
	return ki.entries[first].idx, true
}

func (ki *keyIndex) unused() []int {
	var out []int
	for p, u := range ki.used {
		if !u {
			out = append(out, ki.entries[p].idx)
		}
	}
	sort.Ints(out)
	return out
}

// ---- Bulk API 1.0 ----

type batch1 struct {
	id string
	ch *chunk
}

type sink1 struct {
	in       *ingest
	job      *Job1
	batches  []batch1
	finished bool // results reported (or being reported): never twice
}

func (s *sink1) format() format {
	switch s.in.req.ContentType {
	case "XML":
		return formatXML
	case "JSON":
		return formatJSON
	}
	return formatCSV
}
func (s *sink1) limits() (int, int64) { return s.in.req.BatchRecords, s.in.req.BatchBytes }
func (s *sink1) abort(ctx context.Context) {
	if s.job != nil {
		s.job.Abort(ctx)
	}
}

// submit adds the chunk as a batch of the write's job, creating the job
// first. Salesforce starts processing a batch as soon as it is added, so a
// failed add leaves the records' fate unknown; failing to create (or
// journal) the job sent nothing.
func (s *sink1) submit(ctx context.Context, ch *chunk) (bool, error) {
	in := s.in
	if s.job == nil {
		job, err := in.c.CreateJob1(ctx, JobSpec1{Object: in.req.Object, Operation: in.req.Operation, ExternalIDFieldName: in.req.ExternalIDField,
			ContentType: in.req.ContentType, Serial: in.req.Serial, AssignmentRuleID: in.req.AssignmentRuleID})
		if err != nil {
			return false, err
		}
		s.job = job
		if err := in.created(ctx, in.jobRef(Bulk1, job.Info.ID)); err != nil {
			job.Abort(context.WithoutCancel(ctx))
			return false, fmt.Errorf("job %s: %w", job.Info.ID, err)
		}
	}
	file, err := in.tempFile(func(w io.Writer) error {
		switch s.format() {
		case formatXML:
			return renderXML(w, in.sr, ch, in.sp.names)
		case formatJSON:
			return renderJSON(w, in.sr, ch, in.sp.names)
		}
		return renderCSV(w, in.sr, ch, in.sp.names, ch.header(in.sp.names, in.req.KeyFields))
	})
	if err != nil {
		return false, err
	}
	defer os.Remove(file)
	bi, err := s.job.addBatch(ctx, fileBody(file))
	if err != nil {
		return true, err
	}
	s.batches = append(s.batches, batch1{id: bi.ID, ch: ch})
	return true, nil
}

func (s *sink1) finish(ctx context.Context) error {
	if s.job == nil || s.finished {
		return nil
	}
	s.finished = true
	in := s.in
	if _, err := s.job.Close(ctx); err != nil {
		return err
	}
	var total int64
	for _, b := range s.batches {
		total += int64(b.ch.rows)
	}
	list, err := s.job.WaitBatches(ctx, in.progress(total))
	if err != nil {
		return err
	}
	state := map[string]BatchInfo1{}
	for _, b := range list {
		state[b.ID] = b
	}
	for _, b := range s.batches {
		bi := state[b.id]
		var je *JobError
		if bi.State != "Completed" {
			je = newJobError(s.job.Info.ID, b.id, bi.State, bi.StateMessage)
			// A batch that failed on row locks is resubmitted (its records
			// are held by emit), so it is not yet an error of the write.
			if !(isLockFailure(je.Code) && in.canRetryLocks()) {
				in.jobErrs = append(in.jobErrs, je)
			}
		}
		// A Failed batch may have committed records before it failed; its
		// results (when Salesforce has any) say which.
		row := 0
		err := errNoResults
		if bi.State == "Completed" || bi.State == "Failed" {
			err = s.job.IngestResults(ctx, b.id, func(r BatchResult1) error {
				if row >= b.ch.rows {
					return fmt.Errorf("batch %s: more results than the %d records sent", b.id, b.ch.rows)
				}
				res := Result{Index: b.ch.at(row), JobID: s.job.Info.ID, BatchID: b.id, ID: r.ID, Success: r.Success, Created: r.Created, Errors: r.Errors}
				row++
				if err := in.emit(res); err != nil {
					return callerError{err}
				}
				return nil
			})
		}
		var ce callerError
		if errors.As(err, &ce) {
			return ce.err
		}
		if err != nil && je == nil {
			return err
		}
		if je == nil && row != b.ch.rows {
			return fmt.Errorf("batch %s: %d results for %d records", b.id, row, b.ch.rows)
		}
		for ; row < b.ch.rows; row++ {
			if err := in.emit(Result{Index: b.ch.at(row), JobID: s.job.Info.ID, BatchID: b.id, Unprocessed: true, Errors: unprocessedErrors(je)}); err != nil {
				return err
			}
		}
	}
	return nil
}

var errNoResults = errors.New("no results")

// callerError carries an error of the caller's OnResult through a parser.
type callerError struct{ err error }

func (e callerError) Error() string { return e.err.Error() }

// ---- sObject Collections ----

type sinkREST struct{ in *ingest }

func (s *sinkREST) format() format               { return formatJSON }
func (s *sinkREST) limits() (int, int64)         { return MaxCollectionsSize, 50_000_000 }
func (s *sinkREST) abort(context.Context)        {}
func (s *sinkREST) finish(context.Context) error { return nil }

// submit sends the chunk in one sObject Collections call; a call that
// fails may have been carried out.
func (s *sinkREST) submit(ctx context.Context, ch *chunk) (bool, error) {
	in := s.in
	var recs []map[string]any
	var ids []string
	var cells []cell
	err := ch.each(func(i int) error {
		var err error
		cells, err = in.sr.read(i, cells)
		if err != nil {
			return err
		}
		if in.req.Operation == Delete {
			id := ""
			for _, cl := range cells {
				if strings.EqualFold(in.sp.names[cl.field], "Id") {
					id = cl.text
				}
			}
			ids = append(ids, id)
			return nil
		}
		recs = append(recs, jsonRecord(cells, in.sp.names, in.req.Object))
		return nil
	})
	if err != nil {
		return false, err
	}
	results, err := in.c.collections(ctx, in.req.Operation, in.req.Object, in.req.ExternalIDField, recs, ids, in.req.AllOrNone)
	if err != nil {
		return true, err
	}
	if len(results) != ch.rows {
		return true, fmt.Errorf("sObject Collections: %d results for %d records", len(results), ch.rows)
	}
	for row, r := range results {
		res := Result{Index: ch.at(row), ID: r.ID, Success: r.Success, Created: r.Created, Errors: r.Errors}
		if in.req.Operation == Insert && r.Success {
			res.Created = true
		}
		if err := in.emit(res); err != nil {
			return true, err
		}
	}
	return true, nil
}

// CollectionResult is one entry of an sObject Collections response.
type CollectionResult struct {
	ID      string        `json:"id"`
	Success bool          `json:"success"`
	Created bool          `json:"created"`
	Errors  []RecordError `json:"errors"`
}

// ParseCollectionResults reads an sObject Collections response body.
func ParseCollectionResults(body []byte) ([]CollectionResult, error) {
	var out []CollectionResult
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("read sObject Collections response: %w", err)
	}
	return out, nil
}

// collections makes one sObject Collections call (≤ 200 records). Writes
// are retried only when Salesforce cannot have acted on them.
func (c *Client) collections(ctx context.Context, op Operation, object, extID string, recs []map[string]any, ids []string, allOrNone bool) ([]CollectionResult, error) {
	cl := call{api: apiREST, accept: "application/json", contentType: "application/json; charset=UTF-8", retry: retryUnsent}
	switch op {
	case Insert:
		cl.method, cl.path = http.MethodPost, c.dataPath("/composite/sobjects")
	case Update:
		cl.method, cl.path = http.MethodPatch, c.dataPath("/composite/sobjects")
	case Upsert:
		cl.method, cl.path = http.MethodPatch, c.dataPath("/composite/sobjects/%s/%s", url.PathEscape(object), url.PathEscape(extID))
	case Delete:
		cl.method, cl.path = http.MethodDelete, c.dataPath("/composite/sobjects")
		cl.query = url.Values{"ids": {strings.Join(ids, ",")}, "allOrNone": {fmt.Sprint(allOrNone)}}
		cl.contentType = ""
	default:
		return nil, fmt.Errorf("sObject Collections cannot %s", op)
	}
	if op != Delete {
		b, err := json.Marshal(map[string]any{"allOrNone": allOrNone, "records": recs})
		if err != nil {
			return nil, err
		}
		cl.body = bytesBody(b)
	}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, object, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return ParseCollectionResults(body)
}

// ---- Resume ----

// ResumeRequest continues a journaled job after a crash.
type ResumeRequest struct {
	API     API    // Bulk2 or Bulk1
	JobID   string // the journaled job id
	Version string // the API version it was created with ("" = the client's)

	OnProgress func(Progress)
	// OnResult gets every result with Index -1 and Row holding the record's
	// values (Bulk 2.0: Salesforce's echo; Bulk 1.0: the batch request row
	// for CSV jobs), so that the caller can match it by its own key.
	OnResult func(Result) error
}

// Resume waits for a journaled job and reports its results. A Bulk 2.0 job
// still Open (the crash came before its upload completed) has processed
// nothing: it is aborted and reported with no results. A Bulk 1.0 job still
// Open is closed (its batches are processed either way) and waited for.
func (c *Client) Resume(ctx context.Context, req ResumeRequest) (IngestSummary, error) {
	var sum IngestSummary
	cc := c
	if req.Version != "" {
		var err error
		if cc, err = c.WithVersion(req.Version); err != nil {
			return sum, err
		}
	}
	emit := func(r Result) error {
		switch {
		case r.Success:
			sum.Succeeded++
		case r.Unprocessed:
			sum.Unprocessed++
		default:
			sum.Failed++
		}
		sum.Records++
		if req.OnResult != nil {
			return req.OnResult(r)
		}
		return nil
	}
	switch req.API {
	case Bulk1:
		return sum, cc.resume1(ctx, req, &sum, emit)
	case Bulk2, apiInvalid:
		return sum, cc.resume2(ctx, req, &sum, emit)
	}
	return sum, fmt.Errorf("resume job %s: API %v has no jobs", req.JobID, req.API)
}

func (c *Client) resume2(ctx context.Context, req ResumeRequest, sum *IngestSummary, emit func(Result) error) error {
	info, err := c.JobInfo2(ctx, false, req.JobID)
	if err != nil {
		return fmt.Errorf("resume job %s: %w", req.JobID, err)
	}
	op, _ := ParseOperation(info.Operation)
	sum.Jobs = append(sum.Jobs, JobRef{API: Bulk2, ID: info.ID, Version: info.Version(), Object: info.Object, Operation: op})
	if info.State == "Open" {
		if _, err := c.SetJobState2(ctx, false, req.JobID, "Aborted"); err != nil {
			return fmt.Errorf("resume job %s: abort the unfinished upload: %w", req.JobID, err)
		}
		return nil
	}
	info, err = c.WaitJob2(ctx, false, req.JobID, req.OnProgress)
	var jobErr *JobError
	if err != nil && !errors.As(err, &jobErr) {
		return err
	}
	for _, set := range []ResultSet{Successful, Failed, Unprocessed} {
		rows, err := c.IngestResults2(ctx, req.JobID, set)
		if err != nil {
			var ae *APIError
			if jobErr != nil && errors.As(err, &ae) {
				continue // a failed or aborted job may lack this file
			}
			return err
		}
		for rows.Next() {
			row := rows.Row()
			r := Result{Index: -1, JobID: req.JobID, Row: &row}
			r.ID, _ = row.Get("sf__Id")
			switch set {
			case Successful:
				created, _ := row.Get("sf__Created")
				r.Success, r.Created = true, strings.EqualFold(created, "true")
			case Failed:
				e, _ := row.Get("sf__Error")
				r.Errors = ParseRecordErrors(e)
			default:
				r.Unprocessed, r.Errors = true, unprocessedErrors(jobErr)
			}
			if err := emit(r); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if jobErr != nil {
		return jobErr
	}
	return nil
}

func (c *Client) resume1(ctx context.Context, req ResumeRequest, sum *IngestSummary, emit func(Result) error) error {
	job, err := c.OpenJob1(ctx, req.JobID)
	if err != nil {
		return fmt.Errorf("resume job %s: %w", req.JobID, err)
	}
	op, _ := ParseOperation(job.Info.Operation)
	sum.Jobs = append(sum.Jobs, JobRef{API: Bulk1, ID: job.Info.ID, Version: job.Info.Version(), Object: job.Info.Object, Operation: op})
	if job.Info.State == "Open" {
		if _, err := job.Close(ctx); err != nil {
			return err
		}
	}
	list, err := job.WaitBatches(ctx, req.OnProgress)
	if err != nil {
		return err
	}
	var errs []error
	isCSV := strings.EqualFold(job.Info.ContentType, "CSV")
	for _, b := range list {
		var reqRows *CSVReader
		if isCSV {
			if body, err := job.BatchRequest(ctx, b.ID); err == nil {
				reqRows = NewCSVReader(body)
			}
		}
		if b.State != "Completed" {
			je := newJobError(job.Info.ID, b.ID, b.State, b.StateMessage)
			errs = append(errs, je)
			for reqRows != nil && reqRows.Next() {
				row := reqRows.Row()
				if err := emit(Result{Index: -1, JobID: job.Info.ID, BatchID: b.ID, Unprocessed: true, Errors: unprocessedErrors(je), Row: &row}); err != nil {
					return err
				}
			}
			if reqRows != nil {
				reqRows.Close()
			}
			continue
		}
		err := job.IngestResults(ctx, b.ID, func(r BatchResult1) error {
			res := Result{Index: -1, JobID: job.Info.ID, BatchID: b.ID, ID: r.ID, Success: r.Success, Created: r.Created, Errors: r.Errors}
			if reqRows != nil && reqRows.Next() {
				row := reqRows.Row()
				res.Row = &row
			}
			return emit(res)
		})
		if reqRows != nil {
			reqRows.Close()
		}
		if err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}
