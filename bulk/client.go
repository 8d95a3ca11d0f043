package bulk

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sfsync/sfsync/internal/sfid"
)

// MaxAPIVersion is the highest API version this client speaks; New settles on
// the lower of it (or Config.APIVersion) and the org's highest version.
const MaxAPIVersion = "66.0"

// Minimum versions for the Bulk API 2.0 (reference §1.6).
const (
	MinIngest2Version = "41.0"
	MinQuery2Version  = "47.0"
)

// Config says how to reach and authenticate to an org.
type Config struct {
	// Auth logs in: AccessToken, SOAPLogin, PasswordFlow, RefreshTokenFlow,
	// JWTBearer or ClientCredentials.
	Auth Authenticator
	// APIVersion caps the version used ("62.0"); "" means MaxAPIVersion.
	APIVersion string
	// HTTPClient defaults to a client that waits at most 5 minutes for an
	// answer to start (no overall limit: result pages are streamed).
	HTTPClient *http.Client
	// Logger receives debug lines (method, path, status, duration; never
	// headers or bodies). Nil discards.
	Logger *slog.Logger
	// ClientName goes into Sforce-Call-Options (default "sfsync").
	ClientName string
	// Retry governs retries of failed calls; zero fields take defaults.
	Retry RetryPolicy
	// Poll governs waiting for jobs; zero fields take defaults.
	Poll PollPolicy
	// CompressUploads gzips Bulk data uploads (Content-Encoding: gzip).
	CompressUploads bool
	// TempDir holds spooled upload data ("" = os.TempDir()).
	TempDir string
	// SessionLifetime is assumed when the login does not say how long a
	// session lasts without activity (OAuth never does); default 2h, the
	// Salesforce default.
	SessionLifetime time.Duration
}

// RetryPolicy: exponential backoff with full jitter.
type RetryPolicy struct {
	MaxAttempts int           // total attempts including the first (default 5)
	BaseDelay   time.Duration // first backoff (default 500ms)
	MaxDelay    time.Duration // backoff ceiling (default 30s)
}

// PollPolicy: how job states are polled — starting at Initial, growing by half
// each time up to Max, giving up after Timeout.
type PollPolicy struct {
	Initial time.Duration // default 1s
	Max     time.Duration // default 20s
	Timeout time.Duration // overall per job (default 2h)
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	return p
}

func (p PollPolicy) withDefaults() PollPolicy {
	if p.Initial <= 0 {
		p.Initial = time.Second
	}
	if p.Max <= 0 {
		p.Max = 20 * time.Second
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.Timeout <= 0 {
		p.Timeout = 2 * time.Hour
	}
	return p
}

// Client talks to one org. It is safe for concurrent use.
type Client struct {
	cfg     Config
	hc      *http.Client
	log     *slog.Logger
	retry   RetryPolicy
	poll    PollPolicy
	version string

	mu       sync.Mutex
	sess     *Session
	lastUsed time.Time
	invalid  bool // the server rejected the session and it could not be renewed

	cache *describeCache

	// sharedFrom is the client whose session a WithVersion copy uses.
	sharedFrom *Client
}

// New logs in with cfg.Auth and negotiates the API version: the lower of
// cfg.APIVersion (or MaxAPIVersion) and the highest version the org lists at
// /services/data.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Auth == nil {
		return nil, errors.New("bulk: no authentication configured")
	}
	want := cfg.APIVersion
	if want == "" {
		want = MaxAPIVersion
	}
	if _, err := parseVersion(want); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:   cfg,
		hc:    cfg.HTTPClient,
		log:   cfg.Logger,
		retry: cfg.Retry.withDefaults(),
		poll:  cfg.Poll.withDefaults(),
		cache: newDescribeCache(),
	}
	if c.hc == nil {
		// No overall timeout: a streamed result page may be read slowly by
		// its consumer. The server must start answering within 5 minutes;
		// ctx bounds everything else.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = 5 * time.Minute
		c.hc = &http.Client{Transport: t}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.cfg.ClientName == "" {
		c.cfg.ClientName = "sfsync"
	}
	if c.cfg.SessionLifetime <= 0 {
		c.cfg.SessionLifetime = 2 * time.Hour
	}
	c.version = want
	if err := c.login(ctx, nil); err != nil {
		return nil, err
	}
	if sv := c.Session().APIVersion; cfg.APIVersion == "" && sv != "" && !versionAtLeast(sv, want) {
		if _, err := parseVersion(sv); err == nil {
			// The login knows the org's version (the sf CLI's apiVersion):
			// no point asking for more.
			want = strings.TrimPrefix(sv, "v")
		}
	}
	versions, err := c.Versions(ctx)
	if err != nil {
		return nil, fmt.Errorf("negotiate API version: %w", err)
	}
	v, err := negotiate(want, versions)
	if err != nil {
		return nil, err
	}
	c.version = v
	c.log.Debug("salesforce session", "instance", c.InstanceURL(), "version", v, "auth", cfg.Auth.String())
	return c, nil
}

