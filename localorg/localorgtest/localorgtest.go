// Package localorgtest starts a local Salesforce org for a test, the way
// net/http/httptest starts a server: in this process, on a free loopback
// port, with its data in the test's temporary directory, closed by
// t.Cleanup. Tests talk to it over HTTP like any client, can inspect it
// through the *localorg.Org, and can see every request the org received
// with its headers (Requests), to check what a client sends.
package localorgtest

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfsync/sfsync/localorg"
)

// Org is a running local org and what a client needs to reach it.
type Org struct {
	// URL is the instance URL (also the login URL): http://127.0.0.1:PORT.
	URL           string
	Username      string
	Password      string
	SecurityToken string
	ClientID      string
	ClientSecret  string
	// AccessToken is a live session of the admin user; RefreshToken
	// obtains new ones (grant_type=refresh_token with ClientID).
	AccessToken  string
	RefreshToken string
	OrgID        string
	UserID       string
	APIVersion   string // the newest version served, "66.0"
	Dir          string
	// AdminSecret authorises the /__localorg/ admin API (header
	// localorg.AdminSecretHeader).
	AdminSecret string

	// Org is the engine, for Go-level inspection (jobs, uploads, results).
	Org      *localorg.Org
	Instance *localorg.Instance

	rec *recorder
}

// Request is an API request the org received, as its client sent it
// (method, URL, headers; not the body), with the answer's status and
// headers. Status is 0 when no answer left (a DropConnections fault).
type Request struct {
	Method         string
	URL            *url.URL
	Header         http.Header
	Status         int
	ResponseHeader http.Header
}

// recorder keeps the requests to an org (the admin API's excepted).
type recorder struct {
	mu   sync.Mutex
	reqs []Request
}

func (rc *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/__localorg/") {
			h.ServeHTTP(w, r)
			return
		}
		rw := &recordingWriter{ResponseWriter: w}
		// Recorded even when the handler aborts (cut or dropped answers).
		defer func() {
			rc.mu.Lock()
			rc.reqs = append(rc.reqs, Request{Method: r.Method, URL: r.URL, Header: r.Header.Clone(), Status: rw.status, ResponseHeader: rw.header})
			rc.mu.Unlock()
		}()
		h.ServeHTTP(rw, r)
	})
}

// recordingWriter notes the status and headers of an answer.
type recordingWriter struct {
	http.ResponseWriter
	status int
	header http.Header
}

