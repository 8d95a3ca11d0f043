package localorg

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/localorg/internal/schema"
)

// Bulk API 1.0 (/services/async/{version}/job…): jobs hold batches that
// are processed as soon as they are added, while the job is still Open.
// Answers are XML for CSV and XML jobs and JSON for JSON jobs (a job
// create answers in the request's format), errors are <error> documents
// with an exceptionCode and HTTP 400 (reference §2).

// Bulk 1.0 content types of a job.
const (
	asyncCSV  = "CSV"
	asyncXML  = "XML"
	asyncJSON = "JSON"
)

// asyncContentTypes are the job contentType values Salesforce knows; the
// ZIP_ ones (binary attachments) are refused with a clear message.
var asyncContentTypes = map[string]bool{"CSV": true, "XML": true, "JSON": true, "ZIP_CSV": true, "ZIP_XML": true, "ZIP_JSON": true}

// asyncOperations are the job operations, spelled exactly as Salesforce
// wants them ("INSERT" and "harddelete" are refused).
var asyncOperations = map[string]JobKind{
	"insert": KindIngest, "update": KindIngest, "upsert": KindIngest, "delete": KindIngest, "hardDelete": KindIngest,
	"query": KindQuery, "queryAll": KindQuery,
}

// asyncErr is a Bulk 1.0 error: HTTP 400 unless said otherwise.
func asyncErr(code, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Msg: fmt.Sprintf(format, args...)}
}

func isJSONType(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return strings.HasSuffix(mt, "/json") || strings.HasSuffix(mt, "+json")
}

// jsonJob reports whether a job answers in JSON.
func (j *Job) jsonJob() bool { return j.ContentType == "JSON" || j.ContentType == "ZIP_JSON" }

// routeAsync serves /services/async/{version}/...
func (o *Org) routeAsync(c *call) {
	s := c.segs
	if len(s) < 3 {
		c.fail(asyncErr("InvalidUrl", "Unknown URL: %s", c.r.URL.Path))
		return
	}
	v, ok := asyncVersion(s[2], o.opts.MaxAPIVersion)
	if !ok {
		// "Invalid api version specified on URL" is the wording clients
		// report; UNCERTAIN whether retired versions (21.0-30.0) get
		// another one.
		c.fail(asyncErr("InvalidVersion", "Invalid api version specified on URL"))
		return
	}
	c.ver = fmt.Sprintf("%d.0", v)
	if !o.authenticateAsync(c) {
		return
	}
	rest := s[3:]
	if len(rest) == 0 || rest[0] != "job" {
		c.fail(asyncErr("InvalidOperation", "The operation specified in the URI is invalid: %s", strings.Join(rest, "/")))
		return
	}
	rest = rest[1:]
	method := c.r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	bad := func() {
		c.fail(&apiError{Status: http.StatusMethodNotAllowed, Code: "InvalidUrl", Msg: fmt.Sprintf("HTTP Method '%s' not allowed for %s", c.r.Method, c.r.URL.Path)})
	}
	if len(rest) == 0 {
		if method != http.MethodPost {
			bad()
			return
		}
		o.asyncCreateJob(c)
		return
	}
	j, ok := o.asyncJob(c, rest[0])
	if !ok {
		return
	}
	// Answers about a job follow the job's format, except a state change,
	// which answers in the format it was sent in.
	c.asyncJSON = j.jsonJob()
	switch {
	case len(rest) == 1:
		switch method {
		case http.MethodGet:
			o.asyncJobInfo(c, j, http.StatusOK)
		case http.MethodPost:
			o.asyncUpdateJob(c, j)
		default:
			bad()
		}
	case len(rest) == 2 && rest[1] == "batch":
		switch method {
		case http.MethodGet:
			o.asyncBatchList(c, j)
		case http.MethodPost:
			o.asyncCreateBatch(c, j)
		default:
			bad()
		}
	case len(rest) >= 3 && rest[1] == "batch":
		b, ok := o.asyncBatch(c, j, rest[2])
		if !ok {
			return
		}
		if method != http.MethodGet {
			bad()
			return
		}
		switch {
		case len(rest) == 3:
			c.asyncWrite(http.StatusOK, batchInfoDoc(b, c.asyncJSON))
		case len(rest) == 4 && rest[3] == "request":
			o.asyncBatchRequest(c, j, b)
		case len(rest) == 4 && rest[3] == "result":
			o.asyncBatchResult(c, j, b)
		case len(rest) == 5 && rest[3] == "result":
			o.asyncQueryResult(c, j, b, rest[4])
		default:
			c.fail(asyncErr("InvalidUrl", "Unknown URL: %s", c.r.URL.Path))
		}
	default:
		c.fail(asyncErr("InvalidUrl", "Unknown URL: %s", c.r.URL.Path))
	}
}

