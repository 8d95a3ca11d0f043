package planner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/state"
)

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Jobs choose each job's API. With Jobs.API unset, a job the plan lists
	// (Plan.Jobs) goes through the API the plan showed, and any other job
	// through the API -api=auto would pick.
	Jobs JobOptions
	// Parallel is how many jobs of one level run at the same time (zero:
	// 2).
	Parallel int
	// LockRetries is how often records that failed with UNABLE_TO_LOCK_ROW
	// are resubmitted (zero: the bulk package's default of 3; negative:
	// never).
	LockRetries int
	// Submit is cancelled by the first Ctrl-C: no new job (and no new batch
	// of a running one) is started; jobs in flight finish and are recorded.
	// Cancelling the ctx given to Apply (the second Ctrl-C) aborts them.
	Submit context.Context
	// Observer is told about jobs as they run; nil: nobody.
	Observer Observer
	// NoReadBack skips reading the written records back.
	NoReadBack bool
	// Log receives debug lines; nil discards.
	Log *slog.Logger
}

// Observer follows an apply as it runs: the command layer draws progress
// bars or prints lines from it. Its methods are called from the goroutines
// that run jobs, possibly at the same time for different jobs.
type Observer interface {
	// JobStarted is called when a job starts.
	JobStarted(JobStatus)
	// JobProgress is called as records are processed.
	JobProgress(JobStatus)
	// JobFinished is called when every record of the job has its result.
	JobFinished(JobStatus)
}

// JobStatus is one job of an apply and how far it got. Its counts are of
// records, each counted once however often it was resubmitted after
// UNABLE_TO_LOCK_ROW.
type JobStatus struct {
	// Seq numbers the jobs of the apply from 1, in the order they start.
	Seq int
	Job
	// IDs are the Salesforce ids of the Bulk jobs it took (one, or more when
	// records were resubmitted after UNABLE_TO_LOCK_ROW); none for sObject
	// Collections.
	IDs []string
	// Processed counts the records Salesforce processed so far, Failed those
	// of them that failed. When the job has finished, Failed is the final
	// outcome; while it runs it may include records that failed with
	// UNABLE_TO_LOCK_ROW and are resubmitted.
	Processed, Failed int
	// Unprocessed counts the records Salesforce did not process: their job
	// or batch failed as a whole (JobErrors), or was aborted.
	Unprocessed int
	// Skipped counts the job's records that were not sent: a record they
	// refer to was not written.
	Skipped int
	// NotSent counts the records never sent to the org because apply was
	// interrupted or stopped by an error.
	NotSent int
	// Unknown counts the records sent to the org whose outcome apply does
	// not know: the org's answer was lost (sObject Collections), or a Bulk
	// job's results could not be read (then Journaled is set).
	Unknown int
	// Journaled: the job's Bulk jobs stay journaled in the state because
	// their results were not all read; the next plan or apply waits for them
	// and records what they did.
	Journaled bool
	// JobErrors say why Salesforce failed Bulk jobs or batches of the job
	// as a whole ("job 750… failed: InternalServerError : …").
	JobErrors []string
}

// ApplyResult is what an apply did.
type ApplyResult struct {
	// Inserted, Updated and Deleted count the records written (a replaced
	// record counts as inserted and deleted); Adopted and Rebound the
	// records only recorded in state; Forgotten the addresses removed from
	// state without an org write (ObjectPlan.Forget).
	Inserted, Updated, Deleted, Adopted, Rebound, Forgotten int
	// Failures are the records Salesforce refused or did not process,
	// sorted by object and address.
	Failures []RecordFailure
	// Skipped are the changes not attempted because a record they depend on
	// was not written, sorted by object and address.
	Skipped []SkippedChange
	// Interrupted is set when apply stopped early (Ctrl-C); NotApplied
	// counts the changes it did not get to (interrupted, or stopped by an
	// error).
	Interrupted bool
	NotApplied  int
	// Unknown counts the records sent to the org whose outcome is not known
	// (JobStatus.Unknown): the next plan finds those written by their key,
	// after recording the results of the Bulk jobs left journaled.
	Unknown int
	// Warnings report what the read-back found: fields the org stored
	// differently from what apply wrote.
	Warnings []Warning
	// Jobs are the jobs that ran, in the order they started.
	Jobs []JobStatus
}

