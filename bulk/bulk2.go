package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Operation is a Bulk operation. The zero value is invalid.
type Operation uint8

const (
	opInvalid Operation = iota
	Insert
	Update
	Upsert
	Delete
	HardDelete
	Query
	QueryAll
)

var opNames = [...]string{"", "insert", "update", "upsert", "delete", "hardDelete", "query", "queryAll"}

// String is the operation's wire name ("hardDelete").
func (o Operation) String() string {
	if int(o) < len(opNames) && o != opInvalid {
		return opNames[o]
	}
	return "invalid"
}

// ParseOperation reads an operation name in any case.
func ParseOperation(s string) (Operation, error) {
	for i, n := range opNames {
		if i > 0 && strings.EqualFold(n, s) {
			return Operation(i), nil
		}
	}
	return opInvalid, fmt.Errorf("unknown operation %q (want insert, update, upsert, delete, hardDelete, query or queryAll)", s)
}

// MarshalText makes operations render as their names in JSON.
func (o Operation) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads an operation name.
func (o *Operation) UnmarshalText(b []byte) error {
	op, err := ParseOperation(string(b))
	if err != nil {
		return err
	}
	*o = op
	return nil
}

// JobInfo2 is a Bulk API 2.0 job (ingest or query) as Salesforce reports it.
type JobInfo2 struct {
	ID                      string      `json:"id"`
	Operation               string      `json:"operation"`
	Object                  string      `json:"object"`
	CreatedByID             string      `json:"createdById"`
	CreatedDate             string      `json:"createdDate"`
	SystemModstamp          string      `json:"systemModstamp"`
	State                   string      `json:"state"` // Open, UploadComplete, InProgress, JobComplete, Failed, Aborted
	ExternalIDFieldName     string      `json:"externalIdFieldName,omitempty"`
	ConcurrencyMode         string      `json:"concurrencyMode"`
	ContentType             string      `json:"contentType"`
	APIVersion              json.Number `json:"apiVersion"`
	JobType                 string      `json:"jobType,omitempty"` // V2Ingest, V2Query, Classic
	ContentURL              string      `json:"contentUrl,omitempty"`
	LineEnding              string      `json:"lineEnding,omitempty"`
	ColumnDelimiter         string      `json:"columnDelimiter,omitempty"`
	NumberRecordsProcessed  int64       `json:"numberRecordsProcessed"`
	NumberRecordsFailed     int64       `json:"numberRecordsFailed"`
	Retries                 int64       `json:"retries"`
	TotalProcessingTime     int64       `json:"totalProcessingTime"`
	APIActiveProcessingTime int64       `json:"apiActiveProcessingTime"`
	ApexProcessingTime      int64       `json:"apexProcessingTime"`
	ErrorMessage            string      `json:"errorMessage,omitempty"`
}

// Version returns the job's API version as "60.0".
func (j JobInfo2) Version() string {
	f, err := strconv.ParseFloat(string(j.APIVersion), 64)
	if err != nil {
		return string(j.APIVersion)
	}
	return strconv.FormatFloat(f, 'f', 1, 64)
}

// Terminal reports whether the job will not change state any more.
func (j JobInfo2) Terminal() bool {
	switch j.State {
	case "JobComplete", "Failed", "Aborted":
		return true
	}
	return false
}

// ParseJobInfo2 reads a Bulk 2.0 job info body.
func ParseJobInfo2(body []byte) (JobInfo2, error) {
	var j JobInfo2
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&j); err != nil {
		return j, fmt.Errorf("read Bulk 2.0 job info: %w", err)
	}
	if j.ID == "" {
		return j, fmt.Errorf("read Bulk 2.0 job info: no id")
	}
	return j, nil
}

// JobList2 is one page of GET /jobs/ingest or /jobs/query.
type JobList2 struct {
	Done           bool       `json:"done"`
	Records        []JobInfo2 `json:"records"`
	NextRecordsURL string     `json:"nextRecordsUrl"`
}

// IngestJobSpec2 creates a Bulk 2.0 ingest job.
type IngestJobSpec2 struct {
	Object              string
	Operation           Operation // Insert, Update, Upsert, Delete, HardDelete
	ExternalIDFieldName string    // upsert
	AssignmentRuleID    string
}

func jobKindPath(query bool) string {
	if query {
		return "query"
	}
	return "ingest"
}

func (c *Client) readJobInfo2(resp *http.Response) (JobInfo2, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return JobInfo2{}, err
	}
	return ParseJobInfo2(body)
}

func (c *Client) require2(min string) error {
	if !versionAtLeast(c.version, min) {
		return fmt.Errorf("this Bulk API 2.0 call needs API %s or later; the session uses %s", min, c.version)
	}
	return nil
}

