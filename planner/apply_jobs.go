package planner

import (
	"slices"

	"github.com/sfsync/sfsync/bulk"
)

// JobOptions say how a plan's changes become jobs.
type JobOptions struct {
	// API is the -api flag; zero leaves each job to the plan (Plan.Jobs),
	// and APIAuto decides the jobs the plan does not list.
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

// execJob is one job of an apply: the changes of one object, operation
// and level (JobOf).
type execJob struct {
	Job
	key     JobKey
	changes []*Change
}

// schedule groups the plan's changes into jobs (JobOf) in the order apply
// runs them (the order of Plan.Jobs): deletes of replaced records first,
// then inserts and updates lowest level first, at each level the inserts
// before the updates (a record's references point at lower levels, so the
// Ids it needs exist, and so does the update that frees a unique value it
// takes), the deferred updates that close reference cycles, and deletes
// highest level first (children before their parents). Jobs of one phase
// and level are independent and may run at the same time. Adoptions and
// rebinds without changed fields are in no job: apply records them in
// state before the first job.
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
	groups := map[JobKey]*execJob{}
	for _, o := range p.Objects {
		for i := range o.Changes {
			ch := &o.Changes[i]
			for _, k := range JobOf(ch) {
				j := groups[k]
				if j == nil {
					j = &execJob{key: k, Job: Job{Object: k.Object, Operation: k.Operation, Level: k.Level, Deferred: k.Deferred, Replace: k.Replace}}
					groups[k] = j
				}
				j.changes = append(j.changes, ch)
			}
		}
	}
	jobs := make([]*execJob, 0, len(groups))
	for _, j := range groups {
		j.Records = len(j.changes)
		jobs = append(jobs, j)
	}
	slices.SortFunc(jobs, func(a, b *execJob) int { return compareJobKeys(a.key, b.key) })
	return jobs
}

// sameWave reports whether two jobs (in schedule order) may run at the same
// time: same phase and level.
func sameWave(a, b *execJob) bool { return a.key.phase() == b.key.phase() && a.Level == b.Level }

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
