package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
)

const asyncNS = "http://www.force.com/2009/06/asyncapi/dataload"

// JobInfo1 is a Bulk API 1.0 job as Salesforce reports it (XML or JSON).
type JobInfo1 struct {
	ID                      string      `xml:"id" json:"id"`
	Operation               string      `xml:"operation" json:"operation"`
	Object                  string      `xml:"object" json:"object"`
	CreatedByID             string      `xml:"createdById" json:"createdById"`
	CreatedDate             string      `xml:"createdDate" json:"createdDate"`
	SystemModstamp          string      `xml:"systemModstamp" json:"systemModstamp"`
	State                   string      `xml:"state" json:"state"` // Open, Closed, Aborted, Failed
	ExternalIDFieldName     string      `xml:"externalIdFieldName" json:"externalIdFieldName"`
	ConcurrencyMode         string      `xml:"concurrencyMode" json:"concurrencyMode"`
	ContentType             string      `xml:"contentType" json:"contentType"`
	NumberBatchesQueued     int64       `xml:"numberBatchesQueued" json:"numberBatchesQueued"`
	NumberBatchesInProgress int64       `xml:"numberBatchesInProgress" json:"numberBatchesInProgress"`
	NumberBatchesCompleted  int64       `xml:"numberBatchesCompleted" json:"numberBatchesCompleted"`
	NumberBatchesFailed     int64       `xml:"numberBatchesFailed" json:"numberBatchesFailed"`
	NumberBatchesTotal      int64       `xml:"numberBatchesTotal" json:"numberBatchesTotal"`
	NumberRecordsProcessed  int64       `xml:"numberRecordsProcessed" json:"numberRecordsProcessed"`
	NumberRetries           int64       `xml:"numberRetries" json:"numberRetries"`
	APIVersion              json.Number `xml:"apiVersion" json:"apiVersion"`
	NumberRecordsFailed     int64       `xml:"numberRecordsFailed" json:"numberRecordsFailed"`
	TotalProcessingTime     int64       `xml:"totalProcessingTime" json:"totalProcessingTime"`
	APIActiveProcessingTime int64       `xml:"apiActiveProcessingTime" json:"apiActiveProcessingTime"`
	ApexProcessingTime      int64       `xml:"apexProcessingTime" json:"apexProcessingTime"`
}

// Version returns the job's API version as "51.0".
func (j JobInfo1) Version() string { return JobInfo2{APIVersion: j.APIVersion}.Version() }

// BatchInfo1 is a Bulk API 1.0 batch.
type BatchInfo1 struct {
	ID                      string `xml:"id" json:"id"`
	JobID                   string `xml:"jobId" json:"jobId"`
	State                   string `xml:"state" json:"state"` // Queued, InProgress, Completed, Failed, NotProcessed
	StateMessage            string `xml:"stateMessage" json:"stateMessage"`
	CreatedDate             string `xml:"createdDate" json:"createdDate"`
	SystemModstamp          string `xml:"systemModstamp" json:"systemModstamp"`
	NumberRecordsProcessed  int64  `xml:"numberRecordsProcessed" json:"numberRecordsProcessed"`
	NumberRecordsFailed     int64  `xml:"numberRecordsFailed" json:"numberRecordsFailed"`
	TotalProcessingTime     int64  `xml:"totalProcessingTime" json:"totalProcessingTime"`
	APIActiveProcessingTime int64  `xml:"apiActiveProcessingTime" json:"apiActiveProcessingTime"`
	ApexProcessingTime      int64  `xml:"apexProcessingTime" json:"apexProcessingTime"`
}

// Terminal reports whether the batch will not change state any more.
func (b BatchInfo1) Terminal() bool {
	switch b.State {
	case "Completed", "Failed", "NotProcessed":
		return true
	}
	return false
}

