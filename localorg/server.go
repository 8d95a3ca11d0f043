package localorg

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
)

// family is the API a request belongs to; it decides the error shape.
type family int

const (
	_           family = iota
	familyREST         // /services/data/vXX.X/... (REST): JSON error array
	familyBulk2        // /services/data/vXX.X/jobs/...: JSON error array, Jackson pretty
	familyOAuth        // /services/oauth2/...: {"error","error_description"}
	familySOAP         // /services/Soap/...: SOAP fault
	familyAdmin        // /__localorg/...: JSON error array
	familyBulk1        // /services/async/...: XML or JSON <error>
	familyNone         // anything else: REST shape
)

// maxBody bounds a request body (Bulk 2.0 allows 150 MB per upload).
const maxBody = 150 << 20

// call is one request being served.
type call struct {
	o      *Org
	w      http.ResponseWriter
	r      *http.Request
	segs   []string // path segments after normalisation
	fam    family
	ver    string // API version from the path, "60.0"
	user   string // the session's user Id, once authenticated
	base   string // scheme://host of this server as the client reached it
	pretty bool   // X-PrettyPrint asked for
	// asyncJSON: a Bulk 1.0 answer is JSON (a JSON job or request), not XML.
	asyncJSON bool
}

// Handler returns the org's HTTP API. Absolute URLs in answers (instance
// URL, identity URL) use the host the client connected to.
func (o *Org) Handler() http.Handler { return http.HandlerFunc(o.serveHTTP) }

func (o *Org) serveHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{o: o, r: r, base: "http://" + r.Host}
	c.segs = splitPath(r.URL.Path)
	c.fam = familyOf(c.segs)
	c.pretty = r.Header.Get("X-PrettyPrint") != "" && r.Header.Get("X-PrettyPrint") != "0"

	if c.fam != familyAdmin {
		if n := o.takeCut(r.URL.Path); n >= 0 {
			w = &cutWriter{ResponseWriter: w, limit: n}
		}
	}
	gz := acceptsGzip(r)
	var gw *gzipWriter
	if gz {
		gw = &gzipWriter{ResponseWriter: w}
		defer gw.finish()
		c.w = gw
	} else {
		c.w = w
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			o.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			c.fail(errInternal)
		}
	}()
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			c.fail(badRequest("INVALID_REQUEST", "Unable to decompress the request body: "+err.Error()))
			return
		}
		r.Body = struct {
			io.Reader
			io.Closer
		}{zr, r.Body}
	}
	r.Body = http.MaxBytesReader(c.w, r.Body, maxBody)
	if c.fam == familyBulk1 {
		c.asyncJSON = isJSONType(r.Header.Get("Content-Type"))
	}
	if c.fam != familyAdmin && o.takeUnavailable(r.URL.Path) {
		c.fail(errUnavailable(c.fam))
		return
	}
	if c.fam != familyAdmin && o.takeServerError(r.URL.Path) {
		c.fail(errInternal)
		return
	}
	if c.fam != familyAdmin && o.takeDrop(r.URL.Path) {
		// The call is carried out; its answer never leaves.
		c.w = &discardWriter{}
		o.route(c)
		panic(http.ErrAbortHandler)
	}
	o.route(c)
}

// splitPath normalises a path the way Salesforce tolerates it: repeated
// slashes collapse and a trailing slash is ignored.
func splitPath(p string) []string {
	parts := strings.Split(p, "/")
	segs := parts[:0]
	for _, s := range parts {
		if s != "" {
			segs = append(segs, s)
		}
	}
	return segs
}

func familyOf(segs []string) family {
	switch {
	case len(segs) >= 4 && segs[0] == "services" && segs[1] == "data" && segs[3] == "jobs":
		return familyBulk2
	case len(segs) >= 2 && segs[0] == "services" && segs[1] == "data":
		return familyREST
	case len(segs) >= 2 && segs[0] == "services" && segs[1] == "oauth2":
		return familyOAuth
	case len(segs) >= 2 && segs[0] == "services" && segs[1] == "Soap":
		return familySOAP
	case len(segs) >= 1 && segs[0] == "__localorg":
		return familyAdmin
	case len(segs) >= 2 && segs[0] == "services" && segs[1] == "async":
		return familyBulk1
	}
	return familyNone
}

// route dispatches a request by its path.
func (o *Org) route(c *call) {
	s := c.segs
	switch {
	case len(s) >= 2 && s[0] == "services" && s[1] == "data":
		o.routeData(c)
	case len(s) == 3 && s[0] == "services" && s[1] == "oauth2":
		switch s[2] {
		case "token":
			c.methods(o.oauthToken, "POST")
		case "revoke":
			c.methods(o.oauthRevoke, "POST", "GET")
		case "userinfo":
			c.methods(o.oauthUserinfo, "GET", "POST")
		default:
			c.fail(errNotFound)
		}
	case len(s) == 4 && s[0] == "services" && s[1] == "Soap" && (s[2] == "u" || s[2] == "c"):
		c.ver = s[3]
		c.methods(o.soapLogin, "POST")
	case len(s) == 3 && s[0] == "id":
		c.methods(o.identity, "GET", "POST")
	case len(s) >= 1 && s[0] == "__localorg":
		o.routeAdmin(c)
	case len(s) >= 2 && s[0] == "services" && s[1] == "async":
		o.routeAsync(c)
	default:
		c.fail(errNotFound)
	}
}

