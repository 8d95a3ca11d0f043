package localorg

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
	"github.com/sfsync/sfsync/localorg/internal/sfcsv"
)

// routeJobs serves /services/data/vXX.X/jobs/{ingest,query}/...
func (o *Org) routeJobs(c *call, rest []string) {
	if len(rest) == 0 {
		c.fail(errNotFound)
		return
	}
	kind := KindIngest
	switch rest[0] {
	case "ingest":
	case "query":
		if v, _ := strconv.ParseFloat(c.ver, 64); v < 47 {
			c.fail(errNotFound)
			return
		}
		kind = KindQuery
	default:
		c.fail(errNotFound)
		return
	}
	switch len(rest) {
	case 1:
		c.methods(func(c *call) {
			if c.r.Method == http.MethodPost {
				if kind == KindIngest {
					o.createIngestJob(c)
				} else {
					o.createQueryJob(c)
				}
				return
			}
			o.listJobs(c, kind)
		}, "GET", "POST")
	case 2:
		c.methods(func(c *call) {
			switch c.r.Method {
			case http.MethodGet:
				o.getJob(c, kind, rest[1])
			case http.MethodPatch:
				o.patchJob(c, kind, rest[1])
			case http.MethodDelete:
				o.deleteJob(c, kind, rest[1])
			}
		}, "GET", "PATCH", "DELETE")
	case 3:
		id := rest[1]
		switch {
		case kind == KindIngest && rest[2] == "batches":
			c.methods(func(c *call) { o.uploadJobData(c, id) }, "PUT")
		case kind == KindIngest && rest[2] == "successfulResults":
			c.methods(func(c *call) { o.ingestResults(c, id, resultsSuccessful) }, "GET")
		case kind == KindIngest && rest[2] == "failedResults":
			c.methods(func(c *call) { o.ingestResults(c, id, resultsFailed) }, "GET")
		case kind == KindIngest && rest[2] == "unprocessedrecords":
			c.methods(func(c *call) { o.ingestResults(c, id, resultsUnprocessed) }, "GET")
		case kind == KindQuery && rest[2] == "results":
			c.methods(func(c *call) { o.queryResults(c, id) }, "GET")
		default:
			c.fail(errNotFound)
		}
	default:
		c.fail(errNotFound)
	}
}

// ingestSpec is the body of a create-ingest-job request. Unknown keys are
// ignored, as Salesforce does.
type ingestSpec struct {
	Object              string `json:"object"`
	Operation           string `json:"operation"`
	ExternalIDFieldName string `json:"externalIdFieldName"`
	ContentType         string `json:"contentType"`
	LineEnding          string `json:"lineEnding"`
	ColumnDelimiter     string `json:"columnDelimiter"`
	AssignmentRuleID    string `json:"assignmentRuleId"`
	Query               string `json:"query"`
}

// decodeSpec decodes a JSON job body; malformed JSON is Salesforce's
// JSON_PARSER_ERROR.
func decodeSpec(body []byte, spec *ingestSpec) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("JSON_PARSER_ERROR", "The request body is empty")
	}
	// Decode loosely: values of the wrong JSON type are reported, unknown
	// keys are not.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return badRequest("JSON_PARSER_ERROR", "Unable to parse the request body as JSON: "+err.Error())
	}
	fields := map[string]*string{
		"object": &spec.Object, "operation": &spec.Operation, "externalidfieldname": &spec.ExternalIDFieldName,
		"contenttype": &spec.ContentType, "lineending": &spec.LineEnding, "columndelimiter": &spec.ColumnDelimiter,
		"assignmentruleid": &spec.AssignmentRuleID, "query": &spec.Query,
	}
	for k, v := range raw {
		p, ok := fields[strings.ToLower(k)]
		if !ok || string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, p); err != nil {
			return badRequest("JSON_PARSER_ERROR", fmt.Sprintf("Cannot deserialize value of %s: %s", k, err))
		}
	}
	return nil
}

var ingestOperations = map[string]string{"insert": "insert", "update": "update", "upsert": "upsert", "delete": "delete", "harddelete": "hardDelete"}

