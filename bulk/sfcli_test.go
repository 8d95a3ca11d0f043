package bulk_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

// fakeSF writes a stand-in for the sf CLI that answers like the real one,
// for an org it is logged in to.
func fakeSF(t *testing.T, org *localorgtest.Org, redacted, hasShowToken bool) string {
	token := org.AccessToken
	display := token
	if redacted {
		display = "[REDACTED] Use 'sf org auth show-access-token' to view"
	}
	show := fmt.Sprintf(`{"status":0,"result":{"accessToken":%q},"warnings":[]}`, token)
	if !hasShowToken {
		show = `{"status":1,"name":"CommandNotFound","message":"auth show-access-token is not a sf command."}`
	}
	script := fmt.Sprintf(`#!/bin/sh
case "$*" in
  *"--target-org nope"*) echo '{"status":1,"name":"NamedOrgNotFoundError","message":"No authorization information found for nope."}'; exit 1;;
  "org auth show-access-token --target-org expired"*) echo '{"status":1,"name":"RefreshTokenAuthError","message":"Error authenticating with the refresh token due to: expired access/refresh token"}'; exit 1;;
  "org display"*) echo '{"status":0,"result":{"id":%q,"apiVersion":"60.0","accessToken":%q,"instanceUrl":%q,"username":%q}}';;
  "org auth show-access-token"*) echo '%s';;
esac
`, org.OrgID, display, org.URL, org.Username, show)
	p := filepath.Join(t.TempDir(), "sf")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSFCLI(t *testing.T) {
	org := localorgtest.New(t)
	for _, tc := range []struct{ redacted, show bool }{{true, true}, {false, false}, {false, true}} {
		sf := fakeSF(t, org, tc.redacted, tc.show)
		c := connect(t, bulk.SFCLI{TargetOrg: "dev", Command: sf}, "60.0")
		if _, err := c.Limits(context.Background()); err != nil {
			t.Errorf("%+v: %v", tc, err)
		}
		if c.Session().OrgID != org.OrgID || c.InstanceURL() != org.URL {
			t.Errorf("org id %q, instance %s", c.Session().OrgID, c.InstanceURL())
		}
	}
	// Without a version of its own, the client asks for no more than the
	// CLI's apiVersion for the org.
	sf0 := fakeSF(t, org, true, true)
	c, err := bulk.New(context.Background(), bulk.Config{Auth: bulk.SFCLI{TargetOrg: "dev", Command: sf0}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Version() != "60.0" || c.Session().APIVersion != "60.0" {
		t.Errorf("version %q, session's %q, want the CLI's 60.0", c.Version(), c.Session().APIVersion)
	}
	// A CLI that has show-access-token but cannot answer says why, rather
	// than falling back to a redacted token.
	_, err = bulk.New(context.Background(), bulk.Config{Auth: bulk.SFCLI{TargetOrg: "expired", Command: sf0}})
	if bulk.ErrorCode(err) != "RefreshTokenAuthError" {
		t.Errorf("show-access-token failing: %v", err)
	}
	sf := fakeSF(t, org, true, false)
	_, err = bulk.New(context.Background(), bulk.Config{Auth: bulk.SFCLI{TargetOrg: "dev", Command: sf}})
	if err == nil || !strings.Contains(err.Error(), "show-access-token") {
		t.Errorf("redacted without show-access-token: %v", err)
	}
	_, err = bulk.New(context.Background(), bulk.Config{Auth: bulk.SFCLI{TargetOrg: "nope", Command: sf}})
	if bulk.ErrorCode(err) != "NamedOrgNotFoundError" {
		t.Errorf("unknown org: %v", err)
	}
	_, err = bulk.New(context.Background(), bulk.Config{Auth: bulk.SFCLI{Command: filepath.Join(t.TempDir(), "missing-sf")}})
	if err == nil || !strings.Contains(err.Error(), "Salesforce CLI installed") {
		t.Errorf("missing CLI: %v", err)
	}
}