// Partial reports whether some records failed or were skipped (exit code
// 3).
func (r *ApplyResult) Partial() bool { return len(r.Failures)+len(r.Skipped) > 0 }

// Wrote reports whether the apply wrote to the org or to the state, or may
// have written to the org (records whose outcome is unknown): an apply
// stopped by an error after that is not one that failed before writing.
func (r *ApplyResult) Wrote() bool {
	return r.Inserted+r.Updated+r.Deleted+r.Adopted+r.Rebound+r.Forgotten+r.Unknown > 0
}

// RecordFailure is a record Salesforce refused, or did not process.
type RecordFailure struct {
	Address, Object string
	// Action is the change that failed; Operation what was sent (the
	// delete or the insert of a replacement).
	Action    Action
	Operation state.Operation
	// Errors are Salesforce's: status code, message and the fields named.
	Errors []bulk.RecordError
	// Unprocessed: Salesforce did not process the record (its job or batch
	// failed as a whole, or was aborted).
	Unprocessed bool
}

// SkippedChange is a change apply did not attempt, and why.
type SkippedChange struct {
	Address, Object string
	Action          Action
	Reason          string
}

// Apply executes the plan p: it writes its changes to the org through c in
// the order of Plan.Jobs (JobOf), one job per object, operation and level,
// and records every outcome in the state of st as it goes. A Bulk job's id
// is journaled (and the state persisted) before its data is uploaded; the
// state is persisted again after every finished job, so a killed apply
// loses nothing (Recover finishes what it left in flight).
//
// Records that fail are reported in the result, with the changes that
// depend on them skipped; they are no error. The error is for what stopped
// the apply (the org unreachable, the state not writable, an interrupt):
// the result then holds what was done until then, which the state records
// too.
//
// p must be the plan of the state held by st: Apply does not check that
// (CheckSaved does, for saved plans).
func Apply(ctx context.Context, c *bulk.Client, st *state.Store, p *Plan, opts ApplyOptions) (*ApplyResult, error) {
	a := &applier{
		c: c, st: st, s: st.State(), p: p, o: opts,
		ids:     map[string]string{},
		missing: map[string]string{},
		res:     &ApplyResult{},
		log:     opts.Log,
	}
	if a.o.Parallel <= 0 {
		a.o.Parallel = 2
	}
	if a.o.Submit == nil {
		a.o.Submit = context.Background()
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	jobs := schedule(p)
	if err := checkOrder(p, jobs); err != nil {
		return a.res, err
	}
	a.chooseAPIs(jobs)
	err := a.run(ctx, jobs)
	a.finish()
	return a.res, err
}

type applier struct {
	c   *bulk.Client
	st  *state.Store
	s   *state.State
	p   *Plan
	o   ApplyOptions
	log *slog.Logger

	mu sync.Mutex
	// ids are the Ids of the records inserted by this apply, by address.
	ids map[string]string
	// missing are the addresses of records this apply meant to insert (or
	// replace) but did not, with why: their dependants are skipped.
	missing map[string]string
	// written are the records written, by object, for the read-back.
	written map[string][]writtenRecord
	// inserts index the plan's inserts by address (for deferred updates).
	inserts map[string]*Change
	res     *ApplyResult
	seq     int
}

// checkOrder refuses a plan whose references do not follow its jobs: every
// Ref must name a record inserted by an earlier wave, or the record that
// refers would be written before the Id it needs exists. The planner never
// makes such a plan; a saved plan edited by hand might.
func checkOrder(p *Plan, jobs []*execJob) error {
	wave := map[string]int{} // address → index of the wave inserting it
	w := 0
	for i, j := range jobs {
		if i > 0 && !sameWave(jobs[i-1], j) {
			w++
		}
		if j.Operation == state.OpInsert {
			for _, ch := range j.changes {
				wave[ch.Address] = w
			}
		}
	}
	w = 0
	for i, j := range jobs {
		if i > 0 && !sameWave(jobs[i-1], j) {
			w++
		}
		if j.Replace || j.Operation == state.OpDelete {
			continue
		}
		for _, ch := range j.changes {
			for _, f := range ch.Fields {
				if f.Ref == "" || (f.Deferred && ch.Action == Insert) {
					continue
				}
				at, ok := wave[f.Ref]
				switch {
				case !ok:
					return fmt.Errorf("invalid plan: %s.%s refers to %s, which the plan does not insert", ch.Address, f.Field, f.Ref)
				case at >= w:
					return fmt.Errorf("invalid plan: %s (level %d) refers to %s through %s, which is not on a lower level", ch.Address, ch.Level, f.Ref, f.Field)
				}
			}
		}
	}
	return nil
}

// chooseAPIs gives every job its API: the plan's when the options leave it
// to the plan and the plan lists the job, else the options' rule.
func (a *applier) chooseAPIs(jobs []*execJob) {
	o := a.o.Jobs.withDefaults()
	planned := map[JobKey]JobAPI{}
	if a.o.Jobs.API == 0 {
		for _, j := range a.p.Jobs {
			planned[j.Key()] = j.API
		}
	}
	for _, j := range jobs {
		if api, ok := planned[j.key]; ok && api > 0 && api < jobAPIEnd {
			j.API = api
		} else {
			j.API = o.api(j.Records)
		}
		j.Batches = batchesOf(j.API, j.Records)
	}
}

// run records the state-only changes, then runs the jobs wave by wave.
func (a *applier) run(ctx context.Context, jobs []*execJob) error {
	if err := a.stateOnly(ctx); err != nil {
		return err
	}
	for start := 0; start < len(jobs); {
		end := start + 1
		for end < len(jobs) && sameWave(jobs[start], jobs[end]) {
			end++
		}
		wave := jobs[start:end]
		start = end
		if a.stopped(ctx) {
			a.notApplied(wave...)
			a.notApplied(jobs[end:]...)
			break
		}
		if err := a.runWave(ctx, wave); err != nil {
			a.notApplied(jobs[end:]...)
			return err
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("apply aborted: %w", ctx.Err())
	}
	if !a.res.Interrupted && !a.o.NoReadBack {
		a.readBack(ctx)
	}
	return nil
}

// stopped reports whether submitting was stopped (first Ctrl-C) or the
// apply aborted (second), marking the result interrupted.
func (a *applier) stopped(ctx context.Context) bool {
	if a.o.Submit.Err() != nil || ctx.Err() != nil {
		a.mu.Lock()
		a.res.Interrupted = true
		a.mu.Unlock()
		return true
	}
	return false
}

func (a *applier) notApplied(jobs ...*execJob) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, j := range jobs {
		a.res.NotApplied += len(j.changes)
	}
}

// runWave runs the jobs of one wave, a.o.Parallel at a time. A job that
// fails as a whole does not stop the others of its wave; the first such
// error stops the apply after the wave.
func (a *applier) runWave(ctx context.Context, wave []*execJob) error {
	sem := make(chan struct{}, a.o.Parallel)
	var wg sync.WaitGroup
	errs := make([]error, len(wave))
	for i, j := range wave {
		sem <- struct{}{}
		if a.stopped(ctx) {
			<-sem
			a.notApplied(wave[i:]...)
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = a.runJob(ctx, j)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// stateOnly records what writes nothing to the org — forgotten addresses,
// adoptions and rebinds (whose field changes, if any, are updates in a
// job) — and persists.
func (a *applier) stateOnly(ctx context.Context) error {
	n := 0
	for _, o := range a.p.Objects {
		for _, addr := range o.Forget {
			if _, ok := a.s.Remove(addr); ok {
				n++
				a.res.Forgotten++
			}
		}
	}
	for _, o := range a.p.Objects {
		for i := range o.Changes {
			ch := &o.Changes[i]
			if ch.Action != Adopt && ch.Action != Rebind {
				continue
			}
			n++
			if ch.Action == Rebind {
				if err := a.s.Rebind(ch.From, ch.Address); err != nil {
					return fmt.Errorf("rebind %s: %w", ch.Address, err)
				}
			}
			rec := AdoptedRecord(ch)
			if prev, ok := a.s.Record(ch.Address); ok && len(rec.Key) == 0 {
				rec.Key = prev.Key
			}
			if err := a.s.Bind(rec); err != nil {
				return fmt.Errorf("adopt %s: %w", ch.Address, err)
			}
			if ch.Action == Adopt {
				a.res.Adopted++
			} else {
				a.res.Rebound++
			}
		}
	}
	if n == 0 {
		return nil
	}
	if err := a.st.Persist(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// AdoptedRecord is the state record that binds an adopted (or rebound)
// change's address to its org record without an org write: its Id, its
// key, and the hash of its values when the change writes no field (else
// the update that writes them records the hash). Apply binds adoptions
// with it, and so does anything else that adopts as apply does.
func AdoptedRecord(ch *Change) state.Record {
	rec := state.Record{Address: ch.Address, Object: ch.Object, ID: ch.ID, Key: keyMap(ch.Key, nil)}
	if ch.ChangedFields() == 0 {
		rec.Hash = appliedHash(ch, nil)
	}
	return rec
}

// finish sorts the result's lists.
func (a *applier) finish() {
	slices.SortFunc(a.res.Failures, func(x, y RecordFailure) int {
		return cmp.Or(cmp.Compare(x.Object, y.Object), CompareAddresses(x.Address, y.Address), cmp.Compare(x.Operation, y.Operation))
	})
	slices.SortFunc(a.res.Skipped, func(x, y SkippedChange) int {
		return cmp.Or(cmp.Compare(x.Object, y.Object), CompareAddresses(x.Address, y.Address), cmp.Compare(x.Action, y.Action))
	})
	slices.SortStableFunc(a.res.Warnings, func(x, y Warning) int { return CompareAddresses(x.Address, y.Address) })
	slices.SortFunc(a.res.Jobs, func(x, y JobStatus) int { return cmp.Compare(x.Seq, y.Seq) })
}

// keyMap renders key values as state keeps them; refs resolves the key
// fields that refer to records inserted by this apply (field → Id).
func keyMap(key []KeyValue, refs map[string]string) map[string]string {
	if len(key) == 0 {
		return nil
	}
	m := make(map[string]string, len(key))
	for _, k := range key {
		v := k.Value.Canonical()
		if id, ok := refs[k.Field]; ok && v == "" {
			v = id
		}
		m[k.Field] = v
	}
	return m
}

// ValuesHash is the hash state keeps of a record's managed values
// (state.HashValues of their canonical texts, references as 18-character
// Ids): what apply records after writing them, and what a plan can compare
// with the desired values to tell whether they are the ones sfsync wrote.
func ValuesHash(values []KeyValue) string {
	m := make(map[string]string, len(values))
	for _, v := range values {
		m[v.Field] = v.Value.Canonical()
	}
	return state.HashValues(m)
}

// appliedHash is the hash of every managed value of the record once ch is
// applied: Fields (references resolved through refs, field → Id) and
// UnchangedValues. Empty (unknown) when the plan does not carry every
// unchanged value, or a reference is unresolved.
func appliedHash(ch *Change, refs map[string]string) string {
	if len(ch.UnchangedValues) != ch.Unchanged {
		return ""
	}
	vals := make([]KeyValue, 0, len(ch.Fields)+len(ch.UnchangedValues))
	for _, f := range ch.Fields {
		v := f.New
		if f.Ref != "" {
			id, ok := refs[f.Field]
			if !ok {
				return ""
			}
			v = Value{typ: TypeID, s: id}
		}
		vals = append(vals, KeyValue{Field: f.Field, Value: v})
	}
	vals = append(vals, ch.UnchangedValues...)
	return ValuesHash(vals)
}