// asyncVersion parses the version segment of a Bulk 1.0 path ("60.0"),
// served up to max.
func asyncVersion(seg string, max int) (int, bool) {
	v, ok := parseVersion("v" + seg)
	return v, ok && v >= MinAPIVersion && v <= max
}

// authenticateAsync checks the session the Bulk 1.0 way: from
// X-SFDC-Session only, answering 400 InvalidSessionId, not 401 (recorded).
// Salesforce does not read "Authorization: Bearer" on /services/async: a
// client that sent its session that way got "InvalidSessionId: Unable to
// find session id" and was fixed by sending X-SFDC-Session instead
// (StevenMMortimer/salesforcer#6, commit 99b592d).
func (o *Org) authenticateAsync(c *call) bool {
	tok := strings.TrimSpace(c.r.Header.Get("X-SFDC-Session"))
	if tok == "" {
		c.fail(asyncErr("InvalidSessionId", "Unable to find session id"))
		return false
	}
	user, ok := o.checkSession(c.r.Context(), tok)
	if !ok {
		c.fail(asyncErr("InvalidSessionId", "Invalid session id"))
		return false
	}
	if !o.apiRequestsLeft() {
		// UNCERTAIN: Bulk 1.0's wording; REST says "TotalRequests Limit
		// exceeded." with REQUEST_LIMIT_EXCEEDED.
		c.fail(asyncErr("ExceededQuota", "TotalRequests Limit exceeded."))
		return false
	}
	c.user = user
	atomic.AddInt64(&o.apiCalls, 1)
	return true
}

// asyncJob finds a Bulk 1.0 job by Id.
func (o *Org) asyncJob(c *call, id string) (*Job, bool) {
	j, err := o.Job(c.r.Context(), id)
	if errors.Is(err, ErrNoJob) || err == nil && j.API != Bulk1 {
		// UNCERTAIN: wording.
		c.fail(asyncErr("InvalidJob", "Invalid job id: %s", id))
		return nil, false
	}
	if err != nil {
		c.fail(err)
		return nil, false
	}
	return j, true
}

// asyncBatch finds a batch of job j by Id.
func (o *Org) asyncBatch(c *call, j *Job, id string) (*Batch, bool) {
	b, err := o.Batch(c.r.Context(), id)
	if errors.Is(err, ErrNoJob) || err == nil && b.JobID != j.ID {
		// UNCERTAIN: wording.
		c.fail(asyncErr("InvalidBatch", "Invalid batch id: %s", id))
		return nil, false
	}
	if err != nil {
		c.fail(err)
		return nil, false
	}
	return b, true
}

// asyncError writes a Bulk 1.0 error document.
func (c *call) asyncError(e *apiError) {
	code := e.Code
	if e.Status >= 500 && e.Status != http.StatusServiceUnavailable {
		code = "InternalServerError"
	}
	c.asyncWrite(e.Status, errorDoc(code, e.Msg, c.asyncJSON))
}

