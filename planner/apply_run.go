package planner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/state"
)

// row is one record of a job: the change it carries out and what is sent.
type row struct {
	ch  *Change
	rec bulk.Record
	// refs are the Ids of the records this apply inserted that the row's
	// fields refer to, by field.
	refs map[string]string
	// key is, for an insert, the row's key values in the job's key field
	// order (canonical, references resolved).
	key []string
	// id is the record's Id for an update or a delete.
	id string
	// parent orders rows so that records of one parent are written
	// together (fewer UNABLE_TO_LOCK_ROW).
	parent   string
	reported bool
}

// job is one execJob while it runs.
type job struct {
	*execJob
	status    JobStatus
	rows      []*row
	keyFields []string
	progress  map[string]bulk.Progress // by Salesforce job id
	// attempts are the Salesforce jobs' attempts (bulk.JobRef.Attempt), by
	// id: 0 for the first submission of records, more for resubmissions
	// after UNABLE_TO_LOCK_ROW.
	attempts map[string]int
	// results counts the records with a result, failed those of them that
	// failed, unprocessed those of them Salesforce did not process.
	results, failed, unprocessed int
	lastNote                     time.Time
}

func (a *applier) runJob(ctx context.Context, ej *execJob) error {
	j := &job{execJob: ej, progress: map[string]bulk.Progress{}, attempts: map[string]int{}}
	a.mu.Lock()
	a.seq++
	j.status = JobStatus{Seq: a.seq, Job: ej.Job}
	a.mu.Unlock()
	j.rows = a.buildRows(j)
	if a.o.Observer != nil {
		a.o.Observer.JobStarted(j.status)
	}
	if len(j.rows) == 0 {
		return a.endJob(ctx, j, nil, nil)
	}
	api := bulk.Bulk2
	switch j.API {
	case APIBulk1:
		api = bulk.Bulk1
	case APIREST:
		api = bulk.REST
	}
	op := map[state.Operation]bulk.Operation{state.OpInsert: bulk.Insert, state.OpUpdate: bulk.Update, state.OpDelete: bulk.Delete}[j.Operation]
	req := bulk.IngestRequest{
		Object:      j.Object,
		Operation:   op,
		API:         api,
		KeyFields:   j.keyFields,
		LockRetries: a.o.LockRetries,
		Submit:      a.o.Submit,
		Records: func(yield func(bulk.Record) bool) {
			for _, r := range j.rows {
				if !yield(r.rec) {
					return
				}
			}
		},
		OnJob:      func(ctx context.Context, ref bulk.JobRef) error { return a.journal(ctx, j, ref) },
		OnResult:   func(r bulk.Result) error { return a.result(j, r) },
		OnProgress: func(p bulk.Progress) { a.progress(j, p) },
	}
	sum, err := a.c.Ingest(ctx, req)
	return a.endJob(ctx, j, &sum, err)
}

// buildRows turns the job's changes into records to send, skipping those
// that depend on a record this apply did not insert.
func (a *applier) buildRows(j *job) []*row {
	if j.Operation == state.OpInsert && len(j.changes) > 0 {
		for _, k := range j.changes[0].Key {
			j.keyFields = append(j.keyFields, k.Field)
		}
		for _, ch := range j.changes[1:] {
			if !sameKeyFields(ch.Key, j.keyFields) {
				j.keyFields = nil
				break
			}
		}
	}
	rows := make([]*row, 0, len(j.changes))
	for _, ch := range j.changes {
		r, why := a.buildRow(j, ch)
		if why != "" {
			a.skip(j, ch, why)
			continue
		}
		rows = append(rows, r)
	}
	slices.SortStableFunc(rows, func(x, y *row) int { return strings.Compare(x.parent, y.parent) })
	return rows
}

func sameKeyFields(key []KeyValue, fields []string) bool {
	if len(key) != len(fields) {
		return false
	}
	for i, k := range key {
		if k.Field != fields[i] {
			return false
		}
	}
	return true
}

