package localorg_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/internal/conformance"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

func form(t *testing.T, org *localorgtest.Org, v url.Values) reply {
	t.Helper()
	return send(t, org, "POST", "/services/oauth2/token", v.Encode(), "-", "Content-Type: application/x-www-form-urlencoded")
}

func TestOAuthPasswordFlow(t *testing.T) {
	org := localorgtest.New(t)
	for _, pw := range []string{org.Password, org.Password + org.SecurityToken} {
		r := form(t, org, url.Values{"grant_type": {"password"}, "client_id": {org.ClientID}, "client_secret": {org.ClientSecret}, "username": {org.Username}, "password": {pw}})
		wantStatus(t, r, 200)
		if got, want := keysOf(t, r.Body), []string{"access_token", "instance_url", "id", "token_type", "issued_at", "signature"}; !cmp.Equal(got, want) {
			t.Errorf("token answer keys %v, want %v (recorded password-flow order)", got, want)
		}
		var tok struct{ AccessToken, InstanceURL, ID, IssuedAt string }
		var m map[string]string
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatal(err)
		}
		tok.AccessToken, tok.InstanceURL, tok.ID, tok.IssuedAt = m["access_token"], m["instance_url"], m["id"], m["issued_at"]
		if !strings.HasPrefix(tok.AccessToken, org.OrgID[:15]+"!") {
			t.Errorf("access token %q does not start with the org Id and '!'", tok.AccessToken)
		}
		if tok.InstanceURL != org.URL || tok.ID != org.URL+"/id/"+org.OrgID+"/"+org.UserID {
			t.Errorf("instance_url %q id %q", tok.InstanceURL, tok.ID)
		}
		if ms, err := strconv.ParseInt(tok.IssuedAt, 10, 64); err != nil || time.Since(time.UnixMilli(ms)).Abs() > time.Minute {
			t.Errorf("issued_at %q is not epoch milliseconds", tok.IssuedAt)
		}
		if r.Header.Get("Content-Type") != "application/json;charset=UTF-8" {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		// The token works.
		org2 := *org
		org2.AccessToken = tok.AccessToken
		wantStatus(t, send(t, &org2, "GET", "/services/data/v60.0/limits", nil), 200)
	}
}

func TestOAuthErrors(t *testing.T) {
	org := localorgtest.New(t)
	good := url.Values{"grant_type": {"password"}, "client_id": {org.ClientID}, "client_secret": {org.ClientSecret}, "username": {org.Username}, "password": {org.Password}}
	with := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range good {
			c[kk] = vv
		}
		c.Set(k, v)
		return c
	}
	r := form(t, org, with("password", "wrong"))
	wantStatus(t, r, 400)
	if want := strings.TrimSpace(string(conformance.Read("oauth/token-error-invalid-grant-authentication-failure.json"))); string(r.Body) != want {
		t.Errorf("bad password answer %s, want the recorded %s", r.Body, want)
	}
	for _, tt := range []struct {
		v    url.Values
		want string
	}{
		{with("client_id", "nope"), `{"error":"invalid_client_id","error_description":"client identifier invalid"}`},
		{with("client_secret", "nope"), `{"error":"invalid_client","error_description":"invalid client credentials"}`},
		{with("grant_type", "magic"), `{"error":"unsupported_grant_type","error_description":"grant type not supported"}`},
		{url.Values{"grant_type": {"refresh_token"}, "client_id": {org.ClientID}, "refresh_token": {"old"}}, `{"error":"invalid_grant","error_description":"expired access/refresh token"}`},
	} {
		r := form(t, org, tt.v)
		if r.Status != 400 || string(r.Body) != tt.want {
			t.Errorf("%v: %d %s, want 400 %s", tt.v, r.Status, r.Body, tt.want)
		}
	}
}

func TestOAuthRefreshAndClientCredentials(t *testing.T) {
	org := localorgtest.New(t)
	r := form(t, org, url.Values{"grant_type": {"refresh_token"}, "client_id": {org.ClientID}, "refresh_token": {org.RefreshToken}})
	wantStatus(t, r, 200)
	want := keysOf(t, conformance.Read("oauth/token-refresh-success-2016-pretty.json"))
	if got := keysOf(t, r.Body); !cmp.Equal(got, want) {
		t.Errorf("refresh answer keys %v, want the recorded %v", got, want)
	}
	req, _ := http.NewRequest("POST", org.URL+"/services/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(org.ClientID, org.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("client_credentials with HTTP Basic: %d", resp.StatusCode)
	}
}