// validateCommon checks the format options of a 2.0 job and fills in
// defaults.
func validateFormat(spec *ingestSpec) error {
	if spec.ContentType == "" {
		spec.ContentType = "CSV"
	}
	if spec.ContentType != "CSV" {
		return badRequest("INVALIDJOB", fmt.Sprintf("InvalidJob : Invalid content type: %s. Bulk API 2.0 supports CSV only", spec.ContentType))
	}
	if spec.LineEnding == "" {
		spec.LineEnding = "LF"
	}
	if spec.LineEnding != "LF" && spec.LineEnding != "CRLF" {
		return badRequest("INVALIDJOB", "InvalidJob : Invalid line ending: "+spec.LineEnding)
	}
	if spec.ColumnDelimiter == "" {
		spec.ColumnDelimiter = "COMMA"
	}
	if _, ok := sfcsv.Delimiters[spec.ColumnDelimiter]; !ok {
		return badRequest("INVALIDJOB", "InvalidJob : Invalid column delimiter: "+spec.ColumnDelimiter)
	}
	return nil
}

// createIngestJob serves POST /jobs/ingest, JSON or multipart (job + CSV).
func (o *Org) createIngestJob(c *call) {
	var spec ingestSpec
	var content []byte
	mt, params, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		jobPart, data, err := readMultipartJob(c.r.Body, params["boundary"])
		if err != nil {
			c.fail(err)
			return
		}
		if err := decodeSpec(jobPart, &spec); err != nil {
			c.fail(err)
			return
		}
		content = data
		if content == nil {
			c.fail(badRequest("INVALIDJOB", "InvalidJob : A multipart request must contain a part named content"))
			return
		}
	} else {
		body, err := c.readBody()
		if err != nil {
			c.fail(err)
			return
		}
		if err := decodeSpec(body, &spec); err != nil {
			c.fail(err)
			return
		}
	}
	op, ok := ingestOperations[strings.ToLower(spec.Operation)]
	if spec.Operation == "" {
		c.fail(badRequest("INVALIDJOB", "InvalidJob : Operation is required"))
		return
	}
	if !ok {
		c.fail(badRequest("INVALIDJOB", "InvalidJob : Invalid operation: "+spec.Operation))
		return
	}
	if err := validateFormat(&spec); err != nil {
		c.fail(err)
		return
	}
	if spec.Object == "" {
		c.fail(badRequest("INVALIDJOB", "InvalidJob : Object is required"))
		return
	}
	obj := o.object(spec.Object)
	if obj == nil {
		c.fail(badRequest("INVALIDENTITY", fmt.Sprintf("Entity '%s' is not supported by the Bulk API.", spec.Object)))
		return
	}
	spec.Object = obj.Name
	if op == "upsert" {
		if spec.ExternalIDFieldName == "" {
			c.fail(badRequest("INVALIDJOB", fmt.Sprintf("InvalidJob : External ID was blank for %s. An External ID must be specified for upsert.", obj.Name)))
			return
		}
		f := obj.Field(spec.ExternalIDFieldName)
		if f == nil || !(f.ExternalID || f.IDLookup || f.Name == "Id") {
			c.fail(badRequest("INVALIDJOB", fmt.Sprintf("InvalidJob : Field name provided, %s does not match an External ID, Salesforce Id, or indexed field for %s", spec.ExternalIDFieldName, obj.Name)))
			return
		}
		spec.ExternalIDFieldName = f.Name
	} else {
		spec.ExternalIDFieldName = ""
	}
	if left, err := o.bulkBatchesLeft(c.r.Context()); err != nil {
		c.fail(err)
		return
	} else if !left {
		// UNCERTAIN: code and wording (2.0 writes 1.0's exception codes
		// in capitals).
		c.fail(badRequest("EXCEEDEDQUOTA", fmt.Sprintf("Exceeded the maximum number of batches (%d) allowed in a 24 hour period", o.Limits().DailyBulkApiBatches)))
		return
	}
	if content != nil && int64(len(content)) > o.Limits().UploadBytes {
		c.fail(errUploadTooLarge(o.Limits().UploadBytes))
		return
	}
	j := &Job{
		API: Bulk2, Kind: KindIngest, Operation: op, Object: obj.Name, ExternalIDField: spec.ExternalIDFieldName,
		AssignmentRuleID: spec.AssignmentRuleID, ContentType: spec.ContentType, LineEnding: spec.LineEnding,
		ColumnDelimiter: spec.ColumnDelimiter, ConcurrencyMode: "Parallel", APIVersion: c.ver,
		State: StateOpen, CreatedByID: c.user,
	}
	if err := o.insertJob(c.r.Context(), j, content); err != nil {
		c.fail(err)
		return
	}
	if content != nil {
		o.kick()
	}
	c.bulk2(http.StatusOK, jobCreateBody(j))
}

