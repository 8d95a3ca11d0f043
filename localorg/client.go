package localorg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Client talks to a running org over HTTP with the credentials of its
// connection.json, the way any Salesforce client would: the `sfsync
// localorg` commands use it whether the org runs in their own process or
// in another one. It refreshes an expired session once with the refresh
// token.
type Client struct {
	HTTP *http.Client
	// PollInterval is how often job states are polled (default 50ms).
	PollInterval time.Duration

	mu   sync.Mutex
	conn Connection
}

// Client returns a client for the instance.
func (i *Instance) Client() *Client {
	return &Client{HTTP: &http.Client{}, conn: i.Connection()}
}

// APIError is an error answer of the org.
type APIError struct {
	Status int
	Code   string
	Msg    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Msg, e.Status)
}

// do sends a request to path (relative to the instance URL) and returns
// the answer's body.
func (cl *Client) do(ctx context.Context, method, path, contentType string, body []byte, admin bool) (*http.Response, []byte, error) {
	for attempt := 0; ; attempt++ {
		cl.mu.Lock()
		conn := cl.conn
		cl.mu.Unlock()
		req, err := http.NewRequestWithContext(ctx, method, conn.InstanceURL+path, bytes.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if admin {
			req.Header.Set(AdminSecretHeader, conn.AdminSecret)
		} else {
			req.Header.Set("Authorization", "Bearer "+conn.AccessToken)
		}
		resp, err := cl.HTTP.Do(req)
		if err != nil {
			return nil, nil, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode == http.StatusUnauthorized && !admin && attempt == 0 {
			if err := cl.refresh(ctx); err != nil {
				return nil, nil, err
			}
			continue
		}
		if resp.StatusCode >= 300 {
			return resp, b, answerError(resp.StatusCode, b)
		}
		return resp, b, nil
	}
}

func answerError(status int, b []byte) error {
	var list []struct{ ErrorCode, Message string }
	if json.Unmarshal(b, &list) == nil && len(list) > 0 {
		return &APIError{Status: status, Code: list[0].ErrorCode, Msg: list[0].Message}
	}
	return &APIError{Status: status, Code: http.StatusText(status), Msg: strings.TrimSpace(string(b))}
}

// refresh gets a new session with the refresh token.
func (cl *Client) refresh(ctx context.Context) error {
	cl.mu.Lock()
	conn := cl.conn
	cl.mu.Unlock()
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {conn.ClientID}, "client_secret": {conn.ClientSecret}, "refresh_token": {conn.RefreshToken}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, conn.InstanceURL+"/services/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := cl.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		return fmt.Errorf("refresh session: %w", err)
	}
	if tok.AccessToken == "" {
		return fmt.Errorf("refresh session: %s: %s", tok.Error, tok.Description)
	}
	cl.mu.Lock()
	cl.conn.AccessToken = tok.AccessToken
	cl.mu.Unlock()
	return nil
}

func (cl *Client) dataPath(rest string) string {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	v := cl.conn.APIVersion
	if v == "" {
		v = fmt.Sprintf("%d.0", MaxAPIVersion)
	}
	return "/services/data/v" + v + rest
}

type jobAnswer struct {
	ID                     string `json:"id"`
	State                  string `json:"state"`
	ErrorMessage           string `json:"errorMessage"`
	NumberRecordsProcessed int64  `json:"numberRecordsProcessed"`
	NumberRecordsFailed    int64  `json:"numberRecordsFailed"`
}

func (cl *Client) waitJob(ctx context.Context, kind, id string) (*jobAnswer, error) {
	poll := cl.PollInterval
	if poll <= 0 {
		poll = 50 * time.Millisecond
	}
	for {
		_, b, err := cl.do(ctx, http.MethodGet, cl.dataPath("/jobs/"+kind+"/"+id), "", nil, false)
		if err != nil {
			return nil, err
		}
		var j jobAnswer
		if err := json.Unmarshal(b, &j); err != nil {
			return nil, err
		}
		switch j.State {
		case StateJobComplete, StateFailed, StateAborted:
			return &j, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// Query runs a query as a Bulk API 2.0 query job and writes its CSV result
// to w (one header line, then the rows of every page).
func (cl *Client) Query(ctx context.Context, soql string, all bool, w io.Writer) error {
	op := "query"
	if all {
		op = "queryAll"
	}
	spec, _ := json.Marshal(map[string]string{"operation": op, "query": soql})
	_, b, err := cl.do(ctx, http.MethodPost, cl.dataPath("/jobs/query"), "application/json", spec, false)
	if err != nil {
		return err
	}
	var j jobAnswer
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	done, err := cl.waitJob(ctx, "query", j.ID)
	if err != nil {
		return err
	}
	if done.State != StateJobComplete {
		return fmt.Errorf("query job %s %s: %s", j.ID, done.State, done.ErrorMessage)
	}
	locator := ""
	for page := 0; ; page++ {
		p := "/jobs/query/" + j.ID + "/results"
		if locator != "" {
			p += "?locator=" + url.QueryEscape(locator)
		}
		resp, body, err := cl.do(ctx, http.MethodGet, cl.dataPath(p), "", nil, false)
		if err != nil {
			return err
		}
		if page > 0 {
			// Every page repeats the header line.
			if i := bytes.IndexByte(body, '\n'); i >= 0 {
				body = body[i+1:]
			}
		}
		if _, err := w.Write(body); err != nil {
			return err
		}
		locator = resp.Header.Get("Sforce-Locator")
		if locator == "" || locator == "null" {
			return nil
		}
	}
}

// LoadResult is the outcome of Load.
type LoadResult struct {
	JobID     string
	State     string
	Processed int64
	Failed    int64
	// FailedCSV is the failedResults file ("sf__Id","sf__Error",...).
	FailedCSV []byte
	// ErrorMessage is set when the job failed as a whole.
	ErrorMessage string
}

// Load writes a CSV file to an object with a Bulk API 2.0 ingest job
// (operation insert, update, upsert, delete or hardDelete; externalID
// for upserts) and waits for it.
func (cl *Client) Load(ctx context.Context, object, operation, externalID string, csv []byte) (*LoadResult, error) {
	spec := map[string]string{"object": object, "operation": operation, "contentType": "CSV", "lineEnding": "LF"}
	if bytes.Contains(csv, []byte("\r\n")) {
		spec["lineEnding"] = "CRLF"
	}
	if externalID != "" {
		spec["externalIdFieldName"] = externalID
	}
	body, _ := json.Marshal(spec)
	_, b, err := cl.do(ctx, http.MethodPost, cl.dataPath("/jobs/ingest"), "application/json", body, false)
	if err != nil {
		return nil, err
	}
	var j jobAnswer
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	if _, _, err := cl.do(ctx, http.MethodPut, cl.dataPath("/jobs/ingest/"+j.ID+"/batches"), "text/csv", csv, false); err != nil {
		return nil, err
	}
	if _, _, err := cl.do(ctx, http.MethodPatch, cl.dataPath("/jobs/ingest/"+j.ID), "application/json", []byte(`{"state":"UploadComplete"}`), false); err != nil {
		return nil, err
	}
	done, err := cl.waitJob(ctx, "ingest", j.ID)
	if err != nil {
		return nil, err
	}
	res := &LoadResult{JobID: j.ID, State: done.State, Processed: done.NumberRecordsProcessed, Failed: done.NumberRecordsFailed, ErrorMessage: done.ErrorMessage}
	if done.NumberRecordsFailed > 0 {
		_, res.FailedCSV, err = cl.do(ctx, http.MethodGet, cl.dataPath("/jobs/ingest/"+j.ID+"/failedResults"), "", nil, false)
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// SchemaChange is what AddSchema did to one object.
type SchemaChange struct {
	Object    string   `json:"object"`
	KeyPrefix string   `json:"keyPrefix"`
	Created   bool     `json:"created"`
	Fields    []string `json:"fields"`
}

// AddSchema adds custom objects and fields from describe-shaped JSON.
func (cl *Client) AddSchema(ctx context.Context, describeJSON []byte) ([]SchemaChange, error) {
	_, b, err := cl.do(ctx, http.MethodPost, "/__localorg/schema", "application/json", describeJSON, true)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Code == "INVALID_SCHEMA" {
			return nil, errors.New(ae.Msg)
		}
		return nil, err
	}
	var out []SchemaChange
	return out, json.Unmarshal(b, &out)
}

// Reset empties the org (see Org.Reset) and returns its org Id.
func (cl *Client) Reset(ctx context.Context, newOrg bool) (string, error) {
	p := "/__localorg/reset"
	if newOrg {
		p += "?newOrg=true"
	}
	_, b, err := cl.do(ctx, http.MethodPost, p, "", nil, true)
	if err != nil {
		return "", err
	}
	var out struct {
		OrgID string `json:"orgId"`
	}
	return out.OrgID, json.Unmarshal(b, &out)
}
