package localorg_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/internal/conformance"
	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

func localorgOptions(clock func() time.Time, ttl time.Duration) localorg.Options {
	return localorg.Options{Clock: clock, SessionTTL: ttl}
}

func TestVersions(t *testing.T) {
	org := localorgtest.New(t)
	r := send(t, org, "GET", "/services/data", nil, "-")
	wantStatus(t, r, 200)
	type version struct{ Label, URL, Version string }
	var got, doc []version
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(conformance.Read("rest/versions.doc.json"), &doc); err != nil {
		t.Fatal(err)
	}
	// Every version the documentation lists is served with the same label.
	if diff := cmp.Diff(doc, got[:len(doc)]); diff != "" {
		t.Errorf("versions differ from the documented list (-doc +got):\n%s", diff)
	}
	if last := got[len(got)-1]; last.Version != "66.0" || last.Label != "Spring '26" {
		t.Errorf("newest version %+v", last)
	}
	if keys := keysOf(t, r.Body); !cmp.Equal(keys[:3], []string{"[].label", "[].url", "[].version"}) {
		t.Errorf("keys %v", keys)
	}
	// Trailing slash and doubled slashes are accepted.
	wantStatus(t, send(t, org, "GET", "//services/data/", nil, "-"), 200)
	wantStatus(t, send(t, org, "GET", "//services//data/v60.0/limits/", nil), 200)
}

func TestUnknownResourcesAndVersions(t *testing.T) {
	org := localorgtest.New(t)
	want := string(conformance.Read("rest/error-not-found-404-v42.json"))
	for _, p := range []string{"/services/data/v60.0/nope", "/services/data/v99.0/limits", "/services/data/vX/limits", "/nothing/here"} {
		r := send(t, org, "GET", p, nil)
		if r.Status != 404 || string(r.Body) != want {
			t.Errorf("%s: %d %s, want 404 %s", p, r.Status, r.Body, want)
		}
	}
	r := send(t, org, "GET", "/services/data/v20.0/limits", nil)
	if r.Status != 410 {
		t.Errorf("retired version: %d %s", r.Status, r.Body)
	}
	r = send(t, org, "DELETE", "/services/data/v60.0/limits", nil)
	if r.Status != 405 || !bytes.Contains(r.Body, []byte(`"errorCode":"METHOD_NOT_ALLOWED"`)) {
		t.Errorf("DELETE limits: %d %s", r.Status, r.Body)
	}
}

func TestLimits(t *testing.T) {
	org := localorgtest.New(t)
	r := send(t, org, "GET", "/services/data/v60.0/limits", nil)
	wantStatus(t, r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		t.Errorf("content type %q", ct)
	}
	if li := r.Header.Get("Sforce-Limit-Info"); li != "api-usage=1/15000" {
		t.Errorf("Sforce-Limit-Info %q", li)
	}
	var got map[string]struct{ Max, Remaining *int64 }
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	var recorded map[string]json.RawMessage
	json.Unmarshal(conformance.Read("limits/limits-2022-developer-edition.json"), &recorded)
	for _, k := range []string{"DailyApiRequests", "DailyBulkApiBatches", "DailyBulkV2QueryJobs", "DailyBulkV2QueryFileStorageMB", "DataStorageMB"} {
		if _, ok := recorded[k]; !ok {
			t.Fatalf("recorded limits lack %s", k)
		}
		if l, ok := got[k]; !ok || l.Max == nil || l.Remaining == nil {
			t.Errorf("limit %s missing or incomplete: %s", k, r.Body)
		}
	}
	if rem := *got["DailyApiRequests"].Remaining; rem != 15000-1 {
		t.Errorf("DailyApiRequests remaining %d", rem)
	}
}

func TestGzip(t *testing.T) {
	org := localorgtest.New(t)
	req, _ := http.NewRequest("GET", org.URL+"/services/data/v60.0/limits", nil)
	req.Header.Set("Authorization", "Bearer "+org.AccessToken)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil || !json.Valid(b) {
		t.Fatalf("gzip body: %v %q", err, b)
	}
}