// readMultipartJob reads the "job" and "content" parts of a multipart
// create request.
func readMultipartJob(body io.Reader, boundary string) (job, content []byte, err error) {
	if boundary == "" {
		return nil, nil, badRequest("INVALIDJOB", "InvalidJob : The multipart request has no boundary")
	}
	mr := multipart.NewReader(body, boundary)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, badRequest("INVALIDJOB", "InvalidJob : Unable to read the multipart request: "+err.Error())
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, nil, badRequest("INVALIDJOB", "InvalidJob : Unable to read the multipart request: "+err.Error())
		}
		switch p.FormName() {
		case "job":
			job = b
		case "content":
			content = b
		}
	}
	if job == nil {
		return nil, nil, badRequest("INVALIDJOB", "InvalidJob : A multipart request must contain a part named job")
	}
	return job, content, nil
}

// insertJob stores a new job (and, for multipart creates, its data, which
// also completes the upload).
func (o *Org) insertJob(ctx context.Context, j *Job, content []byte) error {
	return o.write(ctx, func(tx *sql.Tx) error {
		n, err := nextIDs(ctx, tx, "750", 1)
		if err != nil {
			return err
		}
		j.ID = makeID("750", n)
		now := o.stamp()
		j.CreatedDate, j.SystemModstamp = now, now
		if content != nil {
			j.State, j.Uploaded = StateUploadComplete, true
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO _jobs(id, seq, api, kind, operation, object, external_id_field,
			assignment_rule_id, content_type, line_ending, column_delimiter, concurrency_mode, api_version, query,
			state, created_by, created_date, system_modstamp, uploaded, pk_chunking, disable_retry)
			VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			j.ID, n, j.API, int(j.Kind), j.Operation, j.Object, j.ExternalIDField, j.AssignmentRuleID, j.ContentType,
			j.LineEnding, j.ColumnDelimiter, j.ConcurrencyMode, j.APIVersion, j.Query, j.State, j.CreatedByID,
			formatStamp(now), formatStamp(now), j.Uploaded, j.PKChunking, j.DisableRetry); err != nil {
			return err
		}
		if content != nil {
			return insertBatch(ctx, tx, o, j, content, "text/csv")
		}
		return nil
	})
}

// insertBatch stores uploaded data as a batch of job j.
func insertBatch(ctx context.Context, tx *sql.Tx, o *Org, j *Job, data []byte, contentType string) error {
	_, err := insertBatchTx(ctx, tx, o, j, data, contentType, "")
	return err
}

// insertBatchTx stores data as a new Queued batch of job j (chunk is the
// Id range of a PK chunk) and returns the batch's Id.
func insertBatchTx(ctx context.Context, tx *sql.Tx, o *Org, j *Job, data []byte, contentType, chunk string) (string, error) {
	n, err := nextIDs(ctx, tx, "751", 1)
	if err != nil {
		return "", err
	}
	var seq int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) + 1 FROM _batches WHERE job_id = ?`, j.ID).Scan(&seq); err != nil {
		return "", err
	}
	now := formatStamp(o.stamp())
	id := makeID("751", n)
	if _, err := tx.ExecContext(ctx, `INSERT INTO _batches(id, job_id, seq, state, content_type, created_date, system_modstamp, chunk)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?)`, id, j.ID, seq, BatchQueued, contentType, now, now, chunk); err != nil {
		return "", err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO _batch_data(batch_id, data) VALUES(?, ?)`, id, data)
	return id, err
}

