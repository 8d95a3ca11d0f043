package localorg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sfsync/sfsync/localorg/internal/sfcsv"
)

// chunkSize is how many records Salesforce processes per transaction.
const chunkSize = 200

// workers process jobs in the background. Work is found in the store
// (never only in memory), so what was unfinished when a process died is
// picked up by the next one.
type workers struct {
	wake chan struct{}
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	busy map[string]bool
}

func (o *Org) startWorkers() {
	w := &workers{wake: make(chan struct{}, 1), stop: make(chan struct{}), busy: map[string]bool{}}
	o.work = w
	for i := 0; i < o.opts.Workers; i++ {
		w.wg.Add(1)
		go o.workLoop()
	}
}

// stopWorkers waits for chunks in flight; unfinished work stays in the
// store and resumes on the next Open.
func (o *Org) stopWorkers() {
	if o.work == nil {
		return
	}
	close(o.work.stop)
	o.work.wg.Wait()
}

// kick wakes a worker: new work may be available.
func (o *Org) kick() {
	select {
	case o.work.wake <- struct{}{}:
	default:
	}
}

// workItem is a job (Bulk 2.0) or a batch (Bulk 1.0) to process.
type workItem struct {
	jobID   string
	batchID string // Bulk 1.0 batch; empty for a whole 2.0 job
}

func (w workItem) key() string { return w.jobID + "/" + w.batchID }

func (o *Org) workLoop() {
	w := o.work
	defer w.wg.Done()
	for {
		select {
		case <-w.stop:
			return
		default:
		}
		item, ok := o.claim()
		if !ok {
			select {
			case <-w.stop:
				return
			case <-w.wake:
			case <-time.After(time.Second):
			}
			continue
		}
		// Pass the wake-up on: there may be more work for other workers.
		o.kick()
		err := o.process(item)
		if err != nil && !errors.Is(err, errStopped) {
			o.log.Error("processing job failed", "job", item.jobID, "batch", item.batchID, "err", err)
		}
		w.mu.Lock()
		delete(w.busy, item.key())
		w.mu.Unlock()
	}
}

// claim finds the oldest work not being processed and marks it busy.
func (o *Org) claim() (workItem, bool) {
	ctx := context.Background()
	var items []workItem
	rows, err := o.db.QueryContext(ctx, `SELECT id FROM _jobs WHERE api = 2 AND state IN (?, ?) ORDER BY seq LIMIT 50`,
		StateUploadComplete, StateInProgress)
	if err == nil {
		for rows.Next() {
			var id string
			if rows.Scan(&id) == nil {
				items = append(items, workItem{jobID: id})
			}
		}
		rows.Close()
	}
	rows, err = o.db.QueryContext(ctx, `SELECT b.job_id, b.id FROM _batches b JOIN _jobs j ON j.id = b.job_id
		WHERE j.api = 1 AND b.state IN (?, ?) AND j.state NOT IN (?, ?) ORDER BY j.seq, b.seq LIMIT 50`,
		BatchQueued, BatchInProgress, StateAborted, StateFailed)
	if err == nil {
		for rows.Next() {
			var it workItem
			if rows.Scan(&it.jobID, &it.batchID) == nil {
				items = append(items, it)
			}
		}
		rows.Close()
	}
	w := o.work
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, it := range items {
		if !w.busy[it.key()] {
			w.busy[it.key()] = true
			return it, true
		}
	}
	return workItem{}, false
}

// errStopped means processing paused because the org is closing; the
// work resumes on the next Open.
var errStopped = errors.New("org closing")

// errAborted means the job was aborted (or deleted) while being processed.
var errAborted = errors.New("job aborted")

// pause sleeps unless the org is closing.
func (o *Org) pause(d time.Duration) error {
	if d <= 0 {
		select {
		case <-o.work.stop:
			return errStopped
		default:
			return nil
		}
	}
	select {
	case <-o.work.stop:
		return errStopped
	case <-time.After(d):
		return nil
	}
}

