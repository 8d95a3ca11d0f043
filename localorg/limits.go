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

// limits serves GET /limits: {"Name": {"Max": n, "Remaining": n}, ...} in
// alphabetical order, as Salesforce lists them.
func (o *Org) limits(c *call) {
	used := atomic.LoadInt64(&o.apiCalls)
	type lim struct {
		name           string
		max, remaining int64
	}
	list := []lim{
		{"ConcurrentAsyncGetReportInstances", 200, 200},
		{"ConcurrentSyncReportRuns", 20, 20},
		{"DailyApiRequests", dailyAPIRequests, max(0, dailyAPIRequests-used)},
		{"DailyAsyncApexExecutions", 250000, 250000},
		{"DailyBulkApiBatches", 15000, 15000},
		{"DailyBulkV2QueryFileStorageMB", 976562, 976562},
		{"DailyBulkV2QueryJobs", 10000, 10000},
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
	since := formatStamp(o.now().Add(-24 * time.Hour))
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
