// Package localorgtest starts a local Salesforce org for a test, the way
// net/http/httptest starts a server: in this process, on a free loopback
// port, with its data in the test's temporary directory, closed by
// t.Cleanup. Tests talk to it over HTTP like any client and can inspect it
// through the *localorg.Org.
package localorgtest

import (
	"context"
	"testing"

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

	// Org is the engine, for Go-level inspection (jobs, uploads, results).
	Org      *localorg.Org
	Instance *localorg.Instance
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
	inst, err := localorg.Start(context.Background(), dir, localorg.StartOptions{Options: opts, Exclusive: true})
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
		Org:           inst.Org,
		Instance:      inst,
	}
}

// Close stops the org before the test ends (to restart it with StartIn).
func (o *Org) Close() error { return o.Instance.Close() }