func TestStartJoinsLiveHolder(t *testing.T) {
	dir := t.TempDir()
	org := localorgtest.StartIn(t, dir, localorg.Options{})
	inst, err := localorg.Start(t.Context(), dir, localorg.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !inst.Joined || inst.Org != nil || inst.Conn.InstanceURL != org.URL || inst.Conn.OrgID != org.OrgID {
		t.Fatalf("second Start: joined=%v conn=%+v", inst.Joined, inst.Conn)
	}
	if _, err := localorg.Start(t.Context(), dir, localorg.StartOptions{Exclusive: true}); err == nil {
		t.Fatal("exclusive Start of a held directory succeeded")
	}
	fi, err := os.Stat(filepath.Join(dir, localorg.ConnectionFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("connection.json mode %v", fi.Mode().Perm())
	}
	// After Close the directory is free and the org keeps its Id.
	inst.Close()
	if err := org.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, localorg.ConnectionFile)); !os.IsNotExist(err) {
		t.Errorf("connection.json left behind: %v", err)
	}
	again := localorgtest.StartIn(t, dir, localorg.Options{})
	if again.OrgID != org.OrgID || again.Username != org.Username || again.Password != org.Password {
		t.Errorf("restart changed the identity: %s → %s", org.OrgID, again.OrgID)
	}
	// Sessions survive the restart.
	old := *again
	old.AccessToken = org.AccessToken
	wantStatus(t, send(t, &old, "GET", "/services/data/v60.0/limits", nil), 200)
}

// A holder that is done keeps serving while a joined process still uses the
// org, says so once, and closes when that process leaves; a process that
// starts then takes the org over.
func TestHolderServesJoinedUntilTheyLeave(t *testing.T) {
	dir := t.TempDir()
	var lingered atomic.Int32
	holder, err := localorg.Start(t.Context(), dir, localorg.StartOptions{OnLinger: func() { lingered.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	joined, err := localorg.Start(t.Context(), dir, localorg.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !joined.Joined {
		t.Fatal("second Start did not join the holder")
	}
	closed := make(chan error, 1)
	go func() { closed <- holder.Close() }()
	conn := joined.Connection()
	org := &localorgtest.Org{URL: conn.InstanceURL, AccessToken: conn.AccessToken}
	for range 3 {
		time.Sleep(200 * time.Millisecond)
		select {
		case err := <-closed:
			t.Fatalf("holder closed while a joined process used the org (err %v)", err)
		default:
		}
		wantStatus(t, send(t, org, "GET", "/services/data/v60.0/limits", nil), 200)
	}
	if n := lingered.Load(); n != 1 {
		t.Errorf("OnLinger called %d times, want 1", n)
	}
	joined.Close()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("holder still open 10s after the joined process left")
	}
	next, err := localorg.Start(t.Context(), dir, localorg.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	if next.Joined || next.Org == nil {
		t.Fatal("Start after the holder left did not take the org over")
	}
}

// A process that starts while the holder is closing waits for it to go and
// takes the org over, instead of waiting for a connection.json that will
// not come back.
func TestStartTakesOverFromClosingHolder(t *testing.T) {
	dir := t.TempDir()
	holder, err := localorg.Start(t.Context(), dir, localorg.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	joined, err := localorg.Start(t.Context(), dir, localorg.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- holder.Close() }()
	// The holder lingers for the joined process; a newcomer joins too.
	late, err := localorg.Start(t.Context(), dir, localorg.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !late.Joined {
		t.Fatal("a process starting while the holder lingers did not join it")
	}
	joined.Close()
	late.Close()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	next, err := localorg.Start(t.Context(), dir, localorg.StartOptions{JoinTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	if next.Joined {
		t.Fatalf("joined a holder that is gone (after %v)", time.Since(start))
	}
}

func TestStartRefusesRemoteAddr(t *testing.T) {
	_, err := localorg.Start(t.Context(), t.TempDir(), localorg.StartOptions{Addr: "0.0.0.0:0"})
	if err == nil {
		t.Fatal("listening on all interfaces without AllowRemote succeeded")
	}
}

func TestRecordCount(t *testing.T) {
	org := localorgtest.New(t)
	wantStatus(t, send(t, org, "POST", "/services/data/v60.0/sobjects/Account", `{"Name":"One"}`), 201)
	r := send(t, org, "GET", "/services/data/v60.0/limits/recordCount?sObjects=Account", nil, "X-PrettyPrint: 1")
	if want := string(conformance.Read("limits/limits-recordcount-scrubbed.json")); r.String() != strings.TrimSpace(want) {
		t.Errorf("recordCount:\n%s\nwant\n%s", r.Body, want)
	}
}