// asyncWrite writes a Bulk 1.0 answer document.
func (c *call) asyncWrite(status int, d asyncDoc) {
	c.w.Header().Set("Content-Type", d.contentType)
	c.w.WriteHeader(status)
	if c.r.Method != http.MethodHead {
		c.w.Write(d.body)
	}
}

// readAsyncBody reads a request body of at most limit bytes; a larger
// body is ClientInputError, as Salesforce answers a batch over 10 MB
// (recorded: "Failed to read request. Exceeded max size limit of
// 10000000").
func (c *call) readAsyncBody(limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(c.r.Body, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, asyncErr("ClientInputError", "Failed to read request. Exceeded max size limit of %d", limit)
		}
		return nil, asyncErr("ClientInputError", "Failed to read request: %v", err)
	}
	if int64(len(b)) > limit {
		return nil, asyncErr("ClientInputError", "Failed to read request. Exceeded max size limit of %d", limit)
	}
	return b, nil
}

// asyncCreateJob serves POST /job: a jobInfo in XML or JSON.
func (o *Org) asyncCreateJob(c *call) {
	body, err := c.readAsyncBody(1 << 20)
	if err != nil {
		c.fail(err)
		return
	}
	spec, err := parseJobInfo(body, c.asyncJSON)
	if err != nil {
		c.fail(err)
		return
	}
	for _, f := range spec.readOnly {
		// Recorded: "CreatedById cannot be specified" (forceworkbench#675).
		c.fail(asyncErr("InvalidJob", "%s cannot be specified", upperFirst(f)))
		return
	}
	if spec.operation == "" {
		c.fail(asyncErr("InvalidJob", "Operation is required"))
		return
	}
	kind, ok := asyncOperations[spec.operation]
	if !ok {
		// Recorded for a wrongly cased operation (jsforce#186).
		c.fail(asyncErr("InvalidJob", "Unable to parse Job"))
		return
	}
	if spec.contentType == "" {
		spec.contentType = asyncXML
	}
	if !asyncContentTypes[spec.contentType] {
		c.fail(asyncErr("InvalidJob", "Unable to parse Job"))
		return
	}
	if strings.HasPrefix(spec.contentType, "ZIP_") {
		c.fail(asyncErr("FeatureNotEnabled", "Binary attachments (contentType %s) are not supported by localorg", spec.contentType))
		return
	}
	if spec.object == "" {
		c.fail(asyncErr("InvalidJob", "Object is required"))
		return
	}
	obj := o.object(spec.object)
	if obj == nil || !storable(obj) {
		c.fail(asyncErr("InvalidEntity", "Entity '%s' is not supported by the Bulk API.", spec.object))
		return
	}
	ext := ""
	switch {
	case spec.operation == "upsert":
		if spec.externalID == "" {
			// Recorded (Force.com-Toolkit-for-NET#331).
			c.fail(asyncErr("InvalidJob", "External ID was blank for %s. An External ID must be specified for upsert.", obj.Name))
			return
		}
		f := obj.Field(spec.externalID)
		if f == nil || !(f.ExternalID || f.IDLookup || f.Name == "Id") {
			c.fail(asyncErr("InvalidJob", "Field name provided, %s does not match an External ID, Salesforce Id, or indexed field for %s", spec.externalID, obj.Name))
			return
		}
		ext = f.Name
	case spec.externalID != "":
		// The docs: externalIdFieldName is only valid with upsert.
		// UNCERTAIN: wording.
		c.fail(asyncErr("InvalidJob", "External ID field name is only valid for upsert"))
		return
	}
	if kind == KindQuery && !obj.Queryable {
		c.fail(asyncErr("InvalidEntity", "Entity '%s' is not supported by the Bulk API.", obj.Name))
		return
	}
	pk, err := parsePKChunking(c.r.Header.Get("Sforce-Enable-PKChunking"), kind)
	if err != nil {
		c.fail(err)
		return
	}
	lineEnding := "LF"
	if le := strings.ToUpper(strings.TrimSpace(c.r.Header.Get("Sforce-Line-Ending"))); le != "" {
		if le != "LF" && le != "CRLF" {
			c.fail(asyncErr("InvalidJob", "Invalid line ending: %s. Use LF or CRLF", le))
			return
		}
		lineEnding = le
	}
	j := &Job{
		API: Bulk1, Kind: kind, Operation: spec.operation, Object: obj.Name, ExternalIDField: ext,
		AssignmentRuleID: spec.assignmentRuleID, ContentType: spec.contentType, LineEnding: lineEnding,
		ColumnDelimiter: "COMMA", ConcurrencyMode: spec.concurrencyMode, APIVersion: c.ver,
		State: StateOpen, CreatedByID: c.user, PKChunking: pk,
		DisableRetry: strings.EqualFold(strings.TrimSpace(c.r.Header.Get("Sforce-Disable-Batch-Retry")), "true"),
	}
	if err := o.insertJob(c.r.Context(), j, nil); err != nil {
		c.fail(err)
		return
	}
	c.w.Header().Set("Location", "/services/async/"+c.ver+"/job/"+j.ID)
	info, err := o.jobCounts(c.r.Context(), j)
	if err != nil {
		c.fail(err)
		return
	}
	c.asyncWrite(http.StatusCreated, jobInfoDoc(j, info, c.asyncJSON))
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parsePKChunking reads Sforce-Enable-PKChunking: TRUE, FALSE or
// "chunkSize=50000; startRow=001…; parent=Account". It returns the
// setting as stored ("" for off, else "chunkSize=N;startRow=X").
func parsePKChunking(h string, kind JobKind) (string, error) {
	h = strings.TrimSpace(h)
	if h == "" || strings.EqualFold(h, "false") {
		return "", nil
	}
	if kind != KindQuery {
		// UNCERTAIN: wording; PK chunking only applies to query jobs.
		return "", asyncErr("InvalidJob", "PK chunking is only supported for query jobs")
	}
	size, start := 100000, ""
	if !strings.EqualFold(h, "true") {
		for _, part := range strings.Split(h, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "chunksize":
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || n < 1 || n > 250000 {
					// UNCERTAIN: wording.
					return "", asyncErr("InvalidJob", "Invalid chunkSize %s: it must be between 1 and 250000", strings.TrimSpace(v))
				}
				size = n
			case "startrow":
				start = strings.TrimSpace(v)
				if !sfid.Valid(start) {
					return "", asyncErr("InvalidJob", "Invalid startRow %s: it must be a 15 or 18 character Id", start)
				}
				start = sfid.To18(start)
			}
		}
	}
	return fmt.Sprintf("chunkSize=%d;startRow=%s", size, start), nil
}