func (o *Org) process(item workItem) error {
	ctx := context.Background()
	j, err := o.Job(ctx, item.jobID)
	if err != nil {
		if errors.Is(err, ErrNoJob) {
			return nil // deleted meanwhile
		}
		return err
	}
	if item.batchID != "" {
		if j.Kind == KindQuery {
			return o.processQueryBatch(ctx, j, item.batchID)
		}
		_, err := o.processBatch(ctx, j, item.batchID)
		return err
	}
	if j.Kind == KindQuery {
		return o.processQueryJob(ctx, j)
	}
	return o.processIngestJob(ctx, j)
}

// processIngestJob runs a Bulk 2.0 ingest job: UploadComplete →
// InProgress → JobComplete or Failed.
func (o *Org) processIngestJob(ctx context.Context, j *Job) error {
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
	batches, err := o.Batches(ctx, j.ID)
	if err != nil {
		return err
	}
	for _, b := range batches {
		if b.State != BatchQueued && b.State != BatchInProgress {
			continue
		}
		msg, err := o.processBatch(ctx, j, b.ID)
		if errors.Is(err, errAborted) {
			return nil
		}
		if err != nil {
			return err
		}
		if msg != "" {
			_, err := o.setJobState(ctx, j.ID, StateFailed, msg, StateInProgress)
			return err
		}
	}
	_, err = o.setJobState(ctx, j.ID, StateJobComplete, "", StateInProgress)
	return err
}

