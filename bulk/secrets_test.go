package bulk_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

// jwtKey makes an RSA key, writes it to a PEM file, and returns the file,
// the key and the certificate to give the connected app.
func jwtKey(t *testing.T) (keyFile string, key *rsa.PrivateKey, certPEM []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sfsync test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile = filepath.Join(t.TempDir(), "server.key")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	return keyFile, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// sniffer sits under the client and keeps every secret that crosses the
// wire: the JWT assertions it sends and the sessions and refresh tokens
// the org issues (those issued by renewals too).
type sniffer struct {
	mu      sync.Mutex
	secrets map[string]bool
}

var soapSession = regexp.MustCompile(`<sessionId>([^<]+)</sessionId>`)

func (s *sniffer) add(v string) {
	if v != "" {
		s.mu.Lock()
		s.secrets[v] = true
		s.mu.Unlock()
	}
}

func (s *sniffer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.URL.Path == "/services/oauth2/token" {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		if form, err := url.ParseQuery(string(b)); err == nil {
			s.add(form.Get("assertion"))
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !(strings.HasPrefix(r.URL.Path, "/services/oauth2/") || strings.HasPrefix(r.URL.Path, "/services/Soap/")) {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return resp, nil
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(b, &tok) == nil {
		s.add(tok.AccessToken)
		s.add(tok.RefreshToken)
	}
	if m := soapSession.FindSubmatch(b); m != nil {
		s.add(string(m[1]))
	}
	return resp, nil
}

func (s *sniffer) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for v := range s.secrets {
		out = append(out, v)
	}
	return out
}

// No password, security token, access token (those issued by renewals
// included), refresh token, client secret, JWT assertion or private key may
// appear in an error, a debug log line or a printed value.
func TestSecretsNeverLeak(t *testing.T) {
	org := localorgtest.New(t)
	keyFile, key, cert := jwtKey(t)
	if err := org.Org.SetJWTCertificate(cert); err != nil {
		t.Fatal(err)
	}
	// A key file that is damaged mid-way: its parse error must not quote it.
	keyPEM, _ := os.ReadFile(keyFile)
	broken := filepath.Join(t.TempDir(), "broken.key")
	os.WriteFile(broken, append(keyPEM[:len(keyPEM)/2:len(keyPEM)/2], "\n-----END RSA PRIVATE KEY-----\n"...), 0o600)

	dead := "http://127.0.0.1:1" // nothing listens: transport errors
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sn := &sniffer{secrets: map[string]bool{}}
	httpc := &http.Client{Transport: sn}
	token := org.AccessToken
	secrets := []string{org.Password, org.SecurityToken, org.ClientSecret, org.RefreshToken, token, "wrong-password-xyz", "WRONGTOKEN99"}

	auths := []bulk.Authenticator{
		soap(org),
		bulk.SOAPLogin{LoginURL: org.URL, Username: org.Username, Password: "wrong-password-xyz", SecurityToken: "WRONGTOKEN99"},
		bulk.SOAPLogin{LoginURL: dead, Username: org.Username, Password: org.Password, SecurityToken: org.SecurityToken},
		bulk.PasswordFlow{LoginURL: org.URL, ClientID: org.ClientID, ClientSecret: org.ClientSecret, Username: org.Username, Password: org.Password, SecurityToken: org.SecurityToken},
		bulk.PasswordFlow{LoginURL: org.URL, ClientID: org.ClientID, ClientSecret: org.ClientSecret, Username: org.Username, Password: "wrong-password-xyz"},
		bulk.PasswordFlow{LoginURL: dead, ClientID: org.ClientID, ClientSecret: org.ClientSecret, Username: org.Username, Password: org.Password},
		&bulk.RefreshTokenFlow{LoginURL: org.URL, ClientID: org.ClientID, ClientSecret: org.ClientSecret, RefreshToken: org.RefreshToken},
		&bulk.RefreshTokenFlow{LoginURL: dead, ClientID: org.ClientID, RefreshToken: org.RefreshToken},
		bulk.ClientCredentials{LoginURL: org.URL, ClientID: org.ClientID, ClientSecret: org.ClientSecret},
		bulk.ClientCredentials{LoginURL: dead, ClientID: org.ClientID, ClientSecret: org.ClientSecret},
		bulk.JWTBearer{LoginURL: org.URL, ClientID: org.ClientID, Username: org.Username, KeyFile: keyFile},
		bulk.JWTBearer{LoginURL: org.URL, ClientID: org.ClientID, Username: org.Username, Key: key},
		bulk.JWTBearer{LoginURL: org.URL, ClientID: "wrong", Username: org.Username, KeyFile: keyFile},
		bulk.JWTBearer{LoginURL: org.URL, ClientID: org.ClientID, Username: "nobody@example.com", Key: key},
		bulk.JWTBearer{LoginURL: org.URL, ClientID: org.ClientID, Username: org.Username, KeyFile: broken},
		bulk.AccessToken{InstanceURL: org.URL, Token: token},
		bulk.AccessToken{InstanceURL: dead, Token: token},
	}
	var out strings.Builder
	ctx := context.Background()
	renewed := 0
	for _, a := range auths {
		fmt.Fprintf(&out, "%v %+v %#v %s\n", a, a, a, a)
		logger.Info("auth", "auth", a)
		r, p := fast()
		c, err := bulk.New(ctx, bulk.Config{Auth: a, APIVersion: "60.0", Logger: logger, Retry: r, Poll: p, HTTPClient: httpc, TempDir: t.TempDir()})
		if err != nil {
			fmt.Fprintf(&out, "%v %+v %#v\n", err, err, err)
			continue
		}
		s := c.Session()
		fmt.Fprintf(&out, "%v %+v %#v %v %+v %#v\n", s, s, s, c, c, c)
		logger.Info("session", "session", s, "client", c)
		// A job whose session expires while it runs: renewable logins renew
		// mid-job (new tokens, logged calls), the others fail.
		req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, API: bulk.Bulk1,
			Records: seq(accounts(3, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint("S", i))} }))}
		req.OnProgress = func(bulk.Progress) { org.ExpireSessions(t) }
		sum, err := c.Ingest(ctx, req)
		if err != nil {
			fmt.Fprintf(&out, "%v %+v\n", err, err)
		}
		if a.CanRefresh() && err == nil && c.Session().AccessToken != s.AccessToken {
			renewed++
		}
		fmt.Fprintf(&out, "%v %+v %v %+v\n", sum, sum, c.Session(), c)
		// Errors after login: an expired session, and a Bulk 1.0 error body.
		org.ExpireSessions(t)
		if _, err := c.Limits(ctx); err != nil {
			fmt.Fprintf(&out, "%v\n", err)
		}
		if _, err := c.OpenJob1(ctx, "750000000000000AAA"); err != nil {
			fmt.Fprintf(&out, "%v\n", err)
		}
		s = c.Session()
		fmt.Fprintf(&out, "%v %+v %#v\n", s, s, s)
	}
	secrets = append(secrets, sn.list()...)
	var assertions int
	for _, s := range sn.list() {
		if strings.Count(s, ".") == 2 && strings.HasPrefix(s, "eyJ") {
			assertions++
		}
	}
	// Private key material: the PEM's base64 lines, and the key's numbers
	// in decimal and hex (as %v of an rsa.PrivateKey would print them).
	for _, line := range strings.Split(string(keyPEM), "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line)
		}
	}
	for _, n := range []*big.Int{key.D, key.Primes[0], key.Primes[1], key.N} {
		secrets = append(secrets, n.String()[:40], n.Text(16)[:40])
	}

	all := out.String() + logs.String()
	for _, s := range secrets {
		if i := strings.Index(all, s); i >= 0 {
			t.Errorf("secret %.12q… leaked: …%s…", s, all[max(0, i-200):min(len(all), i+len(s)+50)])
		}
	}
	if strings.Contains(all, "PRIVATE KEY") {
		t.Error("private key leaked")
	}
	// The checks looked at something: errors, call logs, renewals, and the
	// secrets the wire carried.
	if !strings.Contains(all, "INVALID_LOGIN") || !strings.Contains(all, "invalid_grant") || !strings.Contains(all, "JWT bearer: private key") || !strings.Contains(logs.String(), "salesforce call") {
		t.Errorf("expected errors and call logs missing:\n%s", all)
	}
	if renewed < 5 || assertions < 3 || len(sn.list()) < 20 {
		t.Errorf("%d renewals mid-job, %d JWT assertions, %d secrets sniffed", renewed, assertions, len(sn.list()))
	}
}