// jobHead is the part of a 2.0 job info every form starts with.
func jobHead(j *Job) jsonw.Object {
	o := jsonw.Object{}.
		Add("id", j.ID).
		Add("operation", j.Operation).
		Add("object", j.Object).
		Add("createdById", j.CreatedByID).
		Add("createdDate", jsonTime(j.CreatedDate)).
		Add("systemModstamp", jsonTime(j.SystemModstamp)).
		Add("state", j.State)
	if j.ExternalIDField != "" {
		o = o.Add("externalIdFieldName", j.ExternalIDField)
	}
	if j.AssignmentRuleID != "" {
		o = o.Add("assignmentRuleId", j.AssignmentRuleID)
	}
	return o.Add("concurrencyMode", j.ConcurrencyMode).
		Add("contentType", j.ContentType).
		Add("apiVersion", jsonw.Number(j.APIVersion))
}

func (j *Job) contentURL() string {
	return "services/data/v" + j.APIVersion + "/jobs/ingest/" + j.ID + "/batches"
}

// jobCreateBody is the answer to a create: no jobType, contentUrl for
// ingest jobs (recorded).
func jobCreateBody(j *Job) jsonw.Object {
	o := jobHead(j)
	if j.Kind == KindIngest {
		o = o.Add("contentUrl", j.contentURL())
	}
	return o.Add("lineEnding", j.LineEnding).Add("columnDelimiter", j.ColumnDelimiter)
}

func jobType(j *Job) string {
	switch {
	case j.API == Bulk1:
		return "Classic"
	case j.Kind == KindQuery:
		return "V2Query"
	}
	return "V2Ingest"
}

// jobInfoBody is the full job info of GET (recorded key order).
func jobInfoBody(j *Job) jsonw.Object {
	o := jobHead(j).Add("jobType", jobType(j))
	if j.Kind == KindQuery {
		o = o.Add("lineEnding", j.LineEnding).Add("columnDelimiter", j.ColumnDelimiter).
			Add("numberRecordsProcessed", j.RecordsProcessed).
			Add("retries", j.Retries).
			Add("totalProcessingTime", j.TotalProcessingTime)
	} else {
		if j.State == StateOpen {
			o = o.Add("contentUrl", j.contentURL())
		}
		o = o.Add("lineEnding", j.LineEnding).Add("columnDelimiter", j.ColumnDelimiter)
		// Before any upload the record counters are absent (recorded).
		if j.Uploaded || j.State != StateOpen {
			o = o.Add("numberRecordsProcessed", j.RecordsProcessed).Add("numberRecordsFailed", j.RecordsFailed)
		}
		o = o.Add("retries", j.Retries).
			Add("totalProcessingTime", j.TotalProcessingTime).
			Add("apiActiveProcessingTime", j.APIActiveProcessingTime).
			Add("apexProcessingTime", j.ApexProcessingTime)
	}
	if j.ErrorMessage != "" {
		o = o.Add("errorMessage", j.ErrorMessage)
	}
	return o
}

// jobListEntry is one entry of GET /jobs/ingest or /jobs/query (recorded:
// id … columnDelimiter, no counters).
func jobListEntry(j *Job) jsonw.Object {
	return jobHead(j).Add("jobType", jobType(j)).Add("lineEnding", j.LineEnding).Add("columnDelimiter", j.ColumnDelimiter)
}

// lookupJob finds a job of the given kind visible on this endpoint.
func (o *Org) lookupJob(c *call, kind JobKind, id string) (*Job, bool) {
	j, err := o.Job(c.r.Context(), id)
	if err != nil || j.Kind != kind || (j.API != Bulk2 && kind == KindQuery) {
		if err != nil && !errors.Is(err, ErrNoJob) {
			c.fail(err)
			return nil, false
		}
		c.fail(errNotFound)
		return nil, false
	}
	return j, true
}