// WithVersion returns a client sharing this one's session that speaks the
// given API version — to continue a job created with another version (Bulk
// 2.0 answers 409 to a version mismatch; Bulk 1.0 needs the job's version).
func (c *Client) WithVersion(version string) (*Client, error) {
	if _, err := parseVersion(version); err != nil {
		return nil, err
	}
	if version == c.version {
		return c, nil
	}
	return &Client{cfg: c.cfg, hc: c.hc, log: c.log, retry: c.retry, poll: c.poll, version: version,
		cache: newDescribeCache(), sharedFrom: c}, nil
}

// Version is the negotiated API version, for example "62.0".
func (c *Client) Version() string { return c.version }

// InstanceURL is the org's base URL.
func (c *Client) InstanceURL() string {
	s := c.session()
	if s == nil {
		return ""
	}
	return s.InstanceURL
}

// String names the org and version, never the credentials the client holds
// (printing a *Client with %v would otherwise show them field by field).
func (c *Client) String() string {
	return fmt.Sprintf("Salesforce client for %s (%s, API %s)", c.InstanceURL(), c.cfg.Auth, c.version)
}

// GoString is String, for %#v.
func (c *Client) GoString() string { return c.String() }

// LogValue keeps slog from printing the client's fields.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// OrgID is the org's 18-character Id (what state files guard against).
func (c *Client) OrgID() string { return c.Session().OrgID }

// Session returns the current session. Its AccessToken is a secret: never log
// or print it.
func (c *Client) Session() Session {
	if s := c.session(); s != nil {
		return *s
	}
	return Session{}
}

