package planner

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/state"
)

// JobOf says which job of a plan writes a change, and in which part of
// apply: the jobs are one per object, operation and level (JobKey), run in
// the order Plan.Jobs lists them. A change may be written by two jobs (a
// replacement is deleted, then inserted) or by none (an adoption or rebind
// without field changes only binds state). Apply and the job estimate use
// this one rule.
func JobOf(ch *Change) []JobKey {
	switch ch.Action {
	case Insert:
		return []JobKey{{Object: ch.Object, Operation: state.OpInsert, Level: ch.Level}}
	case Replace:
		return []JobKey{
			{Object: ch.Object, Operation: state.OpDelete, Level: 0, Replace: true},
			{Object: ch.Object, Operation: state.OpInsert, Level: ch.Level},
		}
	case Update:
		return []JobKey{{Object: ch.Object, Operation: state.OpUpdate, Level: ch.Level}}
	case Adopt, Rebind:
		if ch.ChangedFields() > 0 {
			return []JobKey{{Object: ch.Object, Operation: state.OpUpdate, Level: ch.Level}}
		}
	case DeferredUpdate:
		return []JobKey{{Object: ch.Object, Operation: state.OpUpdate, Level: ch.Level, Deferred: true}}
	case Delete:
		return []JobKey{{Object: ch.Object, Operation: state.OpDelete, Level: ch.Level}}
	}
	return nil
}

// JobKey identifies one job of a plan.
type JobKey struct {
	Object    string
	Operation state.Operation
	Level     int
	Deferred  bool // the updates that close reference cycles
	Replace   bool // the deletes of replaced records, before the inserts
}

// Key is the job's JobKey.
func (j Job) Key() JobKey {
	return JobKey{Object: j.Object, Operation: j.Operation, Level: j.Level, Deferred: j.Deferred, Replace: j.Replace}
}

// phase orders the parts of apply: replaced records are deleted first,
// then inserts and updates level by level (at each level the inserts, then
// the updates), the deferred updates, and deletes (highest level first, so
// that children go before their parents). Jobs of one phase and level may
// run at the same time.
func (k JobKey) phase() int {
	switch {
	case k.Replace:
		return 0
	case k.Operation == state.OpInsert:
		return 1
	case k.Operation == state.OpUpdate && !k.Deferred:
		return 2
	case k.Deferred:
		return 3
	}
	return 4
}

// stage groups the phases whose jobs interleave by level: inserts and
// updates.
func (k JobKey) stage() int {
	if p := k.phase(); p > 1 {
		return p - 1
	}
	return k.phase()
}

func compareJobKeys(a, b JobKey) int {
	if c := cmp.Compare(a.stage(), b.stage()); c != 0 {
		return c
	}
	if a.phase() == 4 || a.Replace {
		if c := cmp.Compare(b.Level, a.Level); c != 0 {
			return c
		}
	} else if c := cmp.Compare(a.Level, b.Level); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(a.phase(), b.phase()), cmp.Compare(a.Object, b.Object))
}

// Batch sizes of the job estimate.
const (
	bulk1BatchRecords  = 10_000 // Bulk API 1.0: records per batch
	bulk2BatchRecords  = 10_000 // Bulk API 2.0: records per batch counted against the daily limit
	collectionsRecords = 200    // sObject Collections: records per request
)

// limitNames are the org limits a plan shows.
var limitNames = []string{"DailyApiRequests", "DailyBulkApiBatches", "DailyBulkV2QueryJobs"}

// estimate lists the jobs apply will run, with the API each goes through
// and its cost, and reads the org's remaining daily limits.
func (b *builder) estimate(ctx context.Context) error {
	count := map[JobKey]int{}
	for _, o := range b.plan.Objects {
		for i := range o.Changes {
			for _, k := range JobOf(&o.Changes[i]) {
				count[k]++
			}
		}
	}
	keys := make([]JobKey, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareJobKeys)
	bulkAPI := APIBulk2
	if b.cfg.Org != nil && b.cfg.Org.Bulk == hcl.Bulk1 {
		bulkAPI = APIBulk1
	}
	for _, k := range keys {
		n := count[k]
		j := Job{Object: k.Object, Operation: k.Operation, Level: k.Level, Deferred: k.Deferred, Replace: k.Replace, Records: n}
		switch {
		case b.opts.API == APIRESTOnly, b.opts.API == APIAuto && n < b.opts.RESTThreshold:
			j.API = APIREST
			j.Batches = ceilDiv(n, collectionsRecords)
		case bulkAPI == APIBulk1:
			j.API = APIBulk1
			size := bulk1BatchRecords
			if op := b.object(k.Object); op != nil && op.cfg != nil && op.cfg.BatchSize > 0 {
				size = op.cfg.BatchSize
			}
			j.Batches = ceilDiv(n, size)
		default:
			j.API = APIBulk2
			j.Batches = ceilDiv(n, bulk2BatchRecords)
		}
		b.plan.Jobs = append(b.plan.Jobs, j)
	}
	limits, err := b.org.Limits(ctx)
	if err != nil {
		b.plan.Warnings = append(b.plan.Warnings, Warning{Message: fmt.Sprintf("the org's daily limits could not be read: %v", err)})
		return nil
	}
	for _, name := range limitNames {
		if l, ok := limits[name]; ok {
			b.plan.Limits = append(b.plan.Limits, Limit{Name: name, Max: l.Max, Remaining: l.Remaining})
		}
	}
	return nil
}

func ceilDiv(n, d int) int { return (n + d - 1) / d }