func (o *Org) getJob(c *call, kind JobKind, id string) {
	j, ok := o.lookupJob(c, kind, id)
	if !ok {
		return
	}
	c.bulk2(http.StatusOK, jobInfoBody(j))
}

// jobListPage is the number of jobs per page of the job list.
const jobListPage = 1000

func (o *Org) listJobs(c *call, kind JobKind) {
	offset := 0
	if loc := c.r.URL.Query().Get("queryLocator"); loc != "" {
		_, n, ok := strings.Cut(loc, "-")
		v, err := strconv.Atoi(n)
		if !ok || err != nil || v < 0 {
			c.fail(badRequest("INVALID_QUERY_LOCATOR", "invalid query locator"))
			return
		}
		offset = v
	}
	q := c.r.URL.Query()
	jobs, err := o.Jobs(c.r.Context())
	if err != nil {
		c.fail(err)
		return
	}
	var list []any
	skipped := 0
	more := false
	for _, j := range jobs {
		if j.Kind != kind || kind == KindQuery && j.API != Bulk2 {
			continue
		}
		if jt := q.Get("jobType"); jt != "" && jt != jobType(j) {
			continue
		}
		if cm := q.Get("concurrencyMode"); cm != "" && cm != j.ConcurrencyMode {
			continue
		}
		if skipped < offset {
			skipped++
			continue
		}
		if len(list) == jobListPage {
			more = true
			break
		}
		list = append(list, jobListEntry(j))
	}
	if list == nil {
		list = []any{}
	}
	body := jsonw.Object{}.Add("done", !more).Add("records", list)
	if more {
		body = body.Add("nextRecordsUrl", fmt.Sprintf("/services/data/v%s/jobs/%s?queryLocator=01gEM0000000001AAA-%d", c.ver, kind, offset+jobListPage))
	} else {
		body = body.Add("nextRecordsUrl", nil)
	}
	c.bulk2(http.StatusOK, body)
}

// uploadJobData serves PUT /jobs/ingest/{id}/batches: the job's one upload.
func (o *Org) uploadJobData(c *call, id string) {
	j, ok := o.lookupJob(c, KindIngest, id)
	if !ok {
		return
	}
	if j.API != Bulk2 {
		c.fail(errNotFound)
		return
	}
	if mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type")); mt != "" && mt != "text/csv" {
		c.fail(&apiError{Status: http.StatusUnsupportedMediaType, Code: "UNSUPPORTEDCONTENTTYPE", Msg: "Unsupported content type: " + mt + ". Use text/csv"})
		return
	}
	limit := o.Limits().UploadBytes
	data, err := io.ReadAll(io.LimitReader(c.r.Body, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			c.fail(errUploadTooLarge(limit))
			return
		}
		c.fail(badRequest("INVALID_REQUEST", "Unable to read the request body: "+err.Error()))
		return
	}
	if int64(len(data)) > limit {
		c.fail(errUploadTooLarge(limit))
		return
	}
	err = o.write(c.r.Context(), func(tx *sql.Tx) error {
		cur, err := o.jobQ(c.r.Context(), tx, j.ID)
		if err != nil {
			return err
		}
		if cur.State != StateOpen {
			return badRequest("INVALIDJOBSTATE", fmt.Sprintf("Uploading data is not allowed for a job in the %s state", cur.State))
		}
		if cur.Uploaded {
			// UNCERTAIN: whether Salesforce accepts a second upload; jsforce
			// forbids it and the reference advises refusing it.
			return badRequest("INVALIDJOBSTATE", "Data can only be uploaded to a job once")
		}
		if err := insertBatch(c.r.Context(), tx, o, cur, data, "text/csv"); err != nil {
			return err
		}
		_, err = tx.ExecContext(c.r.Context(), `UPDATE _jobs SET uploaded = 1 WHERE id = ?`, cur.ID)
		return err
	})
	if err != nil {
		c.fail(err)
		return
	}
	c.limitInfo()
	c.w.WriteHeader(http.StatusCreated)
}