// buildRow builds one row, or says why the change cannot be sent.
func (a *applier) buildRow(j *job, ch *Change) (*row, string) {
	r := &row{ch: ch, rec: bulk.Record{}}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case j.Replace:
		// The delete of a record being replaced.
		r.id = ch.ID
		r.rec["Id"] = bulk.Text(ch.ID)
		return r, ""
	case j.Operation == state.OpDelete:
		r.id = ch.ID
		r.rec["Id"] = bulk.Text(ch.ID)
		return r, ""
	case ch.Action == Replace:
		if _, ok := a.missing[ch.Address]; ok {
			return nil, "the delete of the record it replaces did not succeed, so the old record is kept"
		}
	case ch.Action == DeferredUpdate:
		id, ok := a.ids[ch.Address]
		if !ok {
			return nil, "its insert did not succeed, so the fields left out of it to break a reference cycle were not set"
		}
		r.id = id
		r.rec["Id"] = bulk.Text(id)
	case j.Operation == state.OpUpdate:
		r.id = ch.ID
		r.rec["Id"] = bulk.Text(ch.ID)
	}
	var parents []string
	for _, f := range ch.Fields {
		insert := j.Operation == state.OpInsert
		switch {
		case insert && f.Deferred:
			continue // set by the deferred update
		case !insert && !f.Changed():
			continue // an update sends only what changes
		}
		v := f.New
		if f.Ref != "" {
			id, ok := a.ids[f.Ref]
			if !ok {
				why := a.missing[f.Ref]
				if why == "" {
					why = "was not inserted"
				}
				return nil, fmt.Sprintf("%s, which it refers to through %s, %s", f.Ref, f.Field, shortWhy(why))
			}
			if r.refs == nil {
				r.refs = map[string]string{}
			}
			r.refs[f.Field] = id
			v = Value{typ: TypeID, s: id}
		}
		bv, err := bulkValue(v)
		if err != nil {
			return nil, fmt.Sprintf("%s: %v", f.Field, err)
		}
		r.rec[f.Field] = bv
		if v.typ == TypeID && !v.IsNull() {
			parents = append(parents, v.s)
		}
	}
	if j.Operation == state.OpInsert {
		// The key columns go with every insert: Bulk API 2.0 results are
		// matched to records by them, and so is a journaled job's after a
		// crash.
		for _, k := range ch.Key {
			v := k.Value
			if id, ok := r.refs[k.Field]; ok {
				v = Value{typ: TypeID, s: id}
			}
			if _, ok := r.rec[k.Field]; !ok && !v.IsNull() {
				bv, err := bulkValue(v)
				if err != nil {
					return nil, fmt.Sprintf("%s: %v", k.Field, err)
				}
				r.rec[k.Field] = bv
			}
			if j.keyFields != nil {
				r.key = append(r.key, v.Canonical())
			}
		}
	}
	r.parent = strings.Join(parents, ",")
	return r, ""
}

// shortWhy words why a referenced record is missing, after its address.
func shortWhy(why string) string {
	switch why {
	case whyFailed:
		return "failed"
	case whyNotApplied:
		return "was not applied"
	case whyUnknown:
		return "was sent, but its outcome is unknown"
	}
	return "was skipped"
}

const (
	whyFailed     = "failed"
	whyNotApplied = "not applied"
	whyUnknown    = "outcome unknown"
)

// skip records a change that was not attempted, and makes its record
// missing for those that depend on it.
func (a *applier) skip(j *job, ch *Change, why string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	j.status.Skipped++
	a.res.Skipped = append(a.res.Skipped, SkippedChange{Address: ch.Address, Object: ch.Object, Action: ch.Action, Reason: why})
	if j.Operation == state.OpInsert {
		a.missing[ch.Address] = "skipped: " + why
	}
}

