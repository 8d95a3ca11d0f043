package planner

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/state"
)

// writtenRecord is a record apply wrote, for the read-back: the change and
// which of its fields went out.
type writtenRecord struct {
	ch   *Change
	id   string
	refs map[string]string
	// insert: every field but the deferred ones; otherwise (updates and
	// deferred updates) the fields that change.
	insert bool
}

// values are the fields the write set, with references resolved.
func (w writtenRecord) values(yield func(FieldChange) bool) {
	for _, f := range w.ch.Fields {
		if w.insert && f.Deferred || !w.insert && !f.Changed() {
			continue
		}
		if f.Ref != "" {
			id, ok := w.refs[f.Field]
			if !ok {
				continue
			}
			f.New = Value{typ: TypeID, s: id}
		}
		if !yield(f) {
			return
		}
	}
}

// wrote remembers a written record for the read-back; a.mu held.
func (a *applier) wrote(j *job, r *row, id string) {
	if a.o.NoReadBack {
		return
	}
	if a.written == nil {
		a.written = map[string][]writtenRecord{}
	}
	w := writtenRecord{ch: r.ch, id: id, refs: r.refs, insert: j.Operation == state.OpInsert}
	a.written[j.Object] = append(a.written[j.Object], w)
}

// readBackChunk is how many Ids one REST read-back query names: the query
// travels in the URL, which Salesforce caps at 16,384 characters.
const readBackChunk = 300

// bulkReadBack is the number of written records of an object from which
// the read-back queries everything modified since the apply's first job of
// that object through the Bulk API, rather than naming Ids.
const bulkReadBack = 5000

// readBack reads the written records back and warns about every field the
// org stored differently from what apply wrote: a trigger, a workflow or a
// flow changed it, or Salesforce rounded or truncated it. It never fails
// the apply: a record or object that cannot be read back is a warning too.
func (a *applier) readBack(ctx context.Context) {
	objects := slices.Sorted(maps.Keys(a.written))
	for _, object := range objects {
		recs := a.written[object]
		byID := make(map[string][]writtenRecord, len(recs))
		fieldSet := map[string]bool{}
		for _, w := range recs {
			byID[w.id] = append(byID[w.id], w)
			for f := range w.values {
				fieldSet[f.Field] = true
			}
		}
		if len(fieldSet) == 0 {
			continue
		}
		fields := slices.Sorted(maps.Keys(fieldSet))
		seen := make(map[string]bool, len(byID))
		check := func(row bulk.Row) {
			id, _ := row.Get("Id")
			id = sfid.To18(id)
			ws, ok := byID[id]
			if !ok || seen[id] {
				return
			}
			seen[id] = true
			for _, w := range ws {
				for f := range w.values {
					got, _ := row.Get(f.Field)
					a.compare(w.ch.Address, f, got)
				}
			}
		}
		ids := slices.Sorted(maps.Keys(byID))
		var err error
		if len(ids) >= bulkReadBack {
			if since, ok := a.firstJobCreated(ctx, object); ok {
				soql := fmt.Sprintf("SELECT Id, %s FROM %s WHERE SystemModstamp >= %s", strings.Join(fields, ", "), object,
					since.UTC().Add(-time.Second).Format("2006-01-02T15:04:05Z"))
				err = a.c.QueryEach(ctx, soql, bulk.QueryOptions{API: a.queryAPI()}, func(r bulk.Row) error { check(r); return nil })
				ids = slices.DeleteFunc(ids, func(id string) bool { return seen[id] })
			}
		}
		if err == nil {
			err = a.readBackIDs(ctx, object, fields, ids, check)
		}
		if err != nil {
			a.res.Warnings = append(a.res.Warnings, Warning{Message: fmt.Sprintf("could not read the written %s records back: %v", object, err)})
			continue
		}
		for _, id := range ids {
			if !seen[id] {
				a.res.Warnings = append(a.res.Warnings, Warning{Address: byID[id][0].ch.Address,
					Message: fmt.Sprintf("written as %s, but not found when read back (deleted since?)", id)})
			}
		}
	}
}

// readBackIDs queries the records by Id, a few queries at a time.
func (a *applier) readBackIDs(ctx context.Context, object string, fields, ids []string, check func(bulk.Row)) error {
	var mu sync.Mutex
	var first error
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for chunk := range slices.Chunk(ids, readBackChunk) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			quoted := make([]string, len(chunk))
			for i, id := range chunk {
				quoted[i] = "'" + id + "'"
			}
			soql := fmt.Sprintf("SELECT Id, %s FROM %s WHERE Id IN (%s)", strings.Join(fields, ", "), object, strings.Join(quoted, ","))
			err := a.c.QueryEach(ctx, soql, bulk.QueryOptions{API: bulk.REST}, func(r bulk.Row) error {
				mu.Lock()
				defer mu.Unlock()
				check(r)
				return nil
			})
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

func (a *applier) queryAPI() bulk.API {
	if a.o.Jobs.Bulk == APIBulk1 {
		return bulk.Bulk1
	}
	return bulk.Bulk2
}

// firstJobCreated is when the org created the apply's first Bulk job of
// object, by the org's clock.
func (a *applier) firstJobCreated(ctx context.Context, object string) (time.Time, bool) {
	for _, j := range a.res.Jobs {
		if j.Object != object || len(j.IDs) == 0 {
			continue
		}
		var created string
		if j.API == APIBulk1 {
			job, err := a.c.OpenJob1(ctx, j.IDs[0])
			if err != nil {
				return time.Time{}, false
			}
			created = job.Info.CreatedDate
		} else {
			info, err := a.c.JobInfo2(ctx, false, j.IDs[0])
			if err != nil {
				return time.Time{}, false
			}
			created = info.CreatedDate
		}
		t, err := bulk.ParseDateTime(created)
		return t, err == nil
	}
	return time.Time{}, false
}

// compare warns when the org's value of a written field differs from the
// value written.
func (a *applier) compare(address string, f FieldChange, got string) {
	v, err := ParseOrg(FieldSpec{Type: f.New.Type()}, got)
	if err == nil && v.Equal(f.New) {
		return
	}
	var msg string
	switch {
	case f.Sensitive:
		msg = fmt.Sprintf("the org stored another value of %s than apply wrote (sensitive: values not shown); a trigger, workflow or flow may have changed it", f.Field)
	case err != nil:
		msg = fmt.Sprintf("the org stored %s = %q, which is not %s value; apply wrote %s", f.Field, got, withArticle(f.New.Type().String()), f.New.Display())
	default:
		msg = fmt.Sprintf("the org stored %s = %s where apply wrote %s (a trigger, workflow or flow, or rounding, changed it)", f.Field, v.Display(), f.New.Display())
	}
	a.res.Warnings = append(a.res.Warnings, Warning{Address: address, Message: msg})
}