// setJobState moves a job to state if it is in one of from; ok is false
// when it was not (aborted or deleted meanwhile).
func (o *Org) setJobState(ctx context.Context, id, state, msg string, from ...string) (ok bool, err error) {
	err = o.write(ctx, func(tx *sql.Tx) error {
		var cur string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM _jobs WHERE id = ?`, id).Scan(&cur); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return err
		}
		if len(from) > 0 && !oneOf(cur, from...) {
			return nil
		}
		ok = true
		_, err := tx.ExecContext(ctx, `UPDATE _jobs SET state = ?, error_message = ?, system_modstamp = ? WHERE id = ?`,
			state, msg, formatStamp(o.stamp()), id)
		return err
	})
	return ok, err
}

func oneOf(s string, list ...string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// processBatch applies one batch of CSV data in chunks of 200 records,
// each chunk one transaction that also records the chunk's results and
// moves the batch's next_row, so a restart continues after the last
// committed chunk and no record is applied twice. It returns a non-empty
// message when the batch failed as a whole (bad header, malformed CSV).
func (o *Org) processBatch(ctx context.Context, j *Job, batchID string) (failMsg string, err error) {
	b, err := o.Batch(ctx, batchID)
	if err != nil {
		if errors.Is(err, ErrNoJob) {
			return "", errAborted
		}
		return "", err
	}
	if b.State != BatchQueued && b.State != BatchInProgress {
		// Another worker finished it between the claim's read and ours.
		return "", nil
	}
	if b.State == BatchQueued && j.API == Bulk1 {
		if err := o.pause(o.jobDelay()); err != nil {
			return "", err
		}
		if msg := o.takeBatchFailure(); msg != "" {
			return o.failBatch(ctx, j, b, msg)
		}
		if msg := o.takeLockBatch(); msg != "" {
			return o.failBatch(ctx, j, b, msg)
		}
	}
	data, err := o.BatchData(ctx, b.ID)
	if err != nil {
		return "", err
	}
	// XML and JSON batches were checked when they were added; here they
	// become the CSV the engine reads.
	var rows *batchRows
	switch {
	case j.API == Bulk1 && j.ContentType == asyncXML:
		rows, err = xmlBatchRows(data)
	case j.API == Bulk1 && j.ContentType == asyncJSON:
		rows, err = jsonBatchRows(data)
	}
	if err != nil {
		return o.failBatch(ctx, j, b, "InvalidBatch : "+err.Error())
	}
	if rows != nil {
		data = rows.csv()
	}
	started := time.Now()
	rd := sfcsv.NewReader(data, j.delimiter(), j.lineEnding())
	header, _, err := rd.Read()
	if err != nil && !errors.Is(err, sfcsv.ErrEOF) {
		return o.failBatch(ctx, j, b, "ClientInputError : Failed to parse CSV header. "+csvErrMsg(err))
	}
	header = append([]string(nil), header...)
	plan, perr := o.prepareIngest(ctx, j, header)
	if perr != nil {
		return o.failBatch(ctx, j, b, perr.Error())
	}
	if b.RowsTotal < 0 {
		lims := o.Limits()
		n, err := countRows(rd, lims)
		if err != nil {
			var le limitError
			if errors.As(err, &le) {
				return o.failBatch(ctx, j, b, string(le))
			}
			return o.failBatch(ctx, j, b, "ClientInputError : Failed to parse CSV. "+csvErrMsg(err))
		}
		if j.API == Bulk1 && n > lims.BatchRecords {
			// UNCERTAIN: wording, after the Bulk client library's own
			// "Exceeded number of records : N. Number of records should be
			// less than or equal to M".
			return o.failBatch(ctx, j, b, fmt.Sprintf("InvalidBatch : Exceeded number of records : %d. Number of records should be less than or equal to %d", n, lims.BatchRecords))
		}
		b.RowsTotal = n
		rd = sfcsv.NewReader(data, j.delimiter(), j.lineEnding())
		rd.Read() // header
	}
	err = o.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE _batches SET state = ?, rows_total = ?, system_modstamp = ? WHERE id = ?`,
			BatchInProgress, b.RowsTotal, formatStamp(o.stamp()), b.ID)
		return err
	})
	if err != nil {
		return "", err
	}
	// Skip what committed chunks already applied.
	for i := 0; i < b.NextRow; i++ {
		if _, _, err := rd.Read(); err != nil {
			break
		}
	}
	row := b.NextRow
	chunk := make([]inputRow, 0, chunkSize)
	for {
		chunk = chunk[:0]
		for len(chunk) < chunkSize {
			cells, raw, err := rd.Read()
			if errors.Is(err, sfcsv.ErrEOF) {
				break
			}
			chunk = append(chunk, inputRow{cells: append([]string(nil), cells...), raw: raw})
		}
		if len(chunk) == 0 {
			break
		}
		if err := o.pause(0); err != nil {
			return "", err
		}
		state, err := o.jobState(ctx, j.ID)
		if err != nil {
			return "", err
		}
		// A Bulk 1.0 batch in progress when its job is aborted still
		// completes; a 2.0 job stops.
		if state == "" || (state == StateAborted || state == StateFailed) && j.API == Bulk2 {
			o.markBatchNotProcessed(ctx, b.ID)
			return "", errAborted
		}
		if err := o.applyChunk(ctx, j, b, plan, chunk, row); err != nil {
			return "", err
		}
		row += len(chunk)
		if err := o.pause(o.chunkDelay()); err != nil {
			return "", err
		}
	}
	elapsed := time.Since(started).Milliseconds()
	err = o.write(ctx, func(tx *sql.Tx) error {
		stamp := formatStamp(o.stamp())
		if _, err := tx.ExecContext(ctx, `UPDATE _batches SET state = ?, total_processing_time = total_processing_time + ?,
			system_modstamp = ? WHERE id = ?`, BatchCompleted, elapsed, stamp, b.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE _jobs SET total_processing_time = total_processing_time + ?, system_modstamp = ? WHERE id = ?`,
			elapsed, stamp, j.ID)
		return err
	})
	return "", err
}

// inputRow is one uploaded data row.
type inputRow struct {
	cells []string
	raw   []byte
}

// applyChunk applies one chunk and records its results, in one
// transaction.
func (o *Org) applyChunk(ctx context.Context, j *Job, b *Batch, plan *ingestPlan, chunk []inputRow, firstRow int) error {
	batchID := b.ID
	locker := o.rowLocker()
	return o.write(ctx, func(tx *sql.Tx) error {
		t0 := time.Now()
		results, err := o.applyRows(ctx, tx, plan, chunk, firstRow, func(row int) bool { return locker.locked(b.Seq, row) })
		if err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO _results(batch_id, row, success, created, record_id, error, echo) VALUES(?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		var failed int64
		w := sfcsv.NewWriter(j.delimiter(), sfcsv.LF)
		for i, r := range results {
			if !r.Success {
				failed++
			}
			w.Reset()
			for k, v := range r.Values {
				w.Quoted(v, k == 0)
			}
			if _, err := ins.ExecContext(ctx, batchID, firstRow+i, r.Success, r.Created, r.ID, r.Error, string(w.Bytes())); err != nil {
				return err
			}
		}
		active := time.Since(t0).Milliseconds()
		n := int64(len(chunk))
		stamp := formatStamp(o.stamp())
		if _, err := tx.ExecContext(ctx, `UPDATE _batches SET next_row = ?, records_processed = records_processed + ?,
			records_failed = records_failed + ?, api_active_processing_time = api_active_processing_time + ?,
			system_modstamp = ? WHERE id = ?`, firstRow+len(chunk), n, failed, active, stamp, batchID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE _jobs SET records_processed = records_processed + ?, records_failed = records_failed + ?,
			api_active_processing_time = api_active_processing_time + ?, system_modstamp = ? WHERE id = ?`,
			n, failed, active, stamp, j.ID)
		return err
	})
}