// journal records a Bulk job in state before its data is uploaded.
func (a *applier) journal(ctx context.Context, j *job, ref bulk.JobRef) error {
	api := state.Bulk2
	if ref.API == bulk.Bulk1 {
		api = state.Bulk1
	}
	sj := state.Job{
		ID: ref.ID, API: api, APIVersion: ref.Version, Object: j.Object, Operation: j.Operation,
		Level: j.Level, Created: time.Now(),
	}
	sj.Addresses = make([]string, len(j.rows))
	for i, r := range j.rows {
		sj.Addresses[i] = r.ch.Address
	}
	if j.Operation == state.OpInsert && j.keyFields != nil {
		sj.KeyFields = j.keyFields
		sj.Keys = make([][]string, len(j.rows))
		for i, r := range j.rows {
			sj.Keys[i] = r.key
		}
	}
	if err := a.s.AddJob(sj); err != nil {
		return err
	}
	a.mu.Lock()
	j.status.IDs = append(j.status.IDs, ref.ID)
	j.attempts[ref.ID] = ref.Attempt
	a.mu.Unlock()
	a.log.Debug("journal job", "job", ref.ID, "object", j.Object, "operation", j.Operation, "rows", len(j.rows))
	if err := a.st.Persist(context.WithoutCancel(ctx)); err != nil {
		a.s.RemoveJob(ref.ID)
		return fmt.Errorf("save state before uploading job %s: %w", ref.ID, err)
	}
	if a.o.Observer != nil {
		// The job's id is news: a display shows it as the job starts.
		a.mu.Lock()
		st := a.snapshot(j, false)
		a.mu.Unlock()
		a.o.Observer.JobProgress(st)
	}
	return nil
}

// progress passes a Bulk job's progress on.
func (a *applier) progress(j *job, p bulk.Progress) {
	a.mu.Lock()
	j.progress[p.JobID] = p
	st := a.snapshot(j, false)
	a.mu.Unlock()
	if a.o.Observer != nil {
		a.o.Observer.JobProgress(st)
	}
}

// snapshot is the job's status now, counting every record once: the
// records' own results where they came, else what Salesforce reports of the
// jobs that first submitted them (a resubmission's progress counts records
// already counted). final is for the job's end: a failure it shows is
// then a record's final outcome. a.mu held.
func (a *applier) snapshot(j *job, final bool) JobStatus {
	var processed, failed int64
	resubmitted := false
	for id, at := range j.attempts {
		if at > 0 {
			resubmitted = true
			continue
		}
		processed += j.progress[id].Processed
		failed += j.progress[id].Failed
	}
	st := j.status
	st.IDs = slices.Clone(st.IDs)
	st.JobErrors = slices.Clone(st.JobErrors)
	st.Processed = min(max(int(processed), j.results-j.unprocessed), len(j.rows))
	st.Unprocessed = j.unprocessed
	st.Failed = j.failed - j.unprocessed
	// The first jobs' failed counts include records that fail with
	// UNABLE_TO_LOCK_ROW and are resubmitted, whose results are held back
	// until their final attempt: they stand in for the records' failures
	// until the resubmissions start, and at the end only for records whose
	// results were never read.
	if !resubmitted && (!final || st.Unknown > 0) {
		st.Failed = max(st.Failed, int(failed))
	}
	st.Failed = min(st.Failed, st.Processed)
	return st
}

