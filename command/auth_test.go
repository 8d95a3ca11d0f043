package command

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

func init() {
	// nosecret VAR... fails when the standard output or error of the last
	// command holds the value of one of the named variables: secrets are
	// never printed, not even in an error.
	scriptCmds["nosecret"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) == 0 {
			ts.Fatalf("usage: nosecret VAR...")
		}
		out := ts.ReadFile("stdout") + ts.ReadFile("stderr")
		for _, name := range args {
			v := ts.Getenv(name)
			if v == "" {
				ts.Fatalf("nosecret: $%s is empty", name)
			}
			if strings.Contains(out, v) {
				ts.Fatalf("the output holds the value of $%s", name)
			}
		}
	}
}

// TestAuthScripts runs the auth*.txtar scripts against an in-process
// localorg, logging in every way the org block and the environment allow.
// Each script gets a fresh org holding the Account ACME-001, a connected
// app whose certificate matches keys/server.key in the work directory (and
// not keys/other.key), and
// the org's details in variables: ORG_URL, ORG_DIR, ORG_ID, ORG_USER,
// CLIENT_ID, and the secrets ORG_PASSWORD, ORG_SECURITY_TOKEN,
// ORG_CLIENT_SECRET, ORG_REFRESH_TOKEN, ORG_ACCESS_TOKEN and JWT_KEY_PEM
// (the client secret and refresh token also as files under secrets/).
func TestAuthScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/script/auth*.txtar")
	if len(files) == 0 {
		t.Fatal("no auth scripts")
	}
	testscript.Run(t, testscript.Params{
		Files:               files,
		RequireExplicitExec: true,
		Cmds:                scriptCmds,
		Condition: func(cond string) (bool, error) {
			if cond == "org" {
				return true, nil
			}
			return scriptCondition(cond)
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			org := localorgtest.New(env.T().(testing.TB))
			keyPEM, certPEM, err := testKeyPair()
			if err != nil {
				return err
			}
			if err := org.Org.SetJWTCertificate(certPEM); err != nil {
				return err
			}
			if err := seedAccount(org); err != nil {
				return err
			}
			otherPEM, _, err := testKeyPair()
			if err != nil {
				return err
			}
			for name, content := range map[string]string{
				"keys/server.key":       string(keyPEM),
				"keys/other.key":        string(otherPEM),
				"secrets/client_secret": org.ClientSecret + "\n",
				"secrets/refresh_token": org.RefreshToken + "\n",
			} {
				p := filepath.Join(env.WorkDir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
					return err
				}
				if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
					return err
				}
			}
			for k, v := range map[string]string{
				"ORG_URL": org.URL, "ORG_DIR": org.Dir, "ORG_ID": org.OrgID, "ORG_USER": org.Username,
				"CLIENT_ID": org.ClientID, "ORG_CLIENT_SECRET": org.ClientSecret, "ORG_REFRESH_TOKEN": org.RefreshToken,
				"ORG_ACCESS_TOKEN": org.AccessToken, "JWT_KEY_PEM": string(keyPEM),
				"ORG_PASSWORD": org.Password, "ORG_SECURITY_TOKEN": org.SecurityToken,
			} {
				env.Setenv(k, v)
			}
			return nil
		},
	})
}

// testKeyPair makes an RSA key and a self-signed certificate for it, as
// one uploads to a connected app for the JWT bearer flow.
func testKeyPair() (keyPEM, certPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sfsync ci"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return keyPEM, certPEM, nil
}

// seedAccount inserts the Account ACME-001 through a Bulk 2.0 job.
func seedAccount(org *localorgtest.Org) error {
	ctx := context.Background()
	c, err := bulk.New(ctx, bulk.Config{Auth: bulk.AccessToken{InstanceURL: org.URL, Token: org.AccessToken}})
	if err != nil {
		return err
	}
	j, err := c.CreateIngestJob2(ctx, bulk.IngestJobSpec2{Object: "Account", Operation: bulk.Insert})
	if err != nil {
		return err
	}
	if err := c.UploadJobData2(ctx, j.ID, func() (io.Reader, error) {
		return strings.NewReader("AccountNumber,Name\nACME-001,Acme\n"), nil
	}); err != nil {
		return err
	}
	if _, err := c.SetJobState2(ctx, false, j.ID, "UploadComplete"); err != nil {
		return err
	}
	info, err := c.WaitJob2(ctx, false, j.ID, nil)
	if err != nil {
		return err
	}
	if info.NumberRecordsFailed != 0 {
		return fmt.Errorf("seed Account: %d records failed", info.NumberRecordsFailed)
	}
	return nil
}