func isJSONBody(contentType string, body []byte) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	if strings.Contains(mt, "json") {
		return true
	}
	if strings.Contains(mt, "xml") {
		return false
	}
	t := bytes.TrimSpace(body)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// ParseJobInfo1 reads a jobInfo body in XML or JSON.
func ParseJobInfo1(body []byte) (JobInfo1, error) {
	var j JobInfo1
	var err error
	if isJSONBody("", body) {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		err = dec.Decode(&j)
	} else {
		err = xml.Unmarshal(body, &j)
	}
	if err == nil && j.ID == "" {
		err = fmt.Errorf("no id")
	}
	if err != nil {
		return j, fmt.Errorf("read Bulk 1.0 job info: %w", err)
	}
	return j, nil
}

// ParseBatchInfo1 reads a batchInfo body in XML or JSON.
func ParseBatchInfo1(body []byte) (BatchInfo1, error) {
	var b BatchInfo1
	var err error
	if isJSONBody("", body) {
		err = json.Unmarshal(body, &b)
	} else {
		err = xml.Unmarshal(body, &b)
	}
	if err == nil && b.ID == "" {
		err = fmt.Errorf("no id")
	}
	if err != nil {
		return b, fmt.Errorf("read Bulk 1.0 batch info: %w", err)
	}
	return b, nil
}

// ParseBatchInfoList1 reads a batchInfoList body in XML or JSON.
func ParseBatchInfoList1(body []byte) ([]BatchInfo1, error) {
	var l struct {
		BatchInfo []BatchInfo1 `xml:"batchInfo" json:"batchInfo"`
	}
	var err error
	if isJSONBody("", body) {
		err = json.Unmarshal(body, &l)
	} else {
		err = xml.Unmarshal(body, &l)
	}
	if err != nil {
		return nil, fmt.Errorf("read Bulk 1.0 batch list: %w", err)
	}
	return l.BatchInfo, nil
}

// ParseResultList1 reads a query batch's result list (XML <result-list> or a
// JSON array of ids).
func ParseResultList1(body []byte) ([]string, error) {
	var ids []string
	var err error
	if isJSONBody("", body) {
		err = json.Unmarshal(body, &ids)
	} else {
		var l struct {
			Result []string `xml:"result"`
		}
		err = xml.Unmarshal(body, &l)
		ids = l.Result
	}
	if err != nil {
		return nil, fmt.Errorf("read Bulk 1.0 result list: %w", err)
	}
	return ids, nil
}

// BatchResult1 is one row of a Bulk 1.0 ingest batch's results, in the same
// position as the request row.
type BatchResult1 struct {
	ID      string
	Success bool
	Created bool
	Errors  []RecordError
}