func TestOAuthJWTBearer(t *testing.T) {
	org := localorgtest.New(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sfsync test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := org.Org.SetJWTCertificate(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		t.Fatal(err)
	}
	assertion := func(signer *rsa.PrivateKey, aud, sub string, exp time.Time) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": org.ClientID, "sub": sub, "aud": aud, "exp": exp.Unix()})
		s, err := tok.SignedString(signer)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	grant := func(a string) reply {
		return form(t, org, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {a}})
	}
	wantStatus(t, grant(assertion(key, "https://login.salesforce.com", org.Username, time.Now().Add(3*time.Minute))), 200)
	wantStatus(t, grant(assertion(key, org.URL, org.Username, time.Now().Add(3*time.Minute))), 200)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, a := range map[string]string{
		"wrong key": assertion(other, "https://login.salesforce.com", org.Username, time.Now().Add(time.Minute)),
		"expired":   assertion(key, "https://login.salesforce.com", org.Username, time.Now().Add(-time.Minute)),
		"audience":  assertion(key, "https://example.com", org.Username, time.Now().Add(time.Minute)),
		"user":      assertion(key, "https://login.salesforce.com", "nobody@example.com", time.Now().Add(time.Minute)),
	} {
		r := grant(a)
		if r.Status != 400 || !strings.Contains(string(r.Body), `"error":"invalid_grant"`) {
			t.Errorf("%s: %d %s, want 400 invalid_grant", name, r.Status, r.Body)
		}
	}
}

func TestSessionChecks(t *testing.T) {
	org := localorgtest.New(t)
	want := string(conformance.Read("rest/error-invalid-session-id-401-v37.json"))
	for _, h := range []string{"Authorization: Bearer 00Dnope!xyz", "X-SFDC-Session: nope", "-"} {
		r := send(t, org, "GET", "/services/data/v60.0/limits", nil, h)
		if r.Status != 401 || string(r.Body) != want {
			t.Errorf("%s: %d %s, want 401 %s", h, r.Status, r.Body, want)
		}
		if r.Header.Get("WWW-Authenticate") != "Token" {
			t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
		}
	}
	wantStatus(t, send(t, org, "GET", "/services/data/v60.0/limits", nil, "X-SFDC-Session: "+org.AccessToken), 200)
	wantStatus(t, send(t, org, "GET", "/services/data/v60.0/limits", nil, "Authorization: OAuth "+org.AccessToken), 200)
	// Bulk 1.0 reads its session from X-SFDC-Session only.
	for _, h := range []string{"Authorization: Bearer " + org.AccessToken, "-"} {
		r := send(t, org, "GET", "/services/async/60.0/job/750000000000000AAA", nil, h)
		if r.Status != 400 || xmlField(t, r.Body, "exceptionCode") != "InvalidSessionId" || xmlField(t, r.Body, "exceptionMessage") != "Unable to find session id" {
			t.Errorf("Bulk 1.0 with %s: %d %s", h, r.Status, r.Body)
		}
	}
	r := send(t, org, "GET", "/services/async/60.0/job/750000000000000AAA", nil, "X-SFDC-Session: nope")
	if r.Status != 400 || xmlField(t, r.Body, "exceptionMessage") != "Invalid session id" {
		t.Errorf("Bulk 1.0 with a dead session: %d %s", r.Status, r.Body)
	}
	if err := org.Org.ExpireSessions(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, send(t, org, "GET", "/services/data/v60.0/limits", nil), 401)
}

func TestSessionTTL(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	org := localorgtest.Start(t, localorgOptions(func() time.Time { return now }, time.Minute))
	wantStatus(t, send(t, org, "GET", "/services/data/v60.0/limits", nil), 200)
	now = now.Add(50 * time.Second)
	wantStatus(t, send(t, org, "GET", "/services/data/v60.0/limits", nil), 200) // activity extends it
	now = now.Add(50 * time.Second)
	wantStatus(t, send(t, org, "GET", "/services/data/v60.0/limits", nil), 200)
	now = now.Add(61 * time.Second)
	wantStatus(t, send(t, org, "GET", "/services/data/v60.0/limits", nil), 401)
}