// result records one record's outcome in state and in the result.
func (a *applier) result(j *job, res bulk.Result) error {
	if res.Index < 0 || res.Index >= len(j.rows) {
		return fmt.Errorf("%s %s: result for record %d of %d", j.Operation, j.Object, res.Index, len(j.rows))
	}
	r := j.rows[res.Index]
	a.mu.Lock()
	defer func() {
		notify := j.API == APIREST || time.Since(j.lastNote) > 200*time.Millisecond
		var st JobStatus
		if notify {
			j.lastNote = time.Now()
			st = a.snapshot(j, false)
		}
		a.mu.Unlock()
		if notify && a.o.Observer != nil {
			a.o.Observer.JobProgress(st)
		}
	}()
	if r.reported {
		return nil
	}
	r.reported = true
	j.results++
	ch := r.ch
	if !res.Success && j.Operation == state.OpDelete && isDeleted(res.Errors) {
		// Already gone (deleted outside sfsync, or with its parent): what
		// the delete was for.
		res.Success = true
	}
	if !res.Success {
		j.failed++
		if res.Unprocessed {
			j.unprocessed++
		}
		a.res.Failures = append(a.res.Failures, RecordFailure{
			Address: ch.Address, Object: ch.Object, Action: ch.Action, Operation: j.Operation,
			Errors: res.Errors, Unprocessed: res.Unprocessed,
		})
		if j.Operation == state.OpInsert || j.Replace {
			a.missing[ch.Address] = whyFailed
		}
		return nil
	}
	var err error
	switch {
	case j.Operation == state.OpDelete:
		a.s.Remove(ch.Address)
		a.res.Deleted++
	case j.Operation == state.OpInsert:
		id := sfid.To18(res.ID)
		a.ids[ch.Address] = id
		err = a.s.Bind(state.Record{Address: ch.Address, Object: ch.Object, ID: id,
			Key: keyMap(ch.Key, r.refs), Hash: appliedHash(ch, r.refs)})
		a.res.Inserted++
		a.wrote(j, r, id)
	case ch.Action == DeferredUpdate:
		// The record's insert left these fields out; now every value is
		// written, so the hash covers the insert's fields too.
		rec, ok := a.s.Record(ch.Address)
		if ok {
			refs := map[string]string{}
			ins := a.insertOf(ch.Address)
			if ins != nil {
				for _, f := range ins.Fields {
					if f.Ref != "" {
						if id, ok := a.ids[f.Ref]; ok {
							refs[f.Field] = id
						}
					}
				}
				rec.Hash = appliedHash(ins, refs)
			}
			err = a.s.Bind(rec)
		}
		a.wrote(j, r, r.id)
	default: // an update, or the update of an adopted or rebound record
		rec := state.Record{Address: ch.Address, Object: ch.Object, ID: r.id, Key: keyMap(ch.Key, r.refs), Hash: appliedHash(ch, r.refs)}
		if prev, ok := a.s.Record(ch.Address); ok && len(rec.Key) == 0 {
			rec.Key = prev.Key
		}
		err = a.s.Bind(rec)
		if ch.Action == Update {
			a.res.Updated++
		}
		a.wrote(j, r, r.id)
	}
	if err != nil {
		// The org took the write but state cannot record it as planned
		// (an Id bound to another address): say so on the record.
		a.res.Failures = append(a.res.Failures, RecordFailure{
			Address: ch.Address, Object: ch.Object, Action: ch.Action, Operation: j.Operation,
			Errors: []bulk.RecordError{{StatusCode: "SFSYNC_STATE", Message: "written to the org, but not recorded in state: " + err.Error()}},
		})
	}
	return nil
}

// insertOf returns the insert (or replacement) of the record at address in
// this plan; a.mu held.
func (a *applier) insertOf(address string) *Change {
	if a.inserts == nil {
		a.inserts = map[string]*Change{}
		for _, o := range a.p.Objects {
			for i := range o.Changes {
				if ch := &o.Changes[i]; ch.Action == Insert || ch.Action == Replace {
					a.inserts[ch.Address] = ch
				}
			}
		}
	}
	return a.inserts[address]
}

func isDeleted(errs []bulk.RecordError) bool {
	for _, e := range errs {
		if e.StatusCode == "ENTITY_IS_DELETED" {
			return true
		}
	}
	return false
}