// ParseBatchResults1 reads an ingest batch's results in CSV
// ("Id","Success","Created","Error"), XML (<results>) or JSON form, calling
// fn for each row in order.
func ParseBatchResults1(r io.Reader, contentType string, fn func(BatchResult1) error) error {
	br := bufioReader(r)
	head, _ := br.Peek(64)
	t := bytes.TrimSpace(head)
	switch {
	case strings.Contains(contentType, "json") || (len(t) > 0 && t[0] == '['):
		dec := json.NewDecoder(br)
		var rows []struct {
			ID      *string       `json:"id"`
			Success bool          `json:"success"`
			Created bool          `json:"created"`
			Errors  []RecordError `json:"errors"`
		}
		if err := dec.Decode(&rows); err != nil {
			return fmt.Errorf("read Bulk 1.0 results: %w", err)
		}
		for _, row := range rows {
			res := BatchResult1{Success: row.Success, Created: row.Created, Errors: row.Errors}
			if row.ID != nil {
				res.ID = *row.ID
			}
			if err := fn(res); err != nil {
				return err
			}
		}
		return nil
	case strings.Contains(contentType, "xml") || (len(t) > 0 && t[0] == '<'):
		dec := xml.NewDecoder(br)
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read Bulk 1.0 results: %w", err)
			}
			se, ok := tok.(xml.StartElement)
			if !ok || se.Name.Local != "result" {
				continue
			}
			var row struct {
				ID      string `xml:"id"`
				Success bool   `xml:"success"`
				Created bool   `xml:"created"`
				Errors  []struct {
					Fields     []string `xml:"fields"`
					Message    string   `xml:"message"`
					StatusCode string   `xml:"statusCode"`
				} `xml:"errors"`
			}
			if err := dec.DecodeElement(&row, &se); err != nil {
				return fmt.Errorf("read Bulk 1.0 results: %w", err)
			}
			res := BatchResult1{ID: row.ID, Success: row.Success, Created: row.Created}
			for _, e := range row.Errors {
				res.Errors = append(res.Errors, RecordError{StatusCode: e.StatusCode, Message: e.Message, Fields: e.Fields})
			}
			if err := fn(res); err != nil {
				return err
			}
		}
	default:
		cr := NewCSVReader(io.NopCloser(br))
		h, err := cr.Header()
		if err != nil {
			return err
		}
		if h == nil {
			return nil
		}
		for cr.Next() {
			row := cr.Row()
			id, _ := row.Get("Id")
			succ, _ := row.Get("Success")
			created, _ := row.Get("Created")
			errCell, _ := row.Get("Error")
			res := BatchResult1{ID: id, Success: strings.EqualFold(succ, "true"), Created: strings.EqualFold(created, "true"), Errors: ParseRecordErrors(errCell)}
			if err := fn(res); err != nil {
				return err
			}
		}
		return cr.Err()
	}
}

// JobSpec1 creates a Bulk API 1.0 job.
type JobSpec1 struct {
	Object              string
	Operation           Operation // any, including Query, QueryAll and HardDelete
	ExternalIDFieldName string    // upsert only (Salesforce refuses it on other operations)
	ContentType         string    // CSV (default), XML, JSON
	Serial              bool      // concurrencyMode Serial instead of Parallel
	AssignmentRuleID    string
	// PKChunking enables PK chunking for query jobs: "TRUE", or
	// "chunkSize=50000; startRow=00130000000xEftMGH".
	PKChunking string
}

// Job1 is a Bulk API 1.0 job: the seed's sfJob. Its batches are remembered
// as they are added or listed.
type Job1 struct {
	c    *Client
	Info JobInfo1

	mu      sync.Mutex
	batches map[string]BatchInfo1
	order   []string
}

func (j *Job1) isJSON() bool { return strings.Contains(strings.ToUpper(j.Info.ContentType), "JSON") }

func (c *Client) asyncPath(format string, args ...any) string {
	return "/services/async/" + c.version + fmt.Sprintf(format, args...)
}