func (c *Client) session() *Session {
	if c.sharedFrom != nil {
		return c.sharedFrom.session()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// Expired reports whether the session is known or estimated to have expired:
// the server rejected it and it could not be renewed, or it has been idle for
// longer than its lifetime (SOAP's sessionSecondsValid, else
// Config.SessionLifetime). A client whose Authenticator can log in again
// renews an expired session by itself on the next call.
func (c *Client) Expired() bool {
	if c.sharedFrom != nil {
		return c.sharedFrom.Expired()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil || c.invalid {
		return true
	}
	life := c.sess.Lifetime
	if life <= 0 {
		life = c.cfg.SessionLifetime
	}
	return time.Since(c.lastUsed) > life
}

// Refresh logs in again now (the seed's refreshToken). It fails for an
// Authenticator that cannot log in again (a given access token).
func (c *Client) Refresh(ctx context.Context) error {
	if c.sharedFrom != nil {
		return c.sharedFrom.Refresh(ctx)
	}
	if !c.cfg.Auth.CanRefresh() {
		return fmt.Errorf("refresh session: %s cannot log in again", c.cfg.Auth)
	}
	return c.login(ctx, nil)
}

// login authenticates; with stale set, only if the session is still the
// stale one (another goroutine may have renewed it already).
func (c *Client) login(ctx context.Context, stale *Session) error {
	if c.sharedFrom != nil {
		return c.sharedFrom.login(ctx, stale)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if stale != nil && c.sess != stale {
		return nil
	}
	s, err := c.cfg.Auth.Authenticate(ctx, AuthContext{HTTP: c.hc, Version: c.cfg.APIVersion, ClientName: c.cfg.ClientName})
	if err != nil {
		c.invalid = stale != nil
		return fmt.Errorf("log in (%s): %w", c.cfg.Auth, err)
	}
	s.InstanceURL = strings.TrimRight(s.InstanceURL, "/")
	if sfid.Valid(s.OrgID) {
		s.OrgID = sfid.To18(s.OrgID) // the token's prefix is the 15-character form
	}
	c.sess = s
	c.invalid = false
	c.lastUsed = time.Now()
	return nil
}

func (c *Client) touch() {
	if c.sharedFrom != nil {
		c.sharedFrom.touch()
		return
	}
	c.mu.Lock()
	c.lastUsed = time.Now()
	c.mu.Unlock()
}

func (c *Client) markInvalid() {
	if c.sharedFrom != nil {
		c.sharedFrom.markInvalid()
		return
	}
	c.mu.Lock()
	c.invalid = true
	c.mu.Unlock()
}

// apiKind selects the authentication header and error format.
type apiKind int

const (
	apiREST  apiKind = iota + 1 // /services/data: Authorization: Bearer, JSON errors, 401 on expiry
	apiBulk1                    // /services/async: X-SFDC-Session, XML/JSON errors, 400 InvalidSessionId on expiry
	apiNone                     // no session (versions list)
)

// retryClass says which failures a call may be retried after.
type retryClass int

const (
	// retrySafe: the call does no work twice when repeated (GET, DELETE,
	// state changes, creating a query job): retried after any 5xx,
	// connection reset, or timeout.
	retrySafe retryClass = iota + 1
	// retryUnsent: the call would duplicate work if it had reached
	// Salesforce (creating an ingest job, adding a 1.0 batch, uploading 2.0
	// data, sObject Collections writes): retried only when Salesforce cannot
	// have acted on it — the connection was never made, or it answered 503
	// (Service Unavailable: rejected before processing).
	retryUnsent
)

// call is one HTTP request.
type call struct {
	method      string
	path        string // "/services/…" or an absolute URL
	query       url.Values
	api         apiKind
	body        func() (io.Reader, error) // nil: no body; called once per attempt
	contentType string
	accept      string
	gzipBody    bool
	header      map[string]string
	retry       retryClass
}

func bytesBody(b []byte) func() (io.Reader, error) {
	return func() (io.Reader, error) { return bytes.NewReader(b), nil }
}

func fileBody(path string) func() (io.Reader, error) {
	return func() (io.Reader, error) { return os.Open(path) }
}

// do sends the call — re-authenticating once on an expired session, retrying
// as its class allows — and returns a 2xx response whose body is already
// decompressed. Any other answer becomes an *APIError.
func (c *Client) do(ctx context.Context, cl call) (*http.Response, error) {
	reauthed := false
	for attempt := 1; ; attempt++ {
		sess := c.session()
		resp, err := c.send(ctx, cl, sess)
		if err == nil && resp.StatusCode/100 == 2 {
			if err = c.buffer(cl, resp); err == nil {
				c.touch()
				return resp, nil
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if attempt < c.retry.MaxAttempts && retryableTransport(err, cl.retry) {
				c.log.Debug("retry after transport error", "method", cl.method, "path", logPath(cl.path), "attempt", attempt, "error", c.scrubString(err.Error()))
				if err := c.sleep(ctx, attempt); err != nil {
					return nil, err
				}
				continue
			}
			return nil, c.scrub(fmt.Errorf("%s %s: %w", cl.method, logPath(cl.path), err))
		}
		apiErr := c.readError(resp, cl)
		if sessionExpired(apiErr, cl.api) {
			if !reauthed && c.cfg.Auth.CanRefresh() {
				reauthed = true
				c.log.Debug("session expired; logging in again", "method", cl.method, "path", logPath(cl.path))
				if err := c.login(ctx, sess); err != nil {
					return nil, err
				}
				attempt-- // a renewed session is not a retry
				continue
			}
			c.markInvalid()
			return nil, apiErr
		}
		if attempt < c.retry.MaxAttempts && retryableStatus(resp.StatusCode, cl.retry) {
			c.log.Debug("retry after server error", "method", cl.method, "path", logPath(cl.path), "status", resp.StatusCode, "attempt", attempt)
			if err := c.sleepFor(ctx, attempt, retryAfter(resp)); err != nil {
				return nil, err
			}
			continue
		}
		return nil, apiErr
	}
}

// buffer reads the whole answer of a call that is safe to repeat, unless
// it is CSV (result files are streamed, and resumed by the reader when
// they break), so that an answer whose connection drops mid-body is asked
// for again like any other transport failure.
func (c *Client) buffer(cl call, resp *http.Response) error {
	if cl.retry != retrySafe || strings.Contains(resp.Header.Get("Content-Type"), "csv") {
		return nil
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return nil
}

func (c *Client) send(ctx context.Context, cl call, sess *Session) (*http.Response, error) {
	u, err := c.url(cl.path, sess)
	if err != nil {
		return nil, err
	}
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}
	var body io.Reader
	if cl.body != nil {
		r, err := cl.body()
		if err != nil {
			return nil, err
		}
		if rc, ok := r.(io.Closer); ok {
			defer rc.Close()
		}
		body = r
		if cl.gzipBody {
			body = gzipReader(r)
		}
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, body)
	if err != nil {
		return nil, err
	}
	if cl.body != nil && body != nil {
		// NewRequest only sets GetBody for in-memory readers; the body
		// function replays any body on redirects.
		req.GetBody = func() (io.ReadCloser, error) {
			r, err := cl.body()
			if err != nil {
				return nil, err
			}
			if cl.gzipBody {
				r = gzipReader(r)
			}
			return io.NopCloser(r), nil
		}
	}
	if cl.contentType != "" {
		req.Header.Set("Content-Type", cl.contentType)
	}
	if cl.gzipBody {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if cl.accept != "" {
		req.Header.Set("Accept", cl.accept)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Sforce-Call-Options", "client="+c.cfg.ClientName)
	req.Header.Set("User-Agent", "sfsync")
	if sess != nil {
		switch cl.api {
		case apiREST:
			req.Header.Set("Authorization", "Bearer "+sess.AccessToken)
		case apiBulk1:
			req.Header.Set("X-SFDC-Session", sess.AccessToken)
		}
	}
	for k, v := range cl.header {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	c.log.Debug("salesforce call", "method", cl.method, "path", logPath(cl.path), "status", resp.StatusCode, "duration", time.Since(start).Round(time.Millisecond))
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			resp.Body.Close()
			return nil, fmt.Errorf("gzip response: %w", err)
		}
		resp.Body = &gzipBody{zr: zr, under: resp.Body}
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
	}
	return resp, nil
}

type gzipBody struct {
	zr    *gzip.Reader
	under io.ReadCloser
}

func (g *gzipBody) Read(p []byte) (int, error) { return g.zr.Read(p) }
func (g *gzipBody) Close() error {
	g.zr.Close()
	return g.under.Close()
}

func gzipReader(r io.Reader) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		zw := gzip.NewWriter(pw)
		_, err := io.Copy(zw, r)
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

func (c *Client) url(path string, sess *Session) (string, error) {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path, nil
	}
	if sess == nil {
		return "", errors.New("no session")
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return sess.InstanceURL + path, nil
}

// readError turns a non-2xx response into an *APIError and closes the body.
func (c *Client) readError(resp *http.Response, cl call) *APIError {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &APIError{StatusCode: resp.StatusCode, Method: cl.method, Path: logPath(cl.path)}
	if code, msg, fields, ok := parseErrorBody(body); ok {
		e.Code, e.Message, e.Fields = code, msg, fields
	} else {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		e.Message = msg
	}
	e.Message = c.scrubString(e.Message)
	return e
}

func sessionExpired(e *APIError, api apiKind) bool {
	switch api {
	case apiBulk1:
		return e.Code == "InvalidSessionId" || (e.StatusCode == http.StatusUnauthorized)
	case apiREST:
		return e.StatusCode == http.StatusUnauthorized || e.Code == "INVALID_SESSION_ID"
	}
	return false
}

func retryableStatus(status int, rc retryClass) bool {
	switch rc {
	case retrySafe:
		return status >= 500 || status == http.StatusTooManyRequests
	case retryUnsent:
		return status == http.StatusServiceUnavailable
	}
	return false
}

func retryableTransport(err error, rc retryClass) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true // never reached the server
	}
	if rc != retrySafe {
		return false
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return true // other transport failures on a call that is safe to repeat
	}
	return false
}

func retryAfter(resp *http.Response) time.Duration {
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			return time.Duration(n) * time.Second
		}
	}
	return 0
}

func (c *Client) sleep(ctx context.Context, attempt int) error { return c.sleepFor(ctx, attempt, 0) }

// sleepFor waits the full-jitter backoff for this attempt (at least min).
func (c *Client) sleepFor(ctx context.Context, attempt int, min time.Duration) error {
	d := c.retry.BaseDelay << (attempt - 1)
	if d > c.retry.MaxDelay || d <= 0 {
		d = c.retry.MaxDelay
	}
	d = time.Duration(rand.Int64N(int64(d)) + 1)
	if d < min {
		d = min
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func logPath(p string) string {
	if u, err := url.Parse(p); err == nil {
		return u.Path
	}
	return p
}

// scrub removes every secret this client knows from an error's text.
func (c *Client) scrub(err error) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	if t := c.scrubString(s); t != s {
		return &scrubbedError{msg: t, err: err}
	}
	return err
}

func (c *Client) scrubString(s string) string {
	secrets := c.cfg.Auth.secrets()
	if sess := c.session(); sess != nil {
		secrets = append(secrets, sess.AccessToken)
	}
	return redact(s, secrets)
}

func redact(s string, secrets []string) string {
	for _, x := range secrets {
		if len(x) >= 4 {
			s = strings.ReplaceAll(s, x, "[REDACTED]")
		}
	}
	return s
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }

// Unwrap keeps errors.Is/As working (for context errors and *APIError);
// the wrapped error's own text is never printed by this package.
func (e *scrubbedError) Unwrap() error { return e.err }

// parseVersion parses "62.0" (or "v62.0") into a comparable number.
func parseVersion(v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimPrefix(v, "v"), 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("API version %q: want a number such as 62.0", v)
	}
	return f, nil
}

func versionAtLeast(v, min string) bool {
	a, err1 := parseVersion(v)
	b, err2 := parseVersion(min)
	return err1 == nil && err2 == nil && a >= b
}

func negotiate(want string, versions []APIVersion) (string, error) {
	w, _ := parseVersion(want)
	best, bestF := "", 0.0
	for _, v := range versions {
		f, err := parseVersion(v.Version)
		if err != nil || f > w {
			continue
		}
		if f > bestF {
			best, bestF = v.Version, f
		}
	}
	if best == "" {
		return "", fmt.Errorf("negotiate API version: the org offers no version at or below %s", want)
	}
	return best, nil
}

func (c *Client) dataPath(format string, args ...any) string {
	return "/services/data/v" + c.version + fmt.Sprintf(format, args...)
}

// resumable makes cr fetch its body again with open when the connection
// breaks mid-body, skipping the rows already read.
func (c *Client) resumable(ctx context.Context, cr *CSVReader, open func() (*CSVReader, error)) *CSVReader {
	cr.reopen = open
	cr.maxTries = c.retry.MaxAttempts - 1
	cr.wait = func(attempt int) error { return c.sleep(ctx, attempt) }
	return cr
}
