package localorg

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
	"github.com/sfsync/sfsync/localorg/internal/schema"
)

// Limits are the org's allocations and size limits. A zero field takes
// Salesforce's value (reference §2.12, §3.10, §4.4); tests lower them to
// reach the limits cheaply (Options.Limits, Org.SetLimits, or the admin
// API's /__localorg/limits).
type Limits struct {
	// DailyApiRequests is the allocation of authenticated API calls
	// (REST, Bulk 1.0 and 2.0); exhausted, REST answers 403
	// REQUEST_LIMIT_EXCEEDED and Bulk 1.0 ExceededQuota.
	DailyApiRequests int64 `json:"dailyApiRequests,omitempty"`
	// DailyBulkApiBatches is the Bulk batch allocation per rolling 24
	// hours, shared by Bulk 1.0 batches and Bulk 2.0 ingest jobs (one per
	// 10,000 records).
	DailyBulkApiBatches int64 `json:"dailyBulkApiBatches,omitempty"`
	// DailyBulkV2QueryJobs is the Bulk 2.0 query job allocation per
	// rolling 24 hours.
	DailyBulkV2QueryJobs int64 `json:"dailyBulkV2QueryJobs,omitempty"`
	// BatchRecords is the most records in one Bulk 1.0 batch (10,000).
	BatchRecords int `json:"batchRecords,omitempty"`
	// BatchBytes is the largest Bulk 1.0 batch body (10 MB).
	BatchBytes int64 `json:"batchBytes,omitempty"`
	// BatchChars is the most characters in one Bulk 1.0 batch (10,000,000).
	BatchChars int64 `json:"batchChars,omitempty"`
	// UploadBytes is the largest Bulk 2.0 upload (100 MB of raw CSV).
	UploadBytes int64 `json:"uploadBytes,omitempty"`
	// FieldChars and RecordChars bound one value and one record of an
	// upload (131,072 and 400,000 characters).
	FieldChars  int `json:"fieldChars,omitempty"`
	RecordChars int `json:"recordChars,omitempty"`
}

// DefaultLimits are Salesforce's values (Developer Edition's
// DailyApiRequests, the allocations of the docs' /limits example).
var DefaultLimits = Limits{
	DailyApiRequests:     15000,
	DailyBulkApiBatches:  15000,
	DailyBulkV2QueryJobs: 10000,
	BatchRecords:         10000,
	BatchBytes:           10 << 20,
	BatchChars:           10_000_000,
	UploadBytes:          100 << 20,
	FieldChars:           131072,
	RecordChars:          400000,
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.DailyApiRequests > 0 {
		d.DailyApiRequests = l.DailyApiRequests
	}
	if l.DailyBulkApiBatches > 0 {
		d.DailyBulkApiBatches = l.DailyBulkApiBatches
	}
	if l.DailyBulkV2QueryJobs > 0 {
		d.DailyBulkV2QueryJobs = l.DailyBulkV2QueryJobs
	}
	if l.BatchRecords > 0 {
		d.BatchRecords = l.BatchRecords
	}
	if l.BatchBytes > 0 {
		d.BatchBytes = l.BatchBytes
	}
	if l.BatchChars > 0 {
		d.BatchChars = l.BatchChars
	}
	if l.UploadBytes > 0 {
		d.UploadBytes = l.UploadBytes
	}
	if l.FieldChars > 0 {
		d.FieldChars = l.FieldChars
	}
	if l.RecordChars > 0 {
		d.RecordChars = l.RecordChars
	}
	return d
}

// Limits returns the limits in force.
func (o *Org) Limits() Limits {
	o.limMu.Lock()
	defer o.limMu.Unlock()
	return o.lims
}

// SetLimits replaces the limits in force; zero fields take Salesforce's
// values.
func (o *Org) SetLimits(l Limits) {
	o.limMu.Lock()
	defer o.limMu.Unlock()
	o.lims = l.withDefaults()
}

// Usage is how much of the daily allocations has been used.
type Usage struct {
	APIRequests     int64 `json:"apiRequests"`
	BulkApiBatches  int64 `json:"bulkApiBatches"`
	BulkV2QueryJobs int64 `json:"bulkV2QueryJobs"`
}

// Usage returns the use of the daily allocations: API calls since the org
// was opened (or ResetUsage), Bulk batches and query jobs counted from the
// stored jobs of the last 24 hours.
func (o *Org) Usage(ctx context.Context) (Usage, error) {
	n, err := o.bulkCounts(ctx)
	if err != nil {
		return Usage{}, err
	}
	return Usage{APIRequests: atomic.LoadInt64(&o.apiCalls), BulkApiBatches: n.batches + n.batches2, BulkV2QueryJobs: n.queryJobs}, nil
}

// ResetUsage starts the daily allocations afresh, as if a day had passed.
func (o *Org) ResetUsage() {
	atomic.StoreInt64(&o.apiCalls, 0)
	// Stamps run ahead of the clock when many changes share a
	// millisecond; count from after the last one given.
	o.wmu.Lock()
	since := o.now().UTC().Truncate(time.Millisecond)
	if !since.After(o.lastStamp) {
		since = o.lastStamp.Add(time.Millisecond)
	}
	o.wmu.Unlock()
	o.limMu.Lock()
	o.usageSince = since
	o.limMu.Unlock()
}

// apiRequestsLeft reports whether the DailyApiRequests allocation has
// room for one more call.
func (o *Org) apiRequestsLeft() bool {
	return atomic.LoadInt64(&o.apiCalls) < o.Limits().DailyApiRequests
}