// errUploadTooLarge refuses a Bulk 2.0 upload over the limit (100 MB of
// raw CSV). UNCERTAIN: code and wording.
func errUploadTooLarge(limit int64) *apiError {
	return badRequest("CLIENTINPUTERROR", fmt.Sprintf("Failed to read request. Exceeded max size limit of %d", limit))
}

// patchJob serves PATCH /jobs/{ingest,query}/{id}: UploadComplete or
// Aborted.
func (o *Org) patchJob(c *call, kind JobKind, id string) {
	j, ok := o.lookupJob(c, kind, id)
	if !ok {
		return
	}
	if j.API != Bulk2 {
		// A Bulk 1.0 (Classic) job is listed here but changed only
		// through /services/async.
		c.fail(errNotFound)
		return
	}
	body, err := c.readBody()
	if err != nil {
		c.fail(err)
		return
	}
	var req struct {
		State string `json:"state"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		c.fail(badRequest("JSON_PARSER_ERROR", "Unable to parse the request body as JSON: "+err.Error()))
		return
	}
	err = o.write(c.r.Context(), func(tx *sql.Tx) error {
		cur, err := o.jobQ(c.r.Context(), tx, j.ID)
		if err != nil {
			return err
		}
		switch {
		case req.State == StateUploadComplete && kind == KindIngest:
			if cur.State != StateOpen {
				return badRequest("INVALIDJOBSTATE", fmt.Sprintf("Closing already %s Job not allowed", stateWord(cur.State)))
			}
		case req.State == StateAborted:
			if cur.Terminal() {
				return badRequest("INVALIDJOBSTATE", fmt.Sprintf("Aborting already %s Job not allowed", stateWord(cur.State)))
			}
		default:
			return badRequest("INVALIDJOBSTATE", fmt.Sprintf("Changing the state of a job to %q is not allowed", req.State))
		}
		stamp := o.stamp()
		if _, err := tx.ExecContext(c.r.Context(), `UPDATE _jobs SET state = ?, system_modstamp = ? WHERE id = ?`,
			req.State, formatStamp(stamp), cur.ID); err != nil {
			return err
		}
		if req.State == StateAborted {
			if _, err := tx.ExecContext(c.r.Context(), `UPDATE _batches SET state = ?, system_modstamp = ? WHERE job_id = ? AND state = ?`,
				BatchNotProcessed, formatStamp(stamp), cur.ID, BatchQueued); err != nil {
				return err
			}
		}
		cur.State, cur.SystemModstamp = req.State, stamp
		j = cur
		return nil
	})
	if err != nil {
		c.fail(err)
		return
	}
	if j.State == StateUploadComplete {
		o.kick()
	}
	// The answer is the short form, ending at apiVersion (recorded).
	c.bulk2(http.StatusOK, jobHead(j))
}

// stateWord names a state in INVALIDJOBSTATE messages ("Aborting already
// Completed Job not allowed", recorded).
func stateWord(s string) string {
	if s == StateJobComplete {
		return "Completed"
	}
	return s
}

// deleteJob serves DELETE /jobs/{ingest,query}/{id}: allowed once the job
// is no longer Open or running.
func (o *Org) deleteJob(c *call, kind JobKind, id string) {
	j, ok := o.lookupJob(c, kind, id)
	if !ok {
		return
	}
	if j.API != Bulk2 {
		c.fail(errNotFound)
		return
	}
	err := o.write(c.r.Context(), func(tx *sql.Tx) error {
		cur, err := o.jobQ(c.r.Context(), tx, j.ID)
		if err != nil {
			return err
		}
		if cur.State == StateOpen || cur.State == StateInProgress || (kind == KindQuery && cur.State == StateUploadComplete) {
			// Recorded for query jobs; UNCERTAIN for ingest jobs, which
			// answer in the same words here.
			return badRequest("API_ERROR", "Error encountered when deleting the job because the job is not terminated")
		}
		return deleteJobTx(c.r.Context(), tx, cur.ID)
	})
	if err != nil {
		c.fail(err)
		return
	}
	c.noContent()
}

func deleteJobTx(ctx context.Context, tx *sql.Tx, id string) error {
	for _, q := range []string{
		`DELETE FROM _results WHERE batch_id IN (SELECT id FROM _batches WHERE job_id = ?)`,
		`DELETE FROM _batch_data WHERE batch_id IN (SELECT id FROM _batches WHERE job_id = ?)`,
		`DELETE FROM _batches WHERE job_id = ?`,
		`DELETE FROM _query_chunks WHERE job_id = ?`,
		`DELETE FROM _jobs WHERE id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}

// Which results an ingest results request asks for.
type resultSet int

const (
	_ resultSet = iota
	resultsSuccessful
	resultsFailed
	resultsUnprocessed
)

// ingestResults serves successfulResults, failedResults and
// unprocessedrecords: "sf__" columns quoted, the uploaded header echoed
// verbatim, values quoted; header only when there is nothing to list.
func (o *Org) ingestResults(c *call, id string, which resultSet) {
	j, ok := o.lookupJob(c, KindIngest, id)
	if !ok {
		return
	}
	ctx := c.r.Context()
	batches, err := o.Batches(ctx, j.ID)
	if err != nil {
		c.fail(err)
		return
	}
	delim := j.delimiter()
	w := sfcsv.NewWriter(delim, sfcsv.LF)
	eol := "\n"
	if j.LineEnding == "CRLF" {
		eol = "\r\n"
		w = sfcsv.NewWriter(delim, sfcsv.CRLF)
	}
	var header []byte
	var lines [][]byte
	for _, b := range batches {
		data, err := o.BatchData(ctx, b.ID)
		if err != nil {
			c.fail(err)
			return
		}
		rd := sfcsv.NewReader(data, delim, j.lineEnding())
		_, rawHeader, err := rd.Read()
		if err == nil && header == nil {
			header = append([]byte(nil), rawHeader...)
		}
		switch which {
		case resultsSuccessful, resultsFailed:
			success := 1
			if which == resultsFailed {
				success = 0
			}
			rows, err := o.db.QueryContext(ctx, `SELECT success, created, record_id, error, echo FROM _results WHERE batch_id = ? AND success = ? ORDER BY row`, b.ID, success)
			if err != nil {
				c.fail(err)
				return
			}
			for rows.Next() {
				var ok, created bool
				var rid, msg, echo string
				if err := rows.Scan(&ok, &created, &rid, &msg, &echo); err != nil {
					rows.Close()
					c.fail(err)
					return
				}
				w.Reset()
				w.Quoted(rid, true)
				if ok {
					w.Quoted(strconv.FormatBool(created), false)
				} else {
					w.Quoted(msg, false)
				}
				line := append([]byte(nil), w.Bytes()...)
				if echo != "" {
					line = append(line, delim)
					line = append(line, echo...)
				}
				lines = append(lines, append(line, eol...))
			}
			rows.Close()
		case resultsUnprocessed:
			if b.State == BatchCompleted || b.RowsTotal == 0 {
				continue
			}
			for i := 0; ; i++ {
				_, raw, err := rd.Read()
				if errors.Is(err, sfcsv.ErrEOF) {
					break
				}
				if i < b.NextRow || err != nil {
					continue
				}
				lines = append(lines, append(append([]byte(nil), raw...), eol...))
			}
		}
	}
	// The uploaded header is echoed byte for byte after the sf__ columns.
	var head bytes.Buffer
	switch which {
	case resultsSuccessful:
		head.WriteString(`"sf__Id"` + string(delim) + `"sf__Created"`)
	case resultsFailed:
		head.WriteString(`"sf__Id"` + string(delim) + `"sf__Error"`)
	}
	if len(header) > 0 {
		if head.Len() > 0 {
			head.WriteByte(delim)
		}
		head.Write(header)
	}
	head.WriteString(eol)
	c.w.Header().Set("Content-Type", ctCSV)
	c.limitInfo()
	c.w.WriteHeader(http.StatusOK)
	if shuffle := o.shuffler(); shuffle != nil {
		shuffle(len(lines), func(i, k int) { lines[i], lines[k] = lines[k], lines[i] })
	}
	c.w.Write(head.Bytes())
	for _, l := range lines {
		c.w.Write(l)
	}
}