func TestSOAPLogin(t *testing.T) {
	org := localorgtest.New(t)
	req := string(conformance.Read("soap-login/login-request-partner-v42-jsforce.xml"))
	req = strings.Replace(req, "demo@grouparoo.com", org.Username, 1)
	good := strings.Replace(req, "REDACTED-PASSWORD+TOKENXXXXXXXXXXXXX", org.Password+org.SecurityToken, 1)
	r := send(t, org, "POST", "/services/Soap/u/42.0", good, "-", "Content-Type: text/xml", "SOAPAction: login")
	wantStatus(t, r, 200)
	if r.Header.Get("Content-Type") != "text/xml; charset=utf-8" {
		t.Errorf("content type %q", r.Header.Get("Content-Type"))
	}
	recorded := string(conformance.Read("soap-login/login-success-partner-v42.xml"))
	if got, want := xmlElements(r.String()), xmlElements(recorded); !cmp.Equal(got, want) {
		t.Errorf("login answer elements differ from the recording:\n%s", cmp.Diff(want, got))
	}
	sid := between(r.String(), "<sessionId>", "</sessionId>")
	org2 := *org
	org2.AccessToken = sid
	wantStatus(t, send(t, &org2, "GET", "/services/data/v42.0/limits", nil), 200)
	if su := between(r.String(), "<serverUrl>", "</serverUrl>"); su != org.URL+"/services/Soap/u/42.0/"+org.OrgID[:15] {
		t.Errorf("serverUrl %q", su)
	}

	bad := strings.Replace(req, "REDACTED-PASSWORD+TOKENXXXXXXXXXXXXX", "wrong", 1)
	r = send(t, org, "POST", "/services/Soap/u/42.0", bad, "-", "Content-Type: text/xml")
	if r.Status != 500 || r.String() != string(conformance.Read("soap-login/login-fault-invalid-login.xml")) {
		t.Errorf("bad login: %d %s", r.Status, r.Body)
	}
	r = send(t, org, "POST", "/services/Soap/u/65.0", good, "-", "Content-Type: text/xml")
	if r.Status != 500 || !strings.Contains(r.String(), "<faultcode>sf:UNSUPPORTED_API_VERSION</faultcode>") {
		t.Errorf("login at 65.0: %d %s", r.Status, r.Body)
	}
	r = send(t, org, "POST", "/services/Soap/u/60.0", "<not xml", "-", "Content-Type: text/xml")
	if r.Status != 500 || !strings.Contains(r.String(), "<soapenv:Fault>") {
		t.Errorf("malformed login: %d %s", r.Status, r.Body)
	}
}

func TestUserinfoAndIdentity(t *testing.T) {
	org := localorgtest.New(t)
	r := send(t, org, "GET", "/services/oauth2/userinfo", nil)
	wantStatus(t, r, 200)
	var ui map[string]any
	json.Unmarshal(r.Body, &ui)
	if ui["user_id"] != org.UserID || ui["organization_id"] != org.OrgID || ui["preferred_username"] != org.Username {
		t.Errorf("userinfo %s", r.Body)
	}
	r = send(t, org, "GET", "/id/"+org.OrgID+"/"+org.UserID, nil)
	wantStatus(t, r, 200)
	recorded := keysOf(t, conformance.Read("oauth/identity-userinfo-2016.json"))
	got := keysOf(t, r.Body)
	for _, k := range []string{"id", "user_id", "organization_id", "username", "urls", "urls.rest", "urls.sobjects", "urls.partner"} {
		if !contains(recorded, k) || !contains(got, k) {
			t.Errorf("identity key %q missing (recorded %v, got %v)", k, contains(recorded, k), contains(got, k))
		}
	}
	wantStatus(t, send(t, org, "GET", "/services/oauth2/userinfo", nil, "Authorization: Bearer nope"), 401)
}

// xmlElements lists the element names of an XML document in order.
func xmlElements(s string) []string {
	var out []string
	for _, part := range strings.Split(s, "<")[1:] {
		if strings.HasPrefix(part, "/") || strings.HasPrefix(part, "?") {
			continue
		}
		name := part
		if i := strings.IndexAny(name, " />"); i >= 0 {
			name = name[:i]
		}
		out = append(out, name)
	}
	return out
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	j := strings.Index(s, b)
	if j < 0 {
		return ""
	}
	return s[:j]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
