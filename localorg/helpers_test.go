package localorg_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

// reply is an HTTP answer read whole.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) String() string { return string(r.Body) }

// send makes one request. Headers are given as "Name: value" strings; the
// admin's session is sent as a Bearer token unless another Authorization
// (or X-SFDC-Session) header is given or auth is "-".
func send(t testing.TB, org *localorgtest.Org, method, path string, body any, headers ...string) reply {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, org.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	auth := true
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		v = strings.TrimSpace(v)
		if k == "Authorization" || k == "X-SFDC-Session" {
			auth = false
		}
		if h == "-" {
			auth = false
			continue
		}
		req.Header.Set(k, v)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+org.AccessToken)
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

// keysOf returns the key order of a JSON object, recursively for nested
// objects, as "a", "a.b", ... (arrays contribute their first element).
func keysOf(t testing.TB, body []byte) []string {
	t.Helper()
	v, err := jsonw.Decode(body)
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case jsonw.Object:
			for _, m := range x {
				out = append(out, prefix+m.Key)
				walk(prefix+m.Key+".", m.Value)
			}
		case []any:
			if len(x) > 0 {
				walk(prefix+"[].", x[0])
			}
		}
	}
	walk("", v)
	return out
}

func wantStatus(t testing.TB, r reply, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body:\n%s", r.Status, status, r.Body)
	}
}

func contextWithTimeout(t testing.TB, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), d)
}
