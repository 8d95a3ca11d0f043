package planner

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/sfsync/sfsync/bulk"
)

// reader runs the plan's queries: small ones through REST, large ones
// through the Bulk API, every one streamed.
type reader struct {
	org      Org
	progress func(ProgressEvent)
	bulkAPI  bulk.API // Bulk2, or Bulk1 when the org block asks for it
}

const (
	// restReadLimit is the most records a query reads through REST; more go
	// through a Bulk query job. A REST page holds up to 2,000 records, and
	// a Bulk job costs a DailyBulkV2QueryJobs unit and polling, so small
	// reads are faster and cheaper through REST.
	restReadLimit = 10_000
	// maxWhereChars bounds the IN lists of lookups, so that a REST query's
	// URL stays well under the 16,384 characters Salesforce accepts.
	maxWhereChars = 8_000
	// scanThreshold is the number of keys or Ids above which a lookup reads
	// the whole object (one Bulk query) instead of chunked IN lists.
	scanThreshold = 5_000
)

func (r *reader) report(ev ProgressEvent) {
	if r.progress != nil {
		r.progress(ev)
	}
}

// count returns the number of records of object matching where.
func (r *reader) count(ctx context.Context, object, where string) (int64, error) {
	soql := "SELECT COUNT(Id) FROM " + object
	if where != "" {
		soql += " WHERE " + where
	}
	var n int64 = -1
	rows := r.org.Query(ctx, soql, bulk.QueryOptions{API: bulk.REST})
	defer rows.Close()
	if rows.Next() && len(rows.Row().Values) > 0 {
		v, perr := strconv.ParseInt(rows.Row().Values[0], 10, 64)
		if perr != nil {
			return 0, fmt.Errorf("count %s: %q is not a number", object, rows.Row().Values[0])
		}
		n = v
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, fmt.Errorf("count %s: no result", object)
	}
	return n, nil
}

// query streams the rows of soql to fn, through REST when expect (the
// number of rows the caller expects, or -1 when unknown) is small and
// through the Bulk API otherwise.
func (r *reader) query(ctx context.Context, step, object, soql string, expect int64, fn func(bulk.Row) error) error {
	return r.queries(ctx, step, object, []string{soql}, expect, fn)
}

// queries runs several queries of one object as one step — the chunks of a
// lookup's IN lists — with one progress report: rows counted across them,
// and one Done event at the end. An error stops at the query that met it.
func (r *reader) queries(ctx context.Context, step, object string, soqls []string, expect int64, fn func(bulk.Row) error) error {
	api := r.bulkAPI
	if expect >= 0 && expect <= restReadLimit {
		api = bulk.REST
	}
	var n int64
	for _, soql := range soqls {
		if err := r.each(ctx, soql, api, func(row bulk.Row) error {
			if err := fn(row); err != nil {
				return err
			}
			n++
			if n%10_000 == 0 {
				r.report(ProgressEvent{Step: step, Object: object, Rows: n})
			}
			return nil
		}); err != nil {
			return err
		}
	}
	r.report(ProgressEvent{Step: step, Object: object, Rows: n, Done: true})
	return nil
}

// each streams the rows of one query to fn.
func (r *reader) each(ctx context.Context, soql string, api bulk.API, fn func(bulk.Row) error) error {
	rows := r.org.Query(ctx, soql, bulk.QueryOptions{API: api})
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Row()); err != nil {
			return err
		}
	}
	return rows.Err()
}

// inChunks splits an IN list into WHERE conditions of at most
// maxWhereChars characters: field IN (a, b, …).
func inChunks(field string, literals []string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, field+" IN ("+b.String()+")")
			b.Reset()
		}
	}
	for _, l := range literals {
		if b.Len() > 0 && b.Len()+len(l)+2 > maxWhereChars {
			flush()
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(l)
	}
	flush()
	return out
}

// orChunks joins conditions with OR into WHERE conditions of at most
// maxWhereChars characters.
func orChunks(conds []string) []string {
	var out []string
	var b strings.Builder
	for _, c := range conds {
		c = "(" + c + ")"
		if b.Len() > 0 && b.Len()+len(c)+4 > maxWhereChars {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString(c)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// soqlLiteral renders a value for a SOQL comparison, as bulk.SOQLLiteral
// does: text, picklist, Id and time values quoted; numbers, booleans, dates
// and datetimes bare; null as null.
func soqlLiteral(v Value) string {
	bv, err := bulk.ParseValue(bulkKind(v.typ), v.s)
	if err != nil {
		// Canonical texts always parse; quote anything else.
		return bulk.QuoteSOQL(v.s)
	}
	return bulk.SOQLLiteral(bv)
}

// selectList renders the SELECT list: Id and SystemModstamp, then cols.
func selectList(cols []string) string {
	return "Id, SystemModstamp" + func() string {
		if len(cols) == 0 {
			return ""
		}
		return ", " + strings.Join(cols, ", ")
	}()
}