func (o *Org) jobState(ctx context.Context, id string) (string, error) {
	var s string
	err := o.db.QueryRowContext(ctx, `SELECT state FROM _jobs WHERE id = ?`, id).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return s, err
}

// failBatch marks a batch Failed with a message like "InvalidBatch : Field
// name not found : X" and returns that message for the job.
func (o *Org) failBatch(ctx context.Context, j *Job, b *Batch, msg string) (string, error) {
	err := o.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE _batches SET state = ?, state_message = ?, system_modstamp = ? WHERE id = ?`,
			BatchFailed, msg, formatStamp(o.stamp()), b.ID)
		return err
	})
	return msg, err
}

func (o *Org) markBatchNotProcessed(ctx context.Context, batchID string) {
	o.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE _batches SET state = ?, system_modstamp = ? WHERE id = ? AND state IN (?, ?)`,
			BatchNotProcessed, formatStamp(o.stamp()), batchID, BatchQueued, BatchInProgress)
		return err
	})
}

// limitError is a batch over a per-value or per-record limit; its text is
// the batch's stateMessage.
type limitError string

func (e limitError) Error() string { return string(e) }

// countRows reads the remaining rows, returning their number or the first
// malformed row's error, or a limitError for a value or record longer
// than the limits allow. UNCERTAIN: the wording of those two.
func countRows(rd *sfcsv.Reader, lims Limits) (int, error) {
	n := 0
	for {
		cells, _, err := rd.Read()
		if errors.Is(err, sfcsv.ErrEOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
		total := 0
		for _, c := range cells {
			k := len(c)
			if k > lims.FieldChars/4 {
				k = utf8.RuneCountInString(c)
			}
			if k > lims.FieldChars {
				return n, limitError(fmt.Sprintf("InvalidBatch : Field value in record %d exceeds the maximum of %d characters", n, lims.FieldChars))
			}
			total += k
		}
		if total > lims.RecordChars {
			return n, limitError(fmt.Sprintf("InvalidBatch : Record %d exceeds the maximum of %d characters", n, lims.RecordChars))
		}
	}
}

func csvErrMsg(err error) string {
	var e *sfcsv.Error
	if errors.As(err, &e) {
		return fmt.Sprintf("%s (line %d)", e.Msg, e.Line)
	}
	return err.Error()
}
