package localorg

import (
	"time"

	"github.com/sfsync/sfsync/internal/sfvalue"
)

// Timestamps the org stores and prints. Salesforce keeps milliseconds.
const (
	// stampLayout is the storage form of datetimes (BRIEF encoding): UTC,
	// fixed width, so text order is time order.
	stampLayout = sfvalue.DateTimeLayout
	// jsonLayout is the REST and Bulk 2.0 JSON form.
	jsonLayout = sfvalue.RESTDateTimeLayout
)

// stamp returns the time of a change: now at millisecond precision, but
// always later than the previous stamp, so that SystemModstamp and
// LastModifiedDate move on every change even within one millisecond.
// Callers hold o.wmu.
func (o *Org) stamp() time.Time {
	t := o.now().UTC().Truncate(time.Millisecond)
	if !t.After(o.lastStamp) {
		t = o.lastStamp.Add(time.Millisecond)
	}
	o.lastStamp = t
	return t
}

func (o *Org) now() time.Time {
	if o.opts.Clock != nil {
		return o.opts.Clock()
	}
	return time.Now()
}

func formatStamp(t time.Time) string { return t.UTC().Format(stampLayout) }

func parseStamp(s string) time.Time {
	t, err := time.Parse(stampLayout, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// jsonTime renders a stored stamp the way 2.0 JSON and REST do:
// 2024-09-09T19:25:27.000+0000.
func jsonTime(t time.Time) string { return t.UTC().Format(jsonLayout) }
