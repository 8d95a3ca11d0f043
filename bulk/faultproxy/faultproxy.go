// Package faultproxy is a fault-injecting reverse proxy for testing
// Salesforce clients against any org (localorg, the fake org): it forwards
// every request and, when told, answers 503 bursts, drops connections, breaks
// result bodies mid-way, or returns Bulk 2.0 ingest results in shuffled
// order — the failures the bulk client must survive.
package faultproxy

import (
	"bytes"
	"encoding/csv"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Faults are the failures to inject; counters count down as they fire.
type Faults struct {
	// Fail503 answers the next n API calls (logins excluded) with 503.
	Fail503 int
	// ResetConnections drops the connection of the next n API calls
	// before forwarding them.
	ResetConnections int
	// BreakBodies cuts the next n CSV bodies after their first row.
	BreakBodies int
	// Shuffle returns Bulk 2.0 successfulResults and failedResults rows
	// in random order.
	Shuffle bool
	// Filter, when set, limits the faults above to requests it accepts.
	Filter func(*http.Request) bool
}

// Proxy is a running proxy.
type Proxy struct {
	Server *httptest.Server
	target *url.URL
	rp     *httputil.ReverseProxy

	mu       sync.Mutex
	faults   Faults
	fired    map[string]int
	requests []*http.Request
}

// Requests returns the requests forwarded or refused so far (method, URL,
// headers; no bodies).
func (p *Proxy) Requests() []*http.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*http.Request(nil), p.requests...)
}

// New starts a proxy to target; it is closed when the test ends.
func New(t testing.TB, target string) *Proxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{target: u, fired: map[string]int{}}
	p.rp = httputil.NewSingleHostReverseProxy(u)
	p.rp.ModifyResponse = p.modify
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Server.Close)
	return p
}

// URL is the proxy's address, to use as instance and login URL.
func (p *Proxy) URL() string { return p.Server.URL }

// Set changes the faults.
func (p *Proxy) Set(fn func(*Faults)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(&p.faults)
}

// Fired reports how often each fault fired ("503", "reset", "break", "shuffle").
func (p *Proxy) Fired(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fired[kind]
}

func isLogin(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/services/Soap/") || strings.HasPrefix(r.URL.Path, "/services/oauth2/")
}

func (p *Proxy) applies(r *http.Request) bool {
	return !isLogin(r) && (p.faults.Filter == nil || p.faults.Filter(r))
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests = append(p.requests, r.Clone(r.Context()))
	if p.applies(r) && p.faults.Fail503 > 0 {
		p.faults.Fail503--
		p.fired["503"]++
		p.mu.Unlock()
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	if p.applies(r) && p.faults.ResetConnections > 0 {
		p.faults.ResetConnections--
		p.fired["reset"]++
		p.mu.Unlock()
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		return
	}
	p.mu.Unlock()
	// Bodies are rewritten uncompressed; the client's gzip is tested
	// elsewhere.
	r.Header.Del("Accept-Encoding")
	p.rp.ServeHTTP(w, r)
}

// modify shuffles or breaks CSV result bodies.
func (p *Proxy) modify(resp *http.Response) error {
	r := resp.Request
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "csv") {
		return nil
	}
	p.mu.Lock()
	shuffle := p.faults.Shuffle && p.applies(r) && (strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "successfulResults") || strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "failedResults"))
	brk := p.applies(r) && p.faults.BreakBodies > 0
	if brk {
		p.faults.BreakBodies--
		p.fired["break"]++
	}
	if shuffle {
		p.fired["shuffle"]++
	}
	p.mu.Unlock()
	if !shuffle && !brk {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.Header.Get("Content-Encoding") != "" {
		// Compressed bodies are passed through unchanged.
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return nil
	}
	header, rows := splitCSV(body)
	if shuffle {
		// The same file comes back in the same order when fetched again,
		// as a stored result file does.
		h := fnv.New64a()
		io.WriteString(h, r.URL.Path)
		rnd := rand.New(rand.NewPCG(h.Sum64(), 1))
		rnd.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
	}
	out := append([]byte(nil), header...)
	for _, row := range rows {
		out = append(out, row...)
	}
	if brk && len(rows) > 1 {
		cut := len(header) + len(rows[0])
		resp.Body = &breakingBody{r: bytes.NewReader(out[:cut])}
		resp.ContentLength = -1
		resp.Header.Del("Content-Length")
		return nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	return nil
}

// breakingBody yields its bytes, then fails like a dropped connection.
type breakingBody struct{ r *bytes.Reader }

func (b *breakingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}
func (b *breakingBody) Close() error { return nil }

// splitCSV splits a CSV body into its header line and its records, each
// with its line end, keeping the bytes (quoted newlines stay inside their
// record).
func splitCSV(body []byte) (header []byte, rows [][]byte) {
	cr := csv.NewReader(bytes.NewReader(body))
	cr.FieldsPerRecord = -1
	var prev int64
	first := true
	for {
		_, err := cr.Read()
		if err != nil {
			break
		}
		off := cr.InputOffset()
		rec := body[prev:off]
		if first {
			header = rec
			first = false
		} else {
			rows = append(rows, rec)
		}
		prev = off
	}
	if prev < int64(len(body)) && len(rows) > 0 {
		rows[len(rows)-1] = append(rows[len(rows)-1], body[prev:]...)
	}
	for i, r := range rows {
		if !bytes.HasSuffix(r, []byte("\n")) {
			rows[i] = append(r[:len(r):len(r)], '\n')
		}
	}
	return header, rows
}