// CreateIngestJob2 creates an ingest job (state Open). Not retried after an
// ambiguous failure: a retry could leave a duplicate job.
func (c *Client) CreateIngestJob2(ctx context.Context, spec IngestJobSpec2) (JobInfo2, error) {
	if err := c.require2(MinIngest2Version); err != nil {
		return JobInfo2{}, err
	}
	body := map[string]string{
		"object":      spec.Object,
		"operation":   spec.Operation.String(),
		"contentType": "CSV",
		"lineEnding":  "LF",
	}
	if spec.Operation == Upsert {
		body["externalIdFieldName"] = spec.ExternalIDFieldName
	}
	if spec.AssignmentRuleID != "" {
		body["assignmentRuleId"] = spec.AssignmentRuleID
	}
	b, _ := json.Marshal(body)
	resp, err := c.do(ctx, call{method: http.MethodPost, path: c.dataPath("/jobs/ingest/"), api: apiREST,
		body: bytesBody(b), contentType: "application/json; charset=UTF-8", accept: "application/json", retry: retryUnsent})
	if err != nil {
		return JobInfo2{}, fmt.Errorf("create %s job for %s: %w", spec.Operation, spec.Object, err)
	}
	return c.readJobInfo2(resp)
}

// UploadJobData2 uploads the job's CSV (one upload per job). body is called
// for each attempt. Retried only when Salesforce cannot have stored it.
func (c *Client) UploadJobData2(ctx context.Context, jobID string, body func() (io.Reader, error)) error {
	resp, err := c.do(ctx, call{method: http.MethodPut, path: c.dataPath("/jobs/ingest/%s/batches", jobID), api: apiREST,
		body: body, contentType: "text/csv", gzipBody: c.cfg.CompressUploads, retry: retryUnsent})
	if err != nil {
		return fmt.Errorf("upload data to job %s: %w", jobID, err)
	}
	resp.Body.Close()
	return nil
}

// SetJobState2 moves a job to UploadComplete or Aborted. A repeated request
// that meets InvalidJobState is checked against the job's state, so retries
// are safe.
func (c *Client) SetJobState2(ctx context.Context, query bool, jobID, state string) (JobInfo2, error) {
	b, _ := json.Marshal(map[string]string{"state": state})
	resp, err := c.do(ctx, call{method: http.MethodPatch, path: c.dataPath("/jobs/%s/%s", jobKindPath(query), jobID), api: apiREST,
		body: bytesBody(b), contentType: "application/json; charset=UTF-8", accept: "application/json", retry: retrySafe})
	if err != nil {
		if code := strings.ToUpper(ErrorCode(err)); code == "INVALIDJOBSTATE" {
			if info, ierr := c.JobInfo2(ctx, query, jobID); ierr == nil && stateReached(info.State, state) {
				return info, nil
			}
		}
		return JobInfo2{}, fmt.Errorf("set job %s to %s: %w", jobID, state, err)
	}
	return c.readJobInfo2(resp)
}

func stateReached(have, want string) bool {
	if have == want {
		return true
	}
	if want == "UploadComplete" {
		return have == "InProgress" || have == "JobComplete" || have == "Failed"
	}
	return false
}

// JobInfo2 reads a job's info.
func (c *Client) JobInfo2(ctx context.Context, query bool, jobID string) (JobInfo2, error) {
	resp, err := c.do(ctx, call{method: http.MethodGet, path: c.dataPath("/jobs/%s/%s", jobKindPath(query), jobID), api: apiREST, accept: "application/json", retry: retrySafe})
	if err != nil {
		return JobInfo2{}, fmt.Errorf("job %s: %w", jobID, err)
	}
	return c.readJobInfo2(resp)
}

// DeleteJob2 deletes a finished job and its results.
func (c *Client) DeleteJob2(ctx context.Context, query bool, jobID string) error {
	resp, err := c.do(ctx, call{method: http.MethodDelete, path: c.dataPath("/jobs/%s/%s", jobKindPath(query), jobID), api: apiREST, retry: retrySafe})
	if err != nil {
		return fmt.Errorf("delete job %s: %w", jobID, err)
	}
	resp.Body.Close()
	return nil
}

// ListJobs2 lists Bulk 2.0 jobs (ingest, which includes Bulk 1.0 jobs as
// jobType Classic, or query), following nextRecordsUrl.
func (c *Client) ListJobs2(ctx context.Context, query bool) ([]JobInfo2, error) {
	var all []JobInfo2
	path := c.dataPath("/jobs/%s", jobKindPath(query))
	for path != "" {
		resp, err := c.do(ctx, call{method: http.MethodGet, path: path, api: apiREST, accept: "application/json", retry: retrySafe})
		if err != nil {
			return nil, fmt.Errorf("list %s jobs: %w", jobKindPath(query), err)
		}
		var page JobList2
		if err := decodeJSON(resp, &page); err != nil {
			return nil, fmt.Errorf("list %s jobs: %w", jobKindPath(query), err)
		}
		all = append(all, page.Records...)
		path = ""
		if !page.Done && page.NextRecordsURL != "" {
			path = page.NextRecordsURL
		}
	}
	return all, nil
}

// Progress is reported while a job runs.
type Progress struct {
	JobID     string
	State     string
	Processed int64 // records processed so far (failed ones included)
	Failed    int64
	Total     int64 // records submitted to the job, when known (Ingest); 0 otherwise
}

// poller yields the waits of a poll loop: Initial, growing by half up to Max,
// until Timeout.
type poller struct {
	p        PollPolicy
	next     time.Duration
	deadline time.Time
}