// pkChunking returns a job's chunk size and start Id (0 when off).
func (j *Job) pkChunking() (size int, start string) {
	if j.PKChunking == "" {
		return 0, ""
	}
	for _, part := range strings.Split(j.PKChunking, ";") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "chunkSize":
			size, _ = strconv.Atoi(v)
		case "startRow":
			start = v
		}
	}
	return size, start
}

// asyncCounts are a job's batch counters, the aggregates of its batches.
type asyncCounts struct {
	queued, inProgress, completed, failed, total int64
}

func (o *Org) jobCounts(ctx context.Context, j *Job) (asyncCounts, error) {
	var n asyncCounts
	rows, err := o.db.QueryContext(ctx, `SELECT state, count(*) FROM _batches WHERE job_id = ? GROUP BY state`, j.ID)
	if err != nil {
		return n, err
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var k int64
		if err := rows.Scan(&state, &k); err != nil {
			return n, err
		}
		switch state {
		case BatchQueued:
			n.queued = k
		case BatchInProgress:
			n.inProgress = k
		case BatchCompleted:
			n.completed = k
		case BatchFailed:
			n.failed = k
		}
		n.total += k
	}
	return n, rows.Err()
}

// asyncJobInfo answers a job's info.
func (o *Org) asyncJobInfo(c *call, j *Job, status int) {
	n, err := o.jobCounts(c.r.Context(), j)
	if err != nil {
		c.fail(err)
		return
	}
	if j.State == StateOpen && o.now().Sub(j.CreatedDate) > jobMaxOpen {
		// A job open for more than 24 hours takes no more batches;
		// UNCERTAIN: Salesforce may report it Closed or Aborted.
		j.State = StateClosed
	}
	c.asyncWrite(status, jobInfoDoc(j, n, c.asyncJSON))
}

