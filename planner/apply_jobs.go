package planner

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/state"
)

// APIChoice is the -api flag: which API apply writes through. The zero value
// is invalid.
type APIChoice int

const (
	_ APIChoice = iota
	// APIAuto writes a job of fewer than JobOptions.Threshold records
	// through sObject Collections and a larger one through a Bulk job.
	APIAuto
	// APIBulkOnly writes every job through the Bulk API.
	APIBulkOnly
	// APIRESTOnly writes every job through sObject Collections.
	APIRESTOnly
	apiChoiceEnd
)

var apiChoiceNames = [...]string{APIAuto: "auto", APIBulkOnly: "bulk", APIRESTOnly: "rest"}

func (m APIChoice) String() string {
	if m <= 0 || m >= apiChoiceEnd {
		return fmt.Sprintf("APIChoice(%d)", int(m))
	}
	return apiChoiceNames[m]
}

// ParseAPIChoice reads auto, bulk or rest.
func ParseAPIChoice(s string) (APIChoice, error) {
	for m := APIAuto; m < apiChoiceEnd; m++ {
		if apiChoiceNames[m] == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("-api=%s: want auto, bulk or rest", s)
}

// DefaultRESTThreshold is the number of records from which -api=auto writes a
// job through the Bulk API rather than sObject Collections.
const DefaultRESTThreshold = 200

// JobOptions say how a plan's changes become jobs.
type JobOptions struct {
	// API is the -api flag (zero: APIAuto).
	API APIChoice
	// Threshold is, with APIAuto, the number of records from which a job
	// goes through the Bulk API (zero: DefaultRESTThreshold).
	Threshold int
	// Bulk is the Bulk API for Bulk jobs: APIBulk2 (zero) or APIBulk1.
	Bulk JobAPI
}

func (o JobOptions) withDefaults() JobOptions {
	if o.API == 0 {
		o.API = APIAuto
	}
	if o.Threshold <= 0 {
		o.Threshold = DefaultRESTThreshold
	}
	if o.Bulk != APIBulk1 {
		o.Bulk = APIBulk2
	}
	return o
}

// api picks the API of a job of n records.
func (o JobOptions) api(n int) JobAPI {
	switch {
	case o.API == APIRESTOnly, o.API == APIAuto && n < o.Threshold:
		return APIREST
	}
	return o.Bulk
}

// Phases of an apply, in the order they run.
const (
	// phaseReplaceDelete deletes the records being replaced, children
	// before parents, before anything is inserted.
	phaseReplaceDelete = iota
	// phaseInsert inserts, parents before children; replacements are
	// inserted here too.
	phaseInsert
	// phaseUpdate updates existing records (adopted and rebound ones
	// included) and then closes reference cycles (deferred updates).
	phaseUpdate
	// phaseDelete deletes, children before parents.
	phaseDelete
)

// execJob is one job of an apply: the changes of one object, operation
// and level.
type execJob struct {
	Job
	phase   int
	changes []*Change
}

// schedule groups the plan's changes into jobs, in the order apply runs
// them:
//
//  1. deletes of records being replaced (-/+), highest level first;
//  2. inserts (replacements included), lowest level first: a record's
//     references point at lower levels, so the Ids it needs exist;
//  3. updates, lowest level first, each level's deferred updates (which
//     close reference cycles) in jobs of their own;
//  4. deletes, highest level first, so children go before their parents.
//
// Within a phase, jobs of one level are independent of each other and may
// run at the same time; jobs are ordered by object name. Adopt and rebind
// without changed fields write nothing to the org: they are recorded in
// state before the first job, and are in no job.
//
// A replacement deletes the old record before inserting the new one. The
// other order — insert, then delete — would keep the old record if the
// insert failed, but cannot work whenever the key is a unique field (the
// new record would duplicate it), and would leave two records with one key
// if the delete then failed. Deleting first frees the key; state forgets the
// old record as soon as its delete succeeds, so if the insert then fails (or
// apply is killed in between) the next plan inserts the record again: the
// desired record is never lost, only the old Id, which a replacement gives
// up anyway. If the delete fails, the insert is skipped and the old record
// stays as it was.
func schedule(p *Plan) []*execJob {
	type groupKey struct {
		phase             int
		level             int
		object            string
		op                state.Operation
		deferred, replace bool
	}
	groups := map[groupKey]*execJob{}
	add := func(k groupKey, ch *Change) {
		j := groups[k]
		if j == nil {
			j = &execJob{Job: Job{Object: k.object, Operation: k.op, Level: k.level, Deferred: k.deferred, Replace: k.replace}, phase: k.phase}
			groups[k] = j
		}
		j.changes = append(j.changes, ch)
	}
	for _, o := range p.Objects {
		for i := range o.Changes {
			ch := &o.Changes[i]
			k := groupKey{level: ch.Level, object: ch.Object}
			switch ch.Action {
			case Insert:
				k.phase, k.op = phaseInsert, state.OpInsert
			case Replace:
				add(groupKey{phase: phaseReplaceDelete, level: ch.Level, object: ch.Object, op: state.OpDelete, replace: true}, ch)
				k.phase, k.op = phaseInsert, state.OpInsert
			case Update:
				k.phase, k.op = phaseUpdate, state.OpUpdate
			case Adopt, Rebind:
				if ch.ChangedFields() == 0 {
					continue
				}
				k.phase, k.op = phaseUpdate, state.OpUpdate
			case DeferredUpdate:
				k.phase, k.op, k.deferred = phaseUpdate, state.OpUpdate, true
			case Delete:
				k.phase, k.op = phaseDelete, state.OpDelete
			default:
				continue
			}
			add(k, ch)
		}
	}
	jobs := make([]*execJob, 0, len(groups))
	for _, j := range groups {
		j.Records = len(j.changes)
		jobs = append(jobs, j)
	}
	slices.SortFunc(jobs, compareJobs)
	return jobs
}

// compareJobs orders jobs as apply runs them (see schedule).
func compareJobs(a, b *execJob) int {
	if c := cmp.Compare(a.phase, b.phase); c != 0 {
		return c
	}
	la, lb := a.Level, b.Level
	if a.phase == phaseReplaceDelete || a.phase == phaseDelete {
		la, lb = -la, -lb
	}
	return cmp.Or(cmp.Compare(la, lb), cmpBool(a.Deferred, b.Deferred), strings.Compare(a.Object, b.Object))
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// sameWave reports whether two jobs (in schedule order) may run at the same
// time: same phase and level.
func sameWave(a, b *execJob) bool { return a.phase == b.phase && a.Level == b.Level }

// ScheduleJobs returns the jobs apply runs for p, in the order it runs them
// (see the phases below), each with the API it goes through and what it
// costs in batches. plan shows them; apply runs exactly these.
//
// Phases: deletes of records being replaced (highest level first), then
// inserts (lowest level first), then updates (deferred updates that close
// reference cycles after the others of their level), then deletes (highest
// level first, so children before parents). One job per object, operation
// and level; adopt and rebind without changed fields are state-only and in
// no job.
func ScheduleJobs(p *Plan, o JobOptions) []Job {
	o = o.withDefaults()
	var out []Job
	for _, j := range schedule(p) {
		job := j.Job
		job.API = o.api(job.Records)
		job.Batches = batchesOf(job.API, job.Records)
		out = append(out, job)
	}
	return out
}

// batchesOf estimates what a job of n records costs: Bulk API 1.0 batches
// of at most 10,000 records, Bulk API 2.0 batches as counted against the
// daily limit (one per 10,000 records), or sObject Collections calls of at
// most 200 records.
func batchesOf(api JobAPI, n int) int {
	per := bulk.MaxBatchRecords1
	if api == APIREST {
		per = bulk.MaxCollectionsSize
	}
	return (n + per - 1) / per
}
