package command

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/bulk/fakeorg"
)

func TestParseJobArgs(t *testing.T) {
	base := map[string]string{"SFSYNC_INSTANCE_URL": "https://x.my.salesforce.com", "SFSYNC_ACCESS_TOKEN": "00D!tok"}
	tests := []struct {
		sub  string
		args []string
		env  map[string]string
		want jobOptions
		err  string
	}{
		{sub: "list", env: base, want: jobOptions{sub: "list", org: orgOptions{instanceURL: "https://x.my.salesforce.com", accessToken: "00D!tok"}}},
		{sub: "list", args: []string{"-query", "-json"}, env: base, want: jobOptions{sub: "list", query: true, json: true, org: orgOptions{instanceURL: "https://x.my.salesforce.com", accessToken: "00D!tok"}}},
		{sub: "list", args: []string{"extra"}, env: base, err: `unexpected argument "extra"`},
		{sub: "show", args: []string{"-api", "1.0", "-results", "out", "750000000000001AAA"}, env: base,
			want: jobOptions{sub: "show", jobID: "750000000000001AAA", api: bulk.Bulk1, resultsDir: "out", org: orgOptions{instanceURL: "https://x.my.salesforce.com", accessToken: "00D!tok"}}},
		{sub: "show", args: []string{"-instance-url", "https://y", "750000000000001"}, env: base,
			want: jobOptions{sub: "show", jobID: "750000000000001", org: orgOptions{instanceURL: "https://y", accessToken: "00D!tok"}}},
		{sub: "show", env: base, err: "want exactly one job id"},
		{sub: "show", args: []string{"001000000000001AAA"}, env: base, err: "is not a job id"},
		{sub: "abort", args: []string{"-api", "rest", "750000000000001AAA"}, env: base, err: `-api "rest"`},
		{sub: "abort", args: []string{"-api", "2.0", "750000000000001AAA"}, env: base,
			want: jobOptions{sub: "abort", jobID: "750000000000001AAA", api: bulk.Bulk2, org: orgOptions{instanceURL: "https://x.my.salesforce.com", accessToken: "00D!tok"}}},
		{sub: "list", args: []string{"-results", "x"}, env: base, err: "flag provided but not defined: -results"},
		{sub: "list", env: map[string]string{}, err: "no org"},
		{sub: "list", env: map[string]string{"SFSYNC_ACCESS_TOKEN": "t"}, err: "needs -instance-url"},
		{sub: "list", env: map[string]string{"SFSYNC_USERNAME": "u", "SFSYNC_PASSWORD": "p", "SFSYNC_API_VERSION": "60.0"},
			want: jobOptions{sub: "list", org: orgOptions{username: "u", password: "p", version: "60.0"}}},
		{sub: "list", args: []string{"-jwt-key-file", "k.pem"}, env: map[string]string{}, err: "JWT bearer flow needs"},
	}
	for _, tt := range tests {
		got, err := parseJobArgs(tt.sub, tt.args, func(k string) string { return tt.env[k] })
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
		{orgOptions{clientID: "c", clientSecret: "s"}, "client credentials"},
	}
	for _, tt := range tests {
		a, err := tt.o.authenticator()
		if err != nil || !strings.Contains(a.String(), tt.want) {
			t.Errorf("%+v: %v %v, want %s", tt.o, a, err, tt.want)
		}
	}
}

// TestJobScripts runs the job*.txtar scripts against a fake org (until
// localorg can serve Bulk 1.0 too). Each script gets a fresh org holding a
// finished Bulk 2.0 ingest job ($JOB2), an open one ($OPEN2), a Bulk 2.0
// query job ($QUERY2) and a Bulk 1.0 job with a completed batch ($JOB1).
func TestJobScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/script/job*.txtar")
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
			org := fakeorg.New(env.T().(testing.TB))
			ctx := context.Background()
			c, err := bulk.New(ctx, bulk.Config{Auth: bulk.AccessToken{InstanceURL: org.URL(), Token: org.Token()}, APIVersion: "60.0"})
			if err != nil {
				return err
			}
			j, err := c.CreateIngestJob2(ctx, bulk.IngestJobSpec2{Object: "Account", Operation: bulk.Insert})
			if err != nil {
				return err
			}
			c.UploadJobData2(ctx, j.ID, func() (io.Reader, error) { return strings.NewReader("Name\nAcme\nBAD\n"), nil })
			c.SetJobState2(ctx, false, j.ID, "UploadComplete")
			if _, err := c.WaitJob2(ctx, false, j.ID, nil); err != nil {
				return err
			}
			open, _ := c.CreateIngestJob2(ctx, bulk.IngestJobSpec2{Object: "Contact", Operation: bulk.Delete})
			q, _ := c.CreateQueryJob2(ctx, bulk.QueryJobSpec2{SOQL: "SELECT Id, Name FROM Account"})
			c.WaitJob2(ctx, true, q.ID, nil)
			j1, err := c.CreateJob1(ctx, bulk.JobSpec1{Object: "Account", Operation: bulk.Insert})
			if err != nil {
				return err
			}
			j1.AddBatch(ctx, []byte("Name\nGlobex\n"))
			j1.Batches(ctx)
			env.Setenv("JOB2", j.ID)
			env.Setenv("OPEN2", open.ID)
			env.Setenv("QUERY2", q.ID)
			env.Setenv("JOB1", j1.Info.ID)
			env.Setenv("SFSYNC_INSTANCE_URL", org.URL())
			env.Setenv("SFSYNC_ACCESS_TOKEN", org.Token())
			env.Setenv("SFSYNC_API_VERSION", "60.0")
			return nil
		},
	})
}