// methods runs h if the request's method is one of allowed, and answers
// 405 in the API's shape otherwise. HEAD is served as GET.
func (c *call) methods(h func(*call), allowed ...string) {
	m := c.r.Method
	if m == http.MethodHead {
		m = http.MethodGet
	}
	for _, a := range allowed {
		if a == m {
			h(c)
			return
		}
	}
	list := "HEAD," + strings.Join(allowed, ",")
	c.fail(&apiError{Status: http.StatusMethodNotAllowed, Code: "METHOD_NOT_ALLOWED",
		Msg: fmt.Sprintf("HTTP Method '%s' not allowed. Allowed are %s", c.r.Method, list)})
}

// fail answers err in the shape of the request's API.
func (c *call) fail(err error) {
	var e *apiError
	if !errors.As(err, &e) {
		c.o.log.Error("request failed", "method", c.r.Method, "path", c.r.URL.Path, "err", err)
		e = errInternal
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		e = &apiError{Status: http.StatusRequestEntityTooLarge, Code: "REQUEST_TOO_LARGE", Msg: "Request body exceeds the maximum size"}
	}
	switch c.fam {
	case familyBulk1:
		c.asyncError(e)
	case familyBulk2:
		c.writeJSON(e.Status, []any{bulk2ErrorBody(e)}, true)
	case familyOAuth:
		code := strings.ToLower(e.Code)
		c.writeJSON(e.Status, jsonw.Object{}.Add("error", code).Add("error_description", e.Msg), false)
	case familySOAP:
		c.soapFault(e.Status, e.Code, e.Msg)
	default:
		if e.Status == http.StatusUnauthorized {
			c.w.Header().Set("WWW-Authenticate", "Token")
		}
		c.writeJSON(e.Status, []any{restErrorBody(e)}, c.pretty)
	}
}

// writeJSON writes a JSON answer: Jackson-pretty or compact.
func (c *call) writeJSON(status int, v any, pretty bool) {
	var b []byte
	if pretty {
		b = jsonw.Pretty(v)
	} else {
		b = jsonw.Compact(v)
	}
	h := c.w.Header()
	h.Set("Content-Type", ctJSON)
	c.limitInfo()
	c.w.WriteHeader(status)
	if c.r.Method != http.MethodHead {
		c.w.Write(b)
	}
}

// rest writes a REST answer (compact unless X-PrettyPrint).
func (c *call) rest(status int, v any) { c.writeJSON(status, v, c.pretty) }

// bulk2 writes a Bulk 2.0 answer (always Jackson-pretty, as recorded).
func (c *call) bulk2(status int, v any) { c.writeJSON(status, v, true) }

// noContent answers 204.
func (c *call) noContent() {
	c.limitInfo()
	c.w.WriteHeader(http.StatusNoContent)
}

// limitInfo adds Sforce-Limit-Info to API answers.
func (c *call) limitInfo() {
	if c.fam == familyREST || c.fam == familyBulk2 {
		used := atomic.LoadInt64(&c.o.apiCalls)
		c.w.Header().Set("Sforce-Limit-Info", "api-usage="+strconv.FormatInt(used, 10)+"/"+strconv.FormatInt(c.o.Limits().DailyApiRequests, 10))
	}
}

// readBody reads the whole request body.
func (c *call) readBody() ([]byte, error) {
	b, err := io.ReadAll(c.r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, badRequest("INVALID_REQUEST", "Unable to read the request body: "+err.Error())
	}
	return b, nil
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

// gzipWriter compresses an answer that has a body.
type gzipWriter struct {
	http.ResponseWriter
	zw      *gzip.Writer
	started bool
	plain   bool
}

func (g *gzipWriter) WriteHeader(status int) {
	if g.started {
		return
	}
	g.started = true
	if status == http.StatusNoContent || status == http.StatusNotModified || status < 200 {
		g.plain = true
	} else {
		h := g.Header()
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		h.Add("Vary", "Accept-Encoding")
		g.zw = gzip.NewWriter(g.ResponseWriter)
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.started {
		g.WriteHeader(http.StatusOK)
	}
	if g.plain {
		return g.ResponseWriter.Write(b)
	}
	return g.zw.Write(b)
}

func (g *gzipWriter) finish() {
	if g.zw != nil {
		g.zw.Close()
	}
}

// Flush lets streamed answers reach the client.
func (g *gzipWriter) Flush() {
	if g.zw != nil {
		g.zw.Flush()
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

var _ http.Flusher = (*gzipWriter)(nil)