// endJob accounts for records without a result, drops the job's Bulk jobs
// from the journal once their results are all recorded, and persists.
//
// A record without a result was either never sent (apply was interrupted,
// or stopped by an error before its turn) or sent without its outcome
// coming back: the org's answer was lost, or a Bulk job's results could not
// be read. The bulk package submits records in order and counts those it
// sent (those in a job, batch or call that may have written them; not
// those whose job was never created), so the first sum.Records of the
// job's rows are the ones sent.
func (a *applier) endJob(ctx context.Context, j *job, sum *bulk.IngestSummary, err error) error {
	stopped := errors.Is(err, bulk.ErrSubmitStopped) || ctx.Err() != nil
	sent := 0
	if sum != nil {
		sent = sum.Records
	}
	// Every result of the write's jobs was reported unless it met an error
	// of another kind than job failures and a stop, or was aborted: then
	// its jobs stay journaled, and Recover records the rest (recording a
	// result twice is harmless).
	complete := sum != nil && ctx.Err() == nil && onlyJobErrors(err)
	a.mu.Lock()
	for i, r := range j.rows {
		if r.reported {
			continue
		}
		if i < sent {
			j.status.Unknown++
			a.res.Unknown++
			if j.Operation == state.OpInsert || j.Replace {
				a.missing[r.ch.Address] = whyUnknown
			}
			continue
		}
		j.status.NotSent++
		a.res.NotApplied++
		if j.Operation == state.OpInsert || j.Replace {
			a.missing[r.ch.Address] = whyNotApplied
		}
	}
	if stopped {
		a.res.Interrupted = true
	}
	j.status.JobErrors = jobErrors(err)
	if sum != nil && !complete && len(sum.Jobs) > 0 {
		j.status.Journaled = true
	}
	a.mu.Unlock()
	if complete {
		for _, ref := range sum.Jobs {
			a.s.RemoveJob(ref.ID)
		}
	}
	perr := a.st.Persist(context.WithoutCancel(ctx))
	a.mu.Lock()
	st := a.snapshot(j, true)
	a.res.Jobs = append(a.res.Jobs, st)
	a.mu.Unlock()
	if a.o.Observer != nil {
		a.o.Observer.JobFinished(st)
	}
	if perr != nil {
		return fmt.Errorf("save state after %s %s: %w", j.Operation, j.Object, perr)
	}
	if err != nil && !onlyJobErrors(err) {
		if ctx.Err() != nil {
			return nil // aborted: run reports it
		}
		// The sObject Collections calls of the bulk package already name
		// the operation and object.
		if prefix := fmt.Sprintf("%s %s: ", j.Operation, j.Object); strings.HasPrefix(err.Error(), prefix) {
			return err
		}
		return fmt.Errorf("%s %s: %w", j.Operation, j.Object, err)
	}
	return nil
}

// jobErrors are the messages of the jobs or batches that err says
// Salesforce failed as a whole.
func jobErrors(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *bulk.JobError:
			out = append(out, e.Error())
		case interface{ Unwrap() []error }:
			for _, e := range e.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// onlyJobErrors reports whether err is nil or made only of jobs or batches
// that Salesforce failed as a whole (their records are reported failed) and
// the stop of submitting.
func onlyJobErrors(err error) bool {
	if err == nil || errors.Is(err, bulk.ErrSubmitStopped) && !isJoined(err) {
		return true
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !onlyJobErrors(e) {
				return false
			}
		}
		return true
	}
	var je *bulk.JobError
	return errors.As(err, &je)
}

func isJoined(err error) bool {
	_, ok := err.(interface{ Unwrap() []error })
	return ok
}

// bulkValue is v as the bulk package writes it.
func bulkValue(v Value) (bulk.Value, error) {
	kind := bulkKind(v.typ)
	if kind == bulk.KindText {
		return bulk.Text(v.s), nil // "" is null; any other text is sent as it is
	}
	return bulk.ParseValue(kind, v.s)
}

// bulkKind is the bulk package's kind for a field type: the one whose
// comparison (bulk.Canonical, which correlates Bulk API 2.0 results) is
// Value.Equal's for a value read from the org.
func bulkKind(t FieldType) bulk.Kind {
	switch t {
	case TypeBoolean:
		return bulk.KindBool
	case TypeInteger:
		return bulk.KindInteger
	case TypeNumber:
		return bulk.KindNumber
	case TypeDate:
		return bulk.KindDate
	case TypeDateTime:
		return bulk.KindDateTime
	case TypeTime:
		return bulk.KindTime
	case TypeID:
		return bulk.KindID
	case TypeMultiPicklist:
		return bulk.KindMultiPicklist
	}
	return bulk.KindText
}
