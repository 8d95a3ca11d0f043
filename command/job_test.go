package command

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

func TestParseJobArgs(t *testing.T) {
	env := map[string]string{"SFSYNC_INSTANCE_URL": "https://x.my.salesforce.com", "SFSYNC_ACCESS_TOKEN": "00D!tok", "SFSYNC_API_VERSION": "60.0"}
	fromEnv := orgOptions{instanceURL: "https://x.my.salesforce.com", accessToken: "00D!tok", version: "60.0"}
	tests := []struct {
		sub  string
		args []string
		want jobOptions
		err  string
	}{
		{sub: "list", want: jobOptions{sub: "list", env: fromEnv}},
		{sub: "list", args: []string{"-query", "-json"}, want: jobOptions{sub: "list", query: true, json: true, env: fromEnv}},
		{sub: "list", args: []string{"extra"}, err: `unexpected argument "extra"`},
		{sub: "list", args: []string{"-results", "x"}, err: "flag provided but not defined: -results"},
		{sub: "show", args: []string{"-api", "1.0", "-results", "out", "750000000000001AAA"},
			want: jobOptions{sub: "show", jobID: "750000000000001AAA", api: bulk.Bulk1, resultsDir: "out", env: fromEnv}},
		{sub: "show", args: []string{"-instance-url", "https://y", "-sf-org", "dev", "-username", "u", "-client-id", "c", "-jwt-key-file", "k", "-login-url", "https://l", "-api-version", "55.0", "750000000000001"},
			want: jobOptions{sub: "show", jobID: "750000000000001", env: fromEnv,
				flags: orgOptions{instanceURL: "https://y", sfOrg: "dev", username: "u", clientID: "c", jwtKeyFile: "k", loginURL: "https://l", version: "55.0"}}},
		{sub: "show", args: []string{"750000000000001AAA", "-results", "out", "-json"},
			want: jobOptions{sub: "show", jobID: "750000000000001AAA", resultsDir: "out", json: true, env: fromEnv}},
		{sub: "show", args: []string{"750000000000001AAA", "750000000000002AAA"}, err: "want exactly one job id"},
		{sub: "show", err: "want exactly one job id"},
		{sub: "show", args: []string{"001000000000001AAA"}, err: "is not a job id"},
		{sub: "abort", args: []string{"-api", "rest", "750000000000001AAA"}, err: `-api "rest"`},
		{sub: "abort", args: []string{"-api", "2.0", "750000000000001AAA"}, want: jobOptions{sub: "abort", jobID: "750000000000001AAA", api: bulk.Bulk2, env: fromEnv}},
		{sub: "abort", args: []string{"-password", "x", "750000000000001AAA"}, err: "flag provided but not defined: -password"}, // secrets never as flags
	}
	for _, tt := range tests {
		got, err := parseJobArgs(tt.sub, tt.args, func(k string) string { return env[k] })
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s %v: error %v, want %q", tt.sub, tt.args, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %v: %v", tt.sub, tt.args, err)
			continue
		}
		if d := cmp.Diff(tt.want, got, cmp.AllowUnexported(jobOptions{}, orgOptions{})); d != "" {
			t.Errorf("%s %v (-want +got):\n%s", tt.sub, tt.args, d)
		}
	}
}

func TestMergeOrgPrecedence(t *testing.T) {
	flags := orgOptions{instanceURL: "https://flag"}
	block := orgOptions{instanceURL: "https://block", username: "block-user", version: "58.0"}
	env := orgOptions{instanceURL: "https://env", username: "env-user", password: "pw", version: "60.0", accessToken: "tok"}
	got := mergeOrg(flags, block, env)
	want := orgOptions{instanceURL: "https://flag", username: "block-user", password: "pw", version: "58.0", accessToken: "tok"}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(orgOptions{})); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestOrgAuthenticatorChoice(t *testing.T) {
	tests := []struct {
		o    orgOptions
		want string
	}{
		{orgOptions{instanceURL: "https://x", accessToken: "t"}, "access token"},
		{orgOptions{sfOrg: "dev", username: "u", password: "p"}, "sf CLI org dev"},
		{orgOptions{jwtKeyFile: "k", clientID: "c", username: "u"}, "JWT bearer"},
		{orgOptions{refreshToken: "r", clientID: "c"}, "refresh token"},
		{orgOptions{username: "u", password: "p", clientID: "c"}, "username-password"},
		{orgOptions{username: "u", password: "p"}, "SOAP login"},
		{orgOptions{clientID: "c", clientSecret: "s", loginURL: "https://acme.my.salesforce.com"}, "client credentials"},
		// An org block's auth wins over what else is set.
		{orgOptions{method: "client_credentials", clientID: "c", clientSecret: "s", username: "u", password: "p", instanceURL: "https://acme.my.salesforce.com"}, "client credentials"},
		{orgOptions{method: "password", username: "u", password: "p", clientID: "c"}, "SOAP login"},
		{orgOptions{method: "access_token", instanceURL: "https://x", accessToken: "t", sfOrg: "dev"}, "access token"},
	}
	for _, tt := range tests {
		a, err := tt.o.authenticator()
		if err != nil || !strings.Contains(a.String(), tt.want) {
			t.Errorf("%+v: %v %v, want %s", tt.o, a, err, tt.want)
		}
	}
	for _, tt := range []struct {
		o   orgOptions
		err string
	}{
		{orgOptions{}, "no org"},
		{orgOptions{accessToken: "t"}, "needs both"},
		{orgOptions{method: "jwt", username: "u"}, "JWT bearer flow needs"},
		{orgOptions{local: "/x/.sfsync/localorg"}, "opened by the command"},
		{orgOptions{method: "password", username: "u"}, "needs a username and SFSYNC_PASSWORD"},
	} {
		if _, err := tt.o.authenticator(); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%+v: %v, want %q", tt.o, err, tt.err)
		}
	}
}