// errRequestLimit is REST's answer once DailyApiRequests is used up.
var errRequestLimit = &apiError{Status: http.StatusForbidden, Code: "REQUEST_LIMIT_EXCEEDED", Msg: "TotalRequests Limit exceeded."}

// bulkBatchesLeft reports whether the DailyBulkApiBatches allocation has
// room for another batch.
func (o *Org) bulkBatchesLeft(ctx context.Context) (bool, error) {
	n, err := o.bulkCounts(ctx)
	if err != nil {
		return false, err
	}
	return n.batches+n.batches2 < o.Limits().DailyBulkApiBatches, nil
}

// limits serves GET /limits: {"Name": {"Max": n, "Remaining": n}, ...} in
// alphabetical order, as Salesforce lists them.
func (o *Org) limits(c *call) {
	used := atomic.LoadInt64(&o.apiCalls)
	lims := o.Limits()
	type lim struct {
		name           string
		max, remaining int64
	}
	list := []lim{
		{"ConcurrentAsyncGetReportInstances", 200, 200},
		{"ConcurrentSyncReportRuns", 20, 20},
		{"DailyApiRequests", lims.DailyApiRequests, max(0, lims.DailyApiRequests-used)},
		{"DailyAsyncApexExecutions", 250000, 250000},
		{"DailyBulkApiBatches", lims.DailyBulkApiBatches, lims.DailyBulkApiBatches},
		{"DailyBulkV2QueryFileStorageMB", 976562, 976562},
		{"DailyBulkV2QueryJobs", lims.DailyBulkV2QueryJobs, lims.DailyBulkV2QueryJobs},
		{"DailyDurableStreamingApiEvents", 10000, 10000},
		{"DailyGenericStreamingApiEvents", 10000, 10000},
		{"DailyStandardVolumePlatformEvents", 10000, 10000},
		{"DailyStreamingApiEvents", 10000, 10000},
		{"DailyWorkflowEmails", 2000, 2000},
		{"DataStorageMB", 1024, 1024},
		{"FileStorageMB", 1024, 1024},
		{"HourlyDashboardRefreshes", 200, 200},
		{"HourlyODataCallout", 10000, 10000},
		{"HourlyTimeBasedWorkflow", 50, 50},
		{"MassEmail", 10, 10},
		{"SingleEmail", 15, 15},
		{"StreamingApiConcurrentClients", 20, 20},
	}
	if n, err := o.bulkCounts(c.r.Context()); err == nil {
		for i := range list {
			switch list[i].name {
			case "DailyBulkApiBatches":
				list[i].remaining = max(0, list[i].max-n.batches-n.batches2)
			case "DailyBulkV2QueryJobs":
				list[i].remaining = max(0, list[i].max-n.queryJobs)
			}
		}
	}
	var body jsonw.Object
	for _, l := range list {
		body = body.Add(l.name, jsonw.Object{}.Add("Max", l.max).Add("Remaining", l.remaining))
	}
	c.rest(http.StatusOK, body)
}

// bulkUsage is the Bulk API allocation used in the last 24 hours.
type bulkUsage struct {
	batches   int64 // Bulk 1.0 batches
	batches2  int64 // one per 10,000 records of a 2.0 ingest job
	queryJobs int64 // Bulk 2.0 query jobs
}

func (o *Org) bulkCounts(ctx context.Context) (bulkUsage, error) {
	var u bulkUsage
	from := o.now().Add(-24 * time.Hour)
	o.limMu.Lock()
	if o.usageSince.After(from) {
		from = o.usageSince
	}
	o.limMu.Unlock()
	since := formatStamp(from)
	err := o.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM _batches b JOIN _jobs j ON j.id = b.job_id WHERE j.api = 1 AND b.created_date >= ?1),
		(SELECT coalesce(sum(max(1, (records_processed + 9999) / 10000)), 0) FROM _jobs WHERE api = 2 AND kind = ?2 AND created_date >= ?1),
		(SELECT count(*) FROM _jobs WHERE api = 2 AND kind = ?3 AND created_date >= ?1)`,
		since, int(KindIngest), int(KindQuery)).Scan(&u.batches, &u.batches2, &u.queryJobs)
	return u, err
}

// recordCount serves GET /limits/recordCount?sObjects=A,B: the number of
// live records per object (all storable objects when none are named).
func (o *Org) recordCount(c *call) {
	var objs []*schema.Object
	if names := c.r.URL.Query().Get("sObjects"); names != "" {
		for _, n := range strings.Split(names, ",") {
			if obj := o.object(strings.TrimSpace(n)); obj != nil && storable(obj) {
				objs = append(objs, obj)
			}
		}
	} else {
		for _, obj := range o.Schema().Objects() {
			if storable(obj) {
				objs = append(objs, obj)
			}
		}
	}
	list := []any{}
	for _, obj := range objs {
		q := `SELECT count(*) FROM ` + quoteIdent(obj.Name)
		if obj.Field("IsDeleted") != nil {
			q += ` WHERE IsDeleted = 0`
		}
		var n int64
		if err := o.db.QueryRowContext(c.r.Context(), q).Scan(&n); err != nil {
			c.fail(err)
			return
		}
		list = append(list, jsonw.Object{}.Add("count", n).Add("name", obj.Name))
	}
	c.rest(http.StatusOK, jsonw.Object{}.Add("sObjects", list))
}