// CreateJob1 creates a job. Retried only when Salesforce cannot have acted.
func (c *Client) CreateJob1(ctx context.Context, spec JobSpec1) (*Job1, error) {
	ct := strings.ToUpper(spec.ContentType)
	if ct == "" {
		ct = "CSV"
	}
	mode := "Parallel"
	if spec.Serial {
		mode = "Serial"
	}
	var body []byte
	var reqType string
	if strings.Contains(ct, "JSON") {
		m := map[string]string{"operation": spec.Operation.String(), "object": spec.Object, "contentType": ct, "concurrencyMode": mode}
		if spec.ExternalIDFieldName != "" && spec.Operation == Upsert {
			m["externalIdFieldName"] = spec.ExternalIDFieldName
		}
		if spec.AssignmentRuleID != "" {
			m["assignmentRuleId"] = spec.AssignmentRuleID
		}
		body, _ = json.Marshal(m)
		reqType = "application/json; charset=UTF-8"
	} else {
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="` + asyncNS + `">`)
		writeXMLElem(&b, "operation", spec.Operation.String())
		writeXMLElem(&b, "object", spec.Object)
		if spec.ExternalIDFieldName != "" && spec.Operation == Upsert {
			writeXMLElem(&b, "externalIdFieldName", spec.ExternalIDFieldName)
		}
		writeXMLElem(&b, "concurrencyMode", mode)
		if spec.AssignmentRuleID != "" {
			writeXMLElem(&b, "assignmentRuleId", spec.AssignmentRuleID)
		}
		writeXMLElem(&b, "contentType", ct)
		b.WriteString(`</jobInfo>`)
		body = b.Bytes()
		reqType = "application/xml; charset=UTF-8"
	}
	hdr := map[string]string{}
	if spec.PKChunking != "" {
		hdr["Sforce-Enable-PKChunking"] = spec.PKChunking
	}
	resp, err := c.do(ctx, call{method: http.MethodPost, path: c.asyncPath("/job"), api: apiBulk1, body: bytesBody(body), contentType: reqType, header: hdr, retry: retryUnsent})
	if err != nil {
		return nil, fmt.Errorf("create %s job for %s: %w", spec.Operation, spec.Object, err)
	}
	info, err := readJobInfo1(resp)
	if err != nil {
		return nil, err
	}
	return &Job1{c: c, Info: info, batches: map[string]BatchInfo1{}}, nil
}

func writeXMLElem(b *bytes.Buffer, name, text string) {
	b.WriteString("<" + name + ">")
	xml.EscapeText(b, []byte(text))
	b.WriteString("</" + name + ">")
}

func readJobInfo1(resp *http.Response) (JobInfo1, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return JobInfo1{}, err
	}
	return ParseJobInfo1(body)
}

// OpenJob1 loads an existing job by id (the seed's "load a previous job").
// The client must speak the job's API version; see WithVersion.
func (c *Client) OpenJob1(ctx context.Context, jobID string) (*Job1, error) {
	j := &Job1{c: c, Info: JobInfo1{ID: jobID}, batches: map[string]BatchInfo1{}}
	if _, err := j.Refresh(ctx); err != nil {
		return nil, err
	}
	return j, nil
}

// Refresh re-reads the job's info.
func (j *Job1) Refresh(ctx context.Context) (JobInfo1, error) {
	resp, err := j.c.do(ctx, call{method: http.MethodGet, path: j.c.asyncPath("/job/%s", j.Info.ID), api: apiBulk1, retry: retrySafe})
	if err != nil {
		return JobInfo1{}, fmt.Errorf("job %s: %w", j.Info.ID, err)
	}
	info, err := readJobInfo1(resp)
	if err != nil {
		return JobInfo1{}, err
	}
	j.Info = info
	return info, nil
}

// Close closes the job: no more batches; those added are processed.
func (j *Job1) Close(ctx context.Context) (JobInfo1, error) { return j.setState(ctx, "Closed") }

// Abort aborts the job: queued batches are not processed.
func (j *Job1) Abort(ctx context.Context) (JobInfo1, error) { return j.setState(ctx, "Aborted") }

func (j *Job1) setState(ctx context.Context, state string) (JobInfo1, error) {
	var body []byte
	var ct string
	if j.isJSON() {
		body, ct = []byte(`{"state":"`+state+`"}`), "application/json; charset=UTF-8"
	} else {
		body = []byte(`<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="` + asyncNS + `"><state>` + state + `</state></jobInfo>`)
		ct = "application/xml; charset=UTF-8"
	}
	resp, err := j.c.do(ctx, call{method: http.MethodPost, path: j.c.asyncPath("/job/%s", j.Info.ID), api: apiBulk1, body: bytesBody(body), contentType: ct, retry: retrySafe})
	if err != nil {
		// A retried close whose first attempt got through meets
		// InvalidJobState: accept it when the job is in the wanted state.
		if ErrorCode(err) == "InvalidJobState" {
			if info, ierr := j.Refresh(ctx); ierr == nil && info.State == state {
				return info, nil
			}
		}
		return JobInfo1{}, fmt.Errorf("set job %s to %s: %w", j.Info.ID, state, err)
	}
	info, err := readJobInfo1(resp)
	if err != nil {
		return JobInfo1{}, err
	}
	j.Info = info
	return info, nil
}

// BatchContentType is the request Content-Type for a batch of this job.
func (j *Job1) BatchContentType() string {
	switch ct := strings.ToUpper(j.Info.ContentType); {
	case strings.Contains(ct, "JSON"):
		return "application/json; charset=UTF-8"
	case strings.Contains(ct, "XML"):
		return "application/xml; charset=UTF-8"
	}
	return "text/csv; charset=UTF-8"
}

// AddBatch adds a batch whose body is in the job's format (CSV rows, an XML
// <sObjects> document, a JSON array, or the SOQL text of a query job).
// Retried only when Salesforce cannot have acted on it (a duplicate batch
// would process its records twice).
func (j *Job1) AddBatch(ctx context.Context, body []byte) (BatchInfo1, error) {
	return j.addBatch(ctx, bytesBody(body))
}

func (j *Job1) addBatch(ctx context.Context, body func() (io.Reader, error)) (BatchInfo1, error) {
	resp, err := j.c.do(ctx, call{method: http.MethodPost, path: j.c.asyncPath("/job/%s/batch", j.Info.ID), api: apiBulk1,
		body: body, contentType: j.BatchContentType(), gzipBody: j.c.cfg.CompressUploads, retry: retryUnsent})
	if err != nil {
		return BatchInfo1{}, fmt.Errorf("add batch to job %s: %w", j.Info.ID, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return BatchInfo1{}, err
	}
	bi, err := ParseBatchInfo1(b)
	if err != nil {
		return bi, err
	}
	j.remember(bi)
	return bi, nil
}

func (j *Job1) remember(bi BatchInfo1) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.batches[bi.ID]; !ok {
		j.order = append(j.order, bi.ID)
	}
	j.batches[bi.ID] = bi
}

// Batches lists the job's batches with their current states (the seed's
// updatebatch) and remembers them.
func (j *Job1) Batches(ctx context.Context) ([]BatchInfo1, error) {
	resp, err := j.c.do(ctx, call{method: http.MethodGet, path: j.c.asyncPath("/job/%s/batch", j.Info.ID), api: apiBulk1, retry: retrySafe})
	if err != nil {
		return nil, fmt.Errorf("batches of job %s: %w", j.Info.ID, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	list, err := ParseBatchInfoList1(b)
	if err != nil {
		return nil, err
	}
	for _, bi := range list {
		j.remember(bi)
	}
	return list, nil
}

// Known returns the batches remembered so far, in the order first seen.
func (j *Job1) Known() []BatchInfo1 {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]BatchInfo1, 0, len(j.order))
	for _, id := range j.order {
		out = append(out, j.batches[id])
	}
	return out
}

// Batch reads one batch's info.
func (j *Job1) Batch(ctx context.Context, batchID string) (BatchInfo1, error) {
	resp, err := j.c.do(ctx, call{method: http.MethodGet, path: j.c.asyncPath("/job/%s/batch/%s", j.Info.ID, batchID), api: apiBulk1, retry: retrySafe})
	if err != nil {
		return BatchInfo1{}, fmt.Errorf("batch %s: %w", batchID, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return BatchInfo1{}, err
	}
	bi, err := ParseBatchInfo1(b)
	if err == nil {
		j.remember(bi)
	}
	return bi, err
}

// WaitBatches polls until every batch is Completed, Failed or NotProcessed,
// reporting progress, and returns the final list.
func (j *Job1) WaitBatches(ctx context.Context, progress func(Progress)) ([]BatchInfo1, error) {
	p := j.c.newPoller()
	for {
		list, err := j.Batches(ctx)
		if err != nil {
			return nil, err
		}
		done := true
		var processed, failed int64
		for _, b := range list {
			processed += b.NumberRecordsProcessed
			failed += b.NumberRecordsFailed
			if !b.Terminal() {
				done = false
			}
		}
		if progress != nil {
			progress(Progress{JobID: j.Info.ID, State: j.Info.State, Processed: processed, Failed: failed})
		}
		if done {
			return list, nil
		}
		if err := p.wait(ctx, "job "+j.Info.ID); err != nil {
			return list, err
		}
	}
}

// ResultList lists a completed query batch's result ids (the seed's
// getresultlists).
func (j *Job1) ResultList(ctx context.Context, batchID string) ([]string, error) {
	resp, err := j.c.do(ctx, call{method: http.MethodGet, path: j.c.asyncPath("/job/%s/batch/%s/result", j.Info.ID, batchID), api: apiBulk1, retry: retrySafe})
	if err != nil {
		return nil, fmt.Errorf("result list of batch %s: %w", batchID, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return ParseResultList1(b)
}

// Result opens one query result file (the seed's getresults), in the job's
// format. Close it when done.
func (j *Job1) Result(ctx context.Context, batchID, resultID string) (io.ReadCloser, error) {
	resp, err := j.c.do(ctx, call{method: http.MethodGet, path: j.c.asyncPath("/job/%s/batch/%s/result/%s", j.Info.ID, batchID, resultID), api: apiBulk1, retry: retrySafe})
	if err != nil {
		return nil, fmt.Errorf("result %s of batch %s: %w", resultID, batchID, err)
	}
	return resp.Body, nil
}

// IngestResults streams an ingest batch's per-record results in request
// order. A body that breaks mid-way is fetched again and resumed after the
// rows already delivered.
func (j *Job1) IngestResults(ctx context.Context, batchID string, fn func(BatchResult1) error) error {
	delivered := 0
	for attempt := 1; ; attempt++ {
		resp, err := j.c.do(ctx, call{method: http.MethodGet, path: j.c.asyncPath("/job/%s/batch/%s/result", j.Info.ID, batchID), api: apiBulk1, retry: retrySafe})
		if err != nil {
			return fmt.Errorf("results of batch %s: %w", batchID, err)
		}
		seen := 0
		err = ParseBatchResults1(resp.Body, resp.Header.Get("Content-Type"), func(r BatchResult1) error {
			seen++
			if seen <= delivered {
				return nil // delivered before the body broke
			}
			delivered++
			if err := fn(r); err != nil {
				return callerError{err}
			}
			return nil
		})
		resp.Body.Close()
		var ce callerError
		if errors.As(err, &ce) {
			return ce.err
		}
		if err != nil && transientRead(err) && attempt < j.c.retry.MaxAttempts {
			if serr := j.c.sleep(ctx, attempt); serr != nil {
				return serr
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("results of batch %s: %w", batchID, err)
		}
		return nil
	}
}

// BatchRequest opens the body a batch was created with.
func (j *Job1) BatchRequest(ctx context.Context, batchID string) (io.ReadCloser, error) {
	resp, err := j.c.do(ctx, call{method: http.MethodGet, path: j.c.asyncPath("/job/%s/batch/%s/request", j.Info.ID, batchID), api: apiBulk1, retry: retrySafe})
	if err != nil {
		return nil, fmt.Errorf("request of batch %s: %w", batchID, err)
	}
	return resp.Body, nil
}

// BatchResultRaw opens a batch's result body as Salesforce sent it (CSV,
// XML or JSON for ingest batches; the result list for query batches).
func (j *Job1) BatchResultRaw(ctx context.Context, batchID string) (io.ReadCloser, error) {
	resp, err := j.c.do(ctx, call{method: http.MethodGet, path: j.c.asyncPath("/job/%s/batch/%s/result", j.Info.ID, batchID), api: apiBulk1, retry: retrySafe})
	if err != nil {
		return nil, fmt.Errorf("results of batch %s: %w", batchID, err)
	}
	return resp.Body, nil
}