func TestOrgFromBlock(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("s3cr3t\n"), 0o600)
	src := `org {
  instance_url       = "https://acme.my.salesforce.com"
  login_url          = "https://test.salesforce.com"
  username           = "ops@acme.com"
  client_id          = "3MVG9"
  jwt_key_file       = "keys/server.key"
  auth               = "jwt"
  client_secret_file = "secret.txt"
  password_env       = "ACME_PW"
  api_version        = "61.0"
}
`
	cfg, diags := hcl.LoadSources(dir, map[string][]byte{"main.sfsync.hcl": []byte(src)}, hcl.LoadOptions{})
	if cfg.Org == nil {
		t.Fatalf("no org block: %v", diags)
	}
	got, err := orgFromBlock(dir, cfg.Org, func(k string) string { return map[string]string{"ACME_PW": "pw"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := orgOptions{method: "jwt", instanceURL: "https://acme.my.salesforce.com", loginURL: "https://test.salesforce.com", username: "ops@acme.com",
		clientID: "3MVG9", jwtKeyFile: filepath.Join(dir, "keys/server.key"), clientSecret: "s3cr3t", password: "pw", version: "61.0"}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(orgOptions{})); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	cfg.Org.ClientSecret = hcl.Secret{File: "missing.txt"}
	if _, err := orgFromBlock(dir, cfg.Org, os.Getenv); err == nil || !strings.Contains(err.Error(), "org.client_secret") {
		t.Errorf("missing secret file: %v", err)
	}
}

// TestJobScripts runs the job*.txtar scripts marked [org] against an
// in-process localorg. Each script gets a fresh org holding a finished Bulk
// 2.0 ingest job with one failed record ($JOB2), an open one ($OPEN2), a
// Bulk 2.0 query job ($QUERY2) and a Bulk 1.0 job with a completed batch
// ($JOB1).
func TestJobScripts(t *testing.T) {
	all, _ := filepath.Glob("testdata/script/job*.txtar")
	var files []string
	for _, f := range all {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), "[!org]") {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		t.Fatal("no job scripts")
	}
	testscript.Run(t, testscript.Params{
		Files:               files,
		RequireExplicitExec: true,
		Condition: func(cond string) (bool, error) {
			if cond == "org" {
				return true, nil
			}
			return scriptCondition(cond)
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			org := localorgtest.New(env.T().(testing.TB))
			ctx := context.Background()
			c, err := bulk.New(ctx, bulk.Config{Auth: bulk.AccessToken{InstanceURL: org.URL, Token: org.AccessToken}, APIVersion: "60.0"})
			if err != nil {
				return err
			}
			j, err := c.CreateIngestJob2(ctx, bulk.IngestJobSpec2{Object: "Account", Operation: bulk.Insert})
			if err != nil {
				return err
			}
			if err := c.UploadJobData2(ctx, j.ID, func() (io.Reader, error) { return strings.NewReader("Name,Phone\nAcme,1\n,2\n"), nil }); err != nil {
				return err
			}
			if _, err := c.SetJobState2(ctx, false, j.ID, "UploadComplete"); err != nil {
				return err
			}
			if _, err := c.WaitJob2(ctx, false, j.ID, nil); err != nil {
				return err
			}
			open, err := c.CreateIngestJob2(ctx, bulk.IngestJobSpec2{Object: "Contact", Operation: bulk.Delete})
			if err != nil {
				return err
			}
			q, err := c.CreateQueryJob2(ctx, bulk.QueryJobSpec2{SOQL: "SELECT Id, Name FROM Account"})
			if err != nil {
				return err
			}
			if _, err := c.WaitJob2(ctx, true, q.ID, nil); err != nil {
				return err
			}
			j1, err := c.CreateJob1(ctx, bulk.JobSpec1{Object: "Account", Operation: bulk.Insert})
			if err != nil {
				return err
			}
			if _, err := j1.AddBatch(ctx, []byte("Name\nGlobex\n")); err != nil {
				return err
			}
			if _, err := j1.WaitBatches(ctx, nil); err != nil {
				return err
			}
			env.Setenv("JOB2", j.ID)
			env.Setenv("OPEN2", open.ID)
			env.Setenv("QUERY2", q.ID)
			env.Setenv("JOB1", j1.Info.ID)
			// A configuration whose org block names the org (job_config.txtar).
			cfgDir := filepath.Join(env.WorkDir, "cfg")
			os.MkdirAll(cfgDir, 0o755)
			block := fmt.Sprintf("org {\n  instance_url     = %q\n  access_token_env = \"ACME_TOKEN\"\n  api_version      = \"60.0\"\n}\n", org.URL)
			if err := os.WriteFile(filepath.Join(cfgDir, "main.sfsync.hcl"), []byte(block), 0o644); err != nil {
				return err
			}
			env.Setenv("ACME_TOKEN", org.AccessToken)
			env.Setenv("SFSYNC_INSTANCE_URL", org.URL)
			env.Setenv("SFSYNC_ACCESS_TOKEN", org.AccessToken)
			env.Setenv("SFSYNC_API_VERSION", "60.0")
			return nil
		},
	})
}