func (c *Client) newPoller() *poller {
	return &poller{p: c.poll, next: c.poll.Initial, deadline: time.Now().Add(c.poll.Timeout)}
}

func (p *poller) wait(ctx context.Context, what string) error {
	if time.Now().After(p.deadline) {
		return fmt.Errorf("%s: still not finished after %s", what, p.p.Timeout)
	}
	t := time.NewTimer(p.next)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	p.next += p.next / 2
	if p.next > p.p.Max {
		p.next = p.p.Max
	}
	return nil
}

// WaitJob2 polls a job until it is JobComplete, Failed or Aborted, reporting
// progress. A Failed or Aborted job is returned with a *JobError carrying
// Salesforce's errorMessage.
func (c *Client) WaitJob2(ctx context.Context, query bool, jobID string, progress func(Progress)) (JobInfo2, error) {
	p := c.newPoller()
	for {
		info, err := c.JobInfo2(ctx, query, jobID)
		if err != nil {
			return info, err
		}
		if progress != nil {
			progress(Progress{JobID: jobID, State: info.State, Processed: info.NumberRecordsProcessed, Failed: info.NumberRecordsFailed})
		}
		switch info.State {
		case "JobComplete":
			return info, nil
		case "Failed", "Aborted":
			return info, newJobError(jobID, "", info.State, info.ErrorMessage)
		}
		if err := p.wait(ctx, "job "+jobID); err != nil {
			return info, err
		}
	}
}

// ResultSet names one of a Bulk 2.0 ingest job's result files.
type ResultSet uint8

const (
	resultInvalid ResultSet = iota
	Successful
	Failed
	Unprocessed
)

func (r ResultSet) String() string {
	switch r {
	case Successful:
		return "successfulResults"
	case Failed:
		return "failedResults"
	case Unprocessed:
		return "unprocessedrecords"
	}
	return "invalid"
}

// IngestResults2 opens one of a finished ingest job's result CSVs as a
// stream of rows. Close it when done.
func (c *Client) IngestResults2(ctx context.Context, jobID string, set ResultSet) (*CSVReader, error) {
	open := func() (*CSVReader, error) {
		resp, err := c.do(ctx, call{method: http.MethodGet, path: c.dataPath("/jobs/ingest/%s/%s/", jobID, set), api: apiREST, accept: "text/csv", retry: retrySafe})
		if err != nil {
			return nil, fmt.Errorf("%s of job %s: %w", set, jobID, err)
		}
		return NewCSVReader(resp.Body), nil
	}
	cr, err := open()
	if err != nil {
		return nil, err
	}
	return c.resumable(ctx, cr, open), nil
}

// QueryJobSpec2 creates a Bulk 2.0 query job.
type QueryJobSpec2 struct {
	SOQL string
	All  bool // queryAll: include deleted and archived rows
}

// CreateQueryJob2 creates a query job (state UploadComplete). Retried after
// any server error: a second query job changes no data.
func (c *Client) CreateQueryJob2(ctx context.Context, spec QueryJobSpec2) (JobInfo2, error) {
	if err := c.require2(MinQuery2Version); err != nil {
		return JobInfo2{}, err
	}
	op := "query"
	if spec.All {
		op = "queryAll"
	}
	b, _ := json.Marshal(map[string]string{"operation": op, "query": spec.SOQL, "contentType": "CSV", "lineEnding": "LF", "columnDelimiter": "COMMA"})
	resp, err := c.do(ctx, call{method: http.MethodPost, path: c.dataPath("/jobs/query/"), api: apiREST,
		body: bytesBody(b), contentType: "application/json; charset=UTF-8", accept: "application/json", retry: retrySafe})
	if err != nil {
		return JobInfo2{}, fmt.Errorf("create query job: %w", err)
	}
	return c.readJobInfo2(resp)
}

// QueryResultPage2 fetches one page of a finished query job's results:
// locator "" for the first page; the returned next locator is "" after the
// last page (Salesforce's literal "null").
func (c *Client) QueryResultPage2(ctx context.Context, jobID, locator string, maxRecords int) (rows *CSVReader, next string, err error) {
	q := url.Values{}
	if locator != "" {
		q.Set("locator", locator)
	}
	if maxRecords > 0 {
		q.Set("maxRecords", strconv.Itoa(maxRecords))
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, path: c.dataPath("/jobs/query/%s/results", jobID), query: q, api: apiREST, accept: "text/csv", retry: retrySafe})
	if err != nil {
		return nil, "", fmt.Errorf("results of query job %s: %w", jobID, err)
	}
	next = resp.Header.Get("Sforce-Locator")
	if next == "null" {
		next = ""
	}
	// Locators are stable: the same page can be fetched again.
	again := func() (*CSVReader, error) {
		resp, err := c.do(ctx, call{method: http.MethodGet, path: c.dataPath("/jobs/query/%s/results", jobID), query: q, api: apiREST, accept: "text/csv", retry: retrySafe})
		if err != nil {
			return nil, err
		}
		return NewCSVReader(resp.Body), nil
	}
	return c.resumable(ctx, NewCSVReader(resp.Body), again), next, nil
}