// jobMaxOpen is how long a Bulk 1.0 job accepts batches.
const jobMaxOpen = 24 * time.Hour

// asyncUpdateJob serves POST /job/{id}: close (state Closed) or abort
// (state Aborted). Only the state may be given.
func (o *Org) asyncUpdateJob(c *call, j *Job) {
	body, err := c.readAsyncBody(1 << 20)
	if err != nil {
		c.fail(err)
		return
	}
	if len(bytes.TrimSpace(body)) > 0 {
		c.asyncJSON = isJSONType(c.r.Header.Get("Content-Type")) || bytes.HasPrefix(bytes.TrimSpace(body), []byte("{"))
	}
	spec, err := parseJobInfo(body, c.asyncJSON)
	if err != nil {
		c.fail(err)
		return
	}
	for _, f := range spec.readOnly {
		c.fail(asyncErr("InvalidJob", "%s cannot be specified", upperFirst(f)))
		return
	}
	if spec.operation != "" || spec.object != "" || spec.contentType != "" || spec.externalID != "" || spec.assignmentRuleID != "" {
		// The docs: a state change may carry only the state.
		c.fail(asyncErr("InvalidJob", "Only the state of a job can be changed"))
		return
	}
	want := spec.state
	if want != StateClosed && want != StateAborted {
		c.fail(asyncErr("InvalidJobState", "Invalid state: %q. A job can only be Closed or Aborted", want))
		return
	}
	err = o.write(c.r.Context(), func(tx *sql.Tx) error {
		cur, err := o.jobQ(c.r.Context(), tx, j.ID)
		if err != nil {
			return err
		}
		switch {
		case cur.State == StateClosed && want == StateClosed:
			// Closing a closed job changes nothing. UNCERTAIN.
			j = cur
			return nil
		case cur.State == StateAborted || cur.State == StateFailed:
			// UNCERTAIN: wording, after Bulk 2.0's recorded "Aborting
			// already Completed Job not allowed".
			verb := "Closing"
			if want == StateAborted {
				verb = "Aborting"
			}
			return asyncErr("InvalidJobState", "%s already %s Job not allowed", verb, cur.State)
		case want == StateClosed && cur.State != StateOpen:
			return asyncErr("InvalidJobState", "Closing already %s Job not allowed", cur.State)
		}
		stamp := formatStamp(o.stamp())
		// Closing does not move systemModstamp (recorded); aborting does.
		q := `UPDATE _jobs SET state = ? WHERE id = ?`
		args := []any{want, cur.ID}
		if want == StateAborted {
			q = `UPDATE _jobs SET state = ?, system_modstamp = ? WHERE id = ?`
			args = []any{want, stamp, cur.ID}
			// Batches not started will never be; one in progress finishes.
			if _, err := tx.ExecContext(c.r.Context(), `UPDATE _batches SET state = ?, system_modstamp = ? WHERE job_id = ? AND state = ?`,
				BatchNotProcessed, stamp, cur.ID, BatchQueued); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(c.r.Context(), q, args...); err != nil {
			return err
		}
		j, err = o.jobQ(c.r.Context(), tx, cur.ID)
		return err
	})
	if err != nil {
		c.fail(err)
		return
	}
	o.asyncJobInfo(c, j, http.StatusOK)
}

// asyncContentTypeOK reports whether a batch's Content-Type suits its
// job. Query batches carry SOQL text under any type.
func asyncContentTypeOK(j *Job, ct string) bool {
	if j.Kind == KindQuery || ct == "" {
		return true
	}
	mt, _, _ := mime.ParseMediaType(ct)
	switch j.ContentType {
	case asyncCSV:
		return mt == "text/csv"
	case asyncXML:
		return mt == "application/xml" || mt == "text/xml"
	case asyncJSON:
		return mt == "application/json"
	}
	return false
}

// asyncCreateBatch serves POST /job/{id}/batch: records (ingest jobs) or
// a SOQL query (query jobs).
func (o *Org) asyncCreateBatch(c *call, j *Job) {
	ctx := c.r.Context()
	lims := o.Limits()
	if j.State != StateOpen || o.now().Sub(j.CreatedDate) > jobMaxOpen {
		// UNCERTAIN: wording.
		state := j.State
		if state == StateOpen {
			state = StateClosed
		}
		c.fail(asyncErr("InvalidJobState", "Job %s is %s: batches can only be added to an Open job", j.ID, state))
		return
	}
	ct := c.r.Header.Get("Content-Type")
	if !asyncContentTypeOK(j, ct) {
		mt, _, _ := mime.ParseMediaType(ct)
		c.fail(asyncErr("UnsupportedContentType", "Unsupported content type %s for a job of content type %s", mt, j.ContentType))
		return
	}
	data, err := c.readAsyncBody(lims.BatchBytes)
	if err != nil {
		c.fail(err)
		return
	}
	if int64(len(data)) > lims.BatchChars && int64(utf8.RuneCount(data)) > lims.BatchChars {
		c.fail(asyncErr("ClientInputError", "Failed to read request. Exceeded max size limit of %d", lims.BatchChars))
		return
	}
	if j.Kind == KindIngest {
		switch j.ContentType {
		case asyncXML:
			if _, err := xmlBatchRows(data); err != nil {
				c.fail(asyncErr("InvalidXML", "%v", err))
				return
			}
		case asyncJSON:
			rows, err := jsonBatchRows(data)
			if err != nil {
				c.fail(asyncErr("InvalidBatch", "%v", err))
				return
			}
			// A JSON batch naming an unknown field is refused at once
			// (recorded, simple-salesforce#540).
			if obj := o.object(j.Object); obj != nil && !knownColumns(obj, rows.header) {
				c.fail(asyncErr("InvalidBatch", "Records not processed"))
				return
			}
		}
	} else if len(bytes.TrimSpace(data)) == 0 {
		c.fail(asyncErr("InvalidBatch", "The query batch is empty"))
		return
	}
	left, err := o.bulkBatchesLeft(ctx)
	if err != nil {
		c.fail(err)
		return
	}
	if !left {
		// UNCERTAIN: wording and status (400 assumed, reference §2.10).
		c.fail(asyncErr("ExceededQuota", "Exceeded the maximum number of batches (%d) allowed in a 24 hour period", lims.DailyBulkApiBatches))
		return
	}
	var b *Batch
	err = o.write(ctx, func(tx *sql.Tx) error {
		cur, err := o.jobQ(ctx, tx, j.ID)
		if err != nil {
			return err
		}
		if cur.State != StateOpen {
			return asyncErr("InvalidJobState", "Job %s is %s: batches can only be added to an Open job", j.ID, cur.State)
		}
		mt, _, _ := mime.ParseMediaType(ct)
		id, err := insertBatchTx(ctx, tx, o, cur, data, mt, "")
		if err != nil {
			return err
		}
		b, err = scanBatch(tx.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM _batches WHERE id = ?`, id))
		return err
	})
	if err != nil {
		c.fail(err)
		return
	}
	o.kick()
	c.w.Header().Set("Location", "/services/async/"+c.ver+"/job/"+j.ID+"/batch/"+b.ID)
	c.asyncWrite(http.StatusCreated, batchInfoDoc(b, c.asyncJSON))
}

// knownColumns reports whether every column of a JSON batch names a field
// or relationship of obj.
func knownColumns(obj *schema.Object, header []string) bool {
	for _, h := range header {
		name := h
		if rel, _, ok := strings.Cut(h, "."); ok {
			if _, r, ok := strings.Cut(rel, ":"); ok {
				rel = r
			}
			if obj.Relationship(rel) == nil {
				return false
			}
			continue
		}
		if obj.Field(name) == nil {
			return false
		}
	}
	return true
}

// asyncBatchList serves GET /job/{id}/batch.
func (o *Org) asyncBatchList(c *call, j *Job) {
	batches, err := o.Batches(c.r.Context(), j.ID)
	if err != nil {
		c.fail(err)
		return
	}
	c.asyncWrite(http.StatusOK, batchListDoc(batches, c.asyncJSON))
}

// dataContentType is the Content-Type of a job's data.
func dataContentType(j *Job) string {
	switch j.ContentType {
	case asyncXML:
		return ctXML
	case asyncJSON:
		return "application/json"
	}
	return ctCSV
}

// asyncBatchRequest serves GET …/batch/{id}/request: the batch as
// uploaded (the SOQL text of a query batch).
func (o *Org) asyncBatchRequest(c *call, j *Job, b *Batch) {
	data, err := o.BatchData(c.r.Context(), b.ID)
	if err != nil {
		c.fail(err)
		return
	}
	ct := dataContentType(j)
	if j.Kind == KindQuery {
		ct = "text/plain"
	}
	c.asyncWrite(http.StatusOK, asyncDoc{contentType: ct, body: data})
}

// errBatchNotDone answers a request for the results of a batch that has
// not finished. UNCERTAIN: wording.
func errBatchNotDone(b *Batch) *apiError {
	return asyncErr("InvalidBatch", "Batch not completed")
}

// asyncBatchResult serves GET …/batch/{id}/result: per-record results of
// an ingest batch, in request order, or the result list of a query batch.
func (o *Org) asyncBatchResult(c *call, j *Job, b *Batch) {
	ctx := c.r.Context()
	if b.State != BatchCompleted && b.State != BatchFailed {
		c.fail(errBatchNotDone(b))
		return
	}
	if j.Kind == KindQuery {
		if b.State != BatchCompleted {
			c.fail(errBatchNotDone(b))
			return
		}
		c.asyncWrite(http.StatusOK, resultListDoc([]string{queryResultID(b.ID)}, c.asyncJSON))
		return
	}
	results, err := o.batchResults(ctx, j, b.ID, -1)
	if err != nil {
		c.fail(err)
		return
	}
	c.asyncWrite(http.StatusOK, ingestResultsDoc(j, results))
}

// queryResultID is the 15-character Id ("752…") of a query batch's one
// result file: the batch's own number under the result prefix.
func queryResultID(batchID string) string { return "752" + batchID[3:15] }

// asyncQueryResult serves GET …/batch/{id}/result/{resultId}: the query
// result file in the job's format.
func (o *Org) asyncQueryResult(c *call, j *Job, b *Batch, resultID string) {
	if j.Kind != KindQuery || b.State != BatchCompleted {
		c.fail(errBatchNotDone(b))
		return
	}
	if !sfid.Equal(resultID, queryResultID(b.ID)) && resultID != queryResultID(b.ID) {
		// UNCERTAIN: wording.
		c.fail(asyncErr("InvalidBatch", "Invalid result id: %s", resultID))
		return
	}
	o.writeAsyncQueryResult(c, j, b)
}