// TestOrgFromEnvAndBlockAuth covers what the scripts cannot see: which
// settings each source gives, and the errors of incomplete logins.
func TestOrgFromEnvAndBlockAuth(t *testing.T) {
	env := map[string]string{"SFSYNC_AUTH": "jwt", "SFSYNC_JWT_KEY": "PEM", "SFSYNC_REFRESH_TOKEN": "r", "SFSYNC_CLIENT_ID": "c"}
	got := orgFromEnv(func(k string) string { return env[k] })
	want := orgOptions{method: "jwt", jwtKey: "PEM", refreshToken: "r", clientID: "c"}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(orgOptions{})); d != "" {
		t.Errorf("orgFromEnv (-want +got):\n%s", d)
	}
	// The org block's auth wins over SFSYNC_AUTH; SFSYNC_AUTH over the
	// choice from the settings present (an alias in the block, say).
	if m := mergeOrg(orgOptions{}, orgOptions{method: "sf"}, orgOptions{method: "jwt"}); m.method != "sf" {
		t.Errorf("block auth lost to SFSYNC_AUTH: %q", m.method)
	}
	a, err := mergeOrg(orgOptions{}, orgOptions{sfOrg: "dev"}, orgOptions{method: "client_credentials", clientID: "c", clientSecret: "s", instanceURL: "https://acme.my.salesforce.com"}).authenticator()
	if err != nil || !strings.Contains(a.String(), "client credentials") {
		t.Errorf("SFSYNC_AUTH=client_credentials with an alias in the block: %v, %v", a, err)
	}

	// The method, as README's "Which method" lists it: the block's auth,
	// else SFSYNC_AUTH, else the first whose settings any source gives —
	// an access token and an sf alias before the block's local org, which
	// comes before a JWT key.
	local := orgOptions{local: "/cfg/.sfsync/localorg"}
	for _, tc := range []struct {
		block, env orgOptions
		want       string
	}{
		{local, orgOptions{}, "local"},
		{local, orgOptions{accessToken: "t", instanceURL: "https://x"}, "access_token"},
		{local, orgOptions{sfOrg: "dev"}, "sf"},
		{local, orgOptions{method: "jwt"}, "jwt"},
		{local, orgOptions{jwtKey: "PEM", clientID: "c", username: "u"}, "local"},
		{orgOptions{local: local.local, method: "local"}, orgOptions{method: "jwt", accessToken: "t"}, "local"},
		{orgOptions{sfOrg: "dev"}, orgOptions{accessToken: "t"}, "access_token"},
	} {
		got, err := mergeOrg(orgOptions{}, tc.block, tc.env).chooseMethod()
		if err != nil || got != tc.want {
			t.Errorf("block %+v, env %+v: %q, %v; want %q", tc.block, tc.env, got, err, tc.want)
		}
	}

	for _, tc := range []struct {
		o    orgOptions
		want string
	}{
		{orgOptions{method: "client_credentials", clientID: "c", clientSecret: "s"}, "logs in at the org's My Domain, not https://login.salesforce.com"},
		{orgOptions{method: "client_credentials", clientID: "c", clientSecret: "s", loginURL: "https://test.salesforce.com"}, "not https://test.salesforce.com"},
		{orgOptions{method: "refresh_token", refreshToken: "r"}, "needs a client id"},
		{orgOptions{method: "jwt", clientID: "c", username: "u", jwtKey: "not a key"}, "SFSYNC_JWT_KEY: not an RSA private key"},
		{orgOptions{method: "jwt", clientID: "c", username: "u"}, "needs a client id, a username and a key"},
		{orgOptions{method: "saml"}, `unknown auth method "saml": want one of access_token, sf, jwt, refresh_token, client_credentials, password, local`},
	} {
		_, err := tc.o.authenticator()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
		}
	}

	// Without login_url, logins go to the instance URL (a My Domain).
	a, err = orgOptions{refreshToken: "r", clientID: "c", instanceURL: "https://acme.my.salesforce.com"}.authenticator()
	if err != nil {
		t.Fatal(err)
	}
	if rf := a.(*bulk.RefreshTokenFlow); rf.LoginURL != "https://acme.my.salesforce.com" {
		t.Errorf("refresh token login URL %q", rf.LoginURL)
	}
	a, err = orgOptions{username: "u", password: "p", instanceURL: "https://acme.my.salesforce.com", loginURL: "https://test.salesforce.com"}.authenticator()
	if err != nil {
		t.Fatal(err)
	}
	if s := a.(bulk.SOAPLogin); s.LoginURL != "https://test.salesforce.com" {
		t.Errorf("login_url should win over instance_url: %q", s.LoginURL)
	}
}
