package hcl

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConnStrHasPassword(t *testing.T) {
	for _, tc := range []struct {
		conn string
		want bool
	}{
		{"postgres://sfsync:hunter2@db.example/sfsync", true},
		{"postgresql://ci:p%40ss@db.example:5432/sfsync?sslmode=require", true},
		{"postgres://ci:pa/ss@db.example/sfsync", true}, // not a valid URL: still caught
		{"postgres://postgres@127.0.0.1:55439/postgres?password=rightpw", true},
		{"postgres://postgres@127.0.0.1/postgres?sslmode=require&password=rightpw", true},
		{"postgres://postgres@127.0.0.1/postgres?PassWord=rightpw", true},
		{"postgres://postgres@127.0.0.1/postgres?pass%77ord=rightpw", true},
		{"postgres://postgres@127.0.0.1/postgres?sslkey=k.pem&sslpassword=x", true},
		{"host=db.example user=ci password=rightpw", true},
		{"password = 'right pw' host=db.example", true},
		{"host=db.example\tPASSWORD=rightpw", true},
		{"postgres://ci@db.example/sfsync?sslmode=require", false},
		{"postgres://ci:@db.example/sfsync", false}, // an empty password is no secret
		{"postgres:///sfsync?host=/var/run/postgresql", false},
		{"host=db.example dbname=passwords user=password_admin sslmode=require", false},
		{"", false},
	} {
		if got := connStrHasPassword(tc.conn); got != tc.want {
			t.Errorf("connStrHasPassword(%q) = %v, want %v", tc.conn, got, tc.want)
		}
	}
}

// TestSecretDiagnosticsRedacted checks that a diagnostic about a secret
// written in the configuration names where it is, in text and in JSON,
// without showing the secret: the output lands in CI logs.
func TestSecretDiagnosticsRedacted(t *testing.T) {
	dir := t.TempDir()
	src := `org {
  instance_url  = "https://acme.my.salesforce.com"
  client_id     = "3MVG9abc"
  client_secret = "SuperSecret999"
}

backend "postgres" {
  conn_str = "postgres://postgres@127.0.0.1:55439/postgres?password=rightpw"
}

object "Account" {
  key = ["Name"]
  record "acme" {
    Name = "Acme"
    Site = nope.nope
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.sfsync.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := Load(dir, LoadOptions{Getenv: func(string) string { return "" }})
	secrets := 0
	for _, d := range diags {
		if d.Summary == "Secret in configuration" {
			secrets++
		}
	}
	if secrets != 2 {
		t.Fatalf("want 2 secret diagnostics, got:\n%s", renderDiags(cfg, diags))
	}
	text := renderDiags(cfg, diags)
	js, err := json.Marshal(JSON(cfg.Sources(diags), diags))
	if err != nil {
		t.Fatal(err)
	}
	for what, out := range map[string]string{"text": text, "JSON": string(js)} {
		for _, secret := range []string{"SuperSecret999", "rightpw"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s diagnostics show the secret %q:\n%s", what, secret, out)
			}
		}
	}
	for _, want := range []string{
		"on main.sfsync.hcl line 4, in org:\n   4:   client_secret = \"**************\"",
		"on main.sfsync.hcl line 8, in backend \"postgres\":\n   8:   conn_str = \"****",
		"client_secret_env", "conn_str_env",
		// Other diagnostics of the same file keep their snippets.
		"  15:     Site = nope.nope",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text diagnostics lack %q:\n%s", want, text)
		}
	}
	// The files loaded are not changed by rendering.
	if !bytes.Contains(cfg.Files["main.sfsync.hcl"].Bytes, []byte("SuperSecret999")) {
		t.Error("rendering changed the loaded file")
	}
}
