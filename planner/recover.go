package planner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/state"
)

// RecoveredJob is a journaled job that Recover finished.
type RecoveredJob struct {
	ID        string
	Object    string
	Operation state.Operation
	// Recorded counts the records whose outcome was recorded in state
	// (inserted records bound, deleted ones forgotten, updated ones marked);
	// Failed the records Salesforce refused or did not process; Unmatched
	// the results that named no journaled record.
	Recorded, Failed, Unmatched int
	// Gone is set when the org no longer knows the job (deleted, or past
	// its retention): nothing could be recorded, and the next plan finds
	// what it wrote by key.
	Gone bool
}

// Recover finishes the Bulk jobs journaled in st's state: jobs a killed or
// aborted apply left in flight. For each, oldest first, it waits until the
// org has processed it (a Bulk API 2.0 job whose upload never completed is
// aborted: it processed nothing), maps every record's result back to its
// address — inserts by the key values journaled with the job, updates and
// deletes by Id — records the outcome in state, drops the job from the
// journal and persists.
//
// plan and apply call it first, before reading the org, so that what those
// jobs wrote is in state and what the org holds is final: no record is
// inserted twice. A record whose result cannot be mapped is still found by
// its key when the org is read, and adopted.
//
// An error leaves the job that met it (and those after it) journaled; the
// jobs before it are recorded and persisted.
func Recover(ctx context.Context, c *bulk.Client, st *state.Store, onProgress func(bulk.Progress)) ([]RecoveredJob, error) {
	var out []RecoveredJob
	s := st.State()
	for _, j := range s.Jobs() {
		rj, err := recoverJob(ctx, c, s, j, onProgress)
		if err != nil {
			return out, fmt.Errorf("finish journaled job %s (%s %s): %w", j.ID, j.Operation, j.Object, err)
		}
		s.RemoveJob(j.ID)
		if err := st.Persist(context.WithoutCancel(ctx)); err != nil {
			return out, fmt.Errorf("save state after finishing job %s: %w", j.ID, err)
		}
		out = append(out, rj)
	}
	return out, nil
}

func recoverJob(ctx context.Context, c *bulk.Client, s *state.State, j state.Job, onProgress func(bulk.Progress)) (RecoveredJob, error) {
	rj := RecoveredJob{ID: j.ID, Object: j.Object, Operation: j.Operation}
	var match func(bulk.Result) (int, bool)
	if j.Operation == state.OpInsert {
		m, err := insertMatcher(ctx, c, j)
		if err != nil {
			return rj, err
		}
		match = m
	}
	api := bulk.Bulk2
	if j.API == state.Bulk1 {
		api = bulk.Bulk1
	}
	_, err := c.Resume(ctx, bulk.ResumeRequest{
		API: api, JobID: j.ID, Version: j.APIVersion, OnProgress: onProgress,
		OnResult: func(r bulk.Result) error {
			recoverResult(s, j, r, match, &rj)
			return nil
		},
	})
	var ae *bulk.APIError
	var je *bulk.JobError
	switch {
	case err == nil, errors.As(err, &je):
		// A job failed or aborted as a whole still reported its records.
		return rj, nil
	case errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound:
		rj.Gone = true
		return rj, nil
	}
	return rj, err
}

// recoverResult records one result of a journaled job.
func recoverResult(s *state.State, j state.Job, r bulk.Result, match func(bulk.Result) (int, bool), rj *RecoveredJob) {
	if !r.Success && j.Operation == state.OpDelete && isDeleted(r.Errors) {
		r.Success = true
	}
	if !r.Success {
		rj.Failed++
		return
	}
	switch j.Operation {
	case state.OpInsert:
		row, ok := match(r)
		if !ok || !sfid.Valid(r.ID) {
			rj.Unmatched++
			return
		}
		addr := j.Addresses[row]
		if prev, bound := s.Record(addr); bound && !sfid.Equal(prev.ID, r.ID) {
			rj.Unmatched++ // the address was bound again since: leave it
			return
		}
		key := map[string]string{}
		for i, f := range j.KeyFields {
			key[f] = j.Keys[row][i]
		}
		if err := s.Bind(state.Record{Address: addr, Object: j.Object, ID: r.ID, Key: key}); err != nil {
			rj.Unmatched++
			return
		}
	default:
		id := r.ID
		if id == "" && r.Row != nil {
			id, _ = r.Row.Get("Id")
		}
		rec, ok := s.RecordByID(id)
		if !ok {
			rj.Unmatched++
			return
		}
		if j.Operation == state.OpDelete {
			s.Remove(rec.Address)
		} else {
			// Which values the update wrote is not journaled: the hash of
			// the applied values is no longer known.
			rec.Hash = ""
			if err := s.Bind(rec); err != nil {
				rj.Unmatched++
				return
			}
		}
	}
	rj.Recorded++
}

// insertMatcher maps an insert job's results to addresses by the key
// values journaled with the job, compared as the planner compares keys
// (typed by describe; text case-insensitive unless the field is
// case-sensitive). Results come back with the key columns echoed (Bulk API
// 2.0) or beside the request row (Bulk API 1.0).
func insertMatcher(ctx context.Context, c *bulk.Client, j state.Job) (func(bulk.Result) (int, bool), error) {
	if len(j.KeyFields) == 0 {
		return func(bulk.Result) (int, bool) { return 0, false }, nil
	}
	specs := make([]FieldSpec, len(j.KeyFields))
	cs := make([]bool, len(j.KeyFields))
	d, err := c.Describe(ctx, j.Object)
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", j.Object, err)
	}
	for i, name := range j.KeyFields {
		specs[i] = FieldSpec{Type: TypeText}
		if f, ok := d.Field(name); ok {
			if spec, ok := SpecOf(f); ok {
				specs[i] = spec
			}
			cs[i] = f.CaseSensitive
		}
	}
	keyOf := func(texts []string, parse func(FieldSpec, string) (Value, error)) (string, bool) {
		parts := make([]string, len(texts))
		for i, t := range texts {
			v, err := parse(specs[i], t)
			if err != nil {
				return "", false
			}
			parts[i] = v.Key(cs[i])
		}
		return strings.Join(parts, "\x00"), true
	}
	index := make(map[string]int, len(j.Addresses))
	dup := map[string]bool{}
	for i := range j.Addresses {
		k, ok := keyOf(j.Keys[i], ParseCell)
		if !ok {
			continue
		}
		if _, seen := index[k]; seen {
			dup[k] = true
		}
		index[k] = i
	}
	return func(r bulk.Result) (int, bool) {
		if r.Row == nil {
			return 0, false
		}
		texts := make([]string, len(j.KeyFields))
		for i, f := range j.KeyFields {
			texts[i], _ = r.Row.Get(f)
			if texts[i] == bulk.Null().String() {
				texts[i] = ""
			}
		}
		k, ok := keyOf(texts, ParseOrg)
		if !ok || dup[k] {
			return 0, false
		}
		i, ok := index[k]
		return i, ok
	}, nil
}