func (w *recordingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status, w.header = status, w.ResponseWriter.Header().Clone()
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Requests returns the API requests the org received so far, oldest
// first (admin API calls are not included).
func (o *Org) Requests() []Request {
	o.rec.mu.Lock()
	defer o.rec.mu.Unlock()
	return append([]Request(nil), o.rec.reqs...)
}

// CountRequests counts the requests with that method (any when empty)
// whose path ends with suffix.
func (o *Org) CountRequests(method, suffix string) int {
	n := 0
	for _, r := range o.Requests() {
		if (method == "" || r.Method == method) && strings.HasSuffix(r.URL.Path, suffix) {
			n++
		}
	}
	return n
}

// New starts an org with default options.
func New(t testing.TB) *Org { return Start(t, localorg.Options{}) }

// Start starts an org with the given options in a fresh temporary
// directory. The org stops when the test ends.
func Start(t testing.TB, opts localorg.Options) *Org {
	t.Helper()
	return StartIn(t, t.TempDir(), opts)
}

// StartIn starts the org stored in dir (for example to reopen one a test
// stopped). It stops when the test ends, or earlier by Close.
func StartIn(t testing.TB, dir string, opts localorg.Options) *Org {
	t.Helper()
	rec := &recorder{}
	inst, err := localorg.Start(context.Background(), dir, localorg.StartOptions{Options: opts, Exclusive: true, Wrap: rec.wrap})
	if err != nil {
		t.Fatalf("localorgtest: start org: %v", err)
	}
	t.Cleanup(func() { inst.Close() })
	c := inst.Connection()
	return &Org{
		URL:           c.InstanceURL,
		Username:      c.Username,
		Password:      c.Password,
		SecurityToken: c.SecurityToken,
		ClientID:      c.ClientID,
		ClientSecret:  c.ClientSecret,
		AccessToken:   c.AccessToken,
		RefreshToken:  c.RefreshToken,
		OrgID:         c.OrgID,
		UserID:        c.UserID,
		APIVersion:    c.APIVersion,
		Dir:           dir,
		AdminSecret:   c.AdminSecret,
		Org:           inst.Org,
		Instance:      inst,
		rec:           rec,
	}
}

// Close stops the org before the test ends (to restart it with StartIn).
func (o *Org) Close() error { return o.Instance.Close() }

// SetFaults switches faults on (see localorg.Faults) until the test ends
// or the next call.
func (o *Org) SetFaults(t testing.TB, f localorg.Faults) {
	t.Helper()
	if err := o.Org.SetFaults(f); err != nil {
		t.Fatalf("localorgtest: %v", err)
	}
	t.Cleanup(o.Org.ClearFaults)
}

// FailNextCalls answers the next n API calls with HTTP 503.
func (o *Org) FailNextCalls(n int) { o.Org.FailNextCalls(n) }

// ExpireSessions ends every session, as if they had timed out; clients
// must log in again or use their refresh token.
func (o *Org) ExpireSessions(t testing.TB) {
	t.Helper()
	if err := o.Org.ExpireSessions(context.Background()); err != nil {
		t.Fatalf("localorgtest: expire sessions: %v", err)
	}
}

// LockRows makes fraction of Bulk ingest records fail with
// UNABLE_TO_LOCK_ROW, the same rows for the same seed.
func (o *Org) LockRows(fraction float64, seed int64) { o.Org.LockRows(fraction, seed) }

// FailNextBatch fails the next Bulk 1.0 batch with stateMessage msg.
func (o *Org) FailNextBatch(msg string) { o.Org.FailNextBatch(msg) }

// FailNextJob fails the next Bulk 2.0 job with errorMessage msg.
func (o *Org) FailNextJob(msg string) { o.Org.FailNextJob(msg) }

// SlowProcessing pauses before each job or batch and after each chunk of
// 200 records.
func (o *Org) SlowProcessing(job, chunk time.Duration) { o.Org.SlowProcessing(job, chunk) }

// ServerErrorNextCalls answers the next n API calls whose path contains
// path with HTTP 500, without carrying them out.
func (o *Org) ServerErrorNextCalls(n int, path string) { o.Org.ServerErrorNextCalls(n, path) }

// DropNextConnections carries out the next n API calls whose path
// contains path and closes their connection unanswered.
func (o *Org) DropNextConnections(n int, path string) { o.Org.DropNextConnections(n, path) }

// LockNextBatches fails the next n Bulk 1.0 ingest batches with
// TooManyLockFailure.
func (o *Org) LockNextBatches(n int) { o.Org.LockNextBatches(n) }

// CutNextResponses cuts the next n answers to paths containing path
// after afterBytes bytes of body.
func (o *Org) CutNextResponses(n, afterBytes int, path string) {
	o.Org.CutNextResponses(n, afterBytes, path)
}

// ShuffleResults shuffles Bulk 2.0 result rows (by seed) until turned off.
func (o *Org) ShuffleResults(on bool, seed int64) { o.Org.ShuffleResults(on, seed) }

// SetLimits lowers the org's limits (zero fields keep Salesforce's) until
// the test ends, and starts the daily allocations afresh.
func (o *Org) SetLimits(t testing.TB, l localorg.Limits) {
	t.Helper()
	o.Org.SetLimits(l)
	o.Org.ResetUsage()
	t.Cleanup(func() { o.Org.SetLimits(localorg.Limits{}) })
}

// Admin calls the admin API (path relative to /__localorg/, for example
// "faults") with the admin secret and returns the status and body.
func (o *Org) Admin(t testing.TB, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, o.URL+"/__localorg/"+strings.TrimPrefix(path, "/"), strings.NewReader(body))
	if err != nil {
		t.Fatalf("localorgtest: %v", err)
	}
	req.Header.Set(localorg.AdminSecretHeader, o.AdminSecret)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("localorgtest: admin %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("localorgtest: admin %s %s: %v", method, path, err)
	}
	return resp.StatusCode, b
}
