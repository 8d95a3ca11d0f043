package bulk

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultLoginURL is where logins go unless told otherwise (sandboxes use
// https://test.salesforce.com, orgs with My Domain their own URL).
const DefaultLoginURL = "https://login.salesforce.com"

// soapLoginMaxVersion is the last API version with SOAP login(); Salesforce
// removed it from API 65.0 on (reference §1.2).
const soapLoginMaxVersion = "64.0"

// Session is a logged-in session.
type Session struct {
	AccessToken string // secret: never log or print it
	InstanceURL string // https://mydomain.my.salesforce.com
	OrgID       string
	UserID      string
	IssuedAt    time.Time
	// Lifetime is how long the session lasts without activity, when the login
	// said so (SOAP sessionSecondsValid); 0 when unknown.
	Lifetime time.Duration
	// APIVersion is the API version the login suggests ("62.0"), "" when
	// it suggests none: the sf CLI's apiVersion for the org. New uses it as
	// the cap when Config.APIVersion is not set.
	APIVersion string
}

// String describes the session without its token.
func (s Session) String() string {
	return fmt.Sprintf("session for org %s at %s", s.OrgID, s.InstanceURL)
}

// GoString keeps %#v from printing the token.
func (s Session) GoString() string { return s.String() }

// LogValue keeps slog from printing the token.
func (s Session) LogValue() slog.Value {
	return slog.GroupValue(slog.String("instance", s.InstanceURL), slog.String("org", s.OrgID))
}

// AuthContext is what an Authenticator gets to log in with.
type AuthContext struct {
	HTTP *http.Client
	// Version is the API version the caller asked for explicitly ("" when it
	// did not); SOAP login uses it for its endpoint.
	Version    string
	ClientName string
}

// Authenticator obtains sessions. The implementations in this package never
// put a secret into an error, a log line or their String.
type Authenticator interface {
	Authenticate(ctx context.Context, ac AuthContext) (*Session, error)
	// CanRefresh reports whether Authenticate can be called again for a new
	// session when the current one expires.
	CanRefresh() bool
	// String describes the method and user without secrets.
	String() string
	secrets() []string
}

// AccessToken uses a session obtained elsewhere (sf CLI, environment). It
// cannot be renewed.
type AccessToken struct {
	InstanceURL string
	Token       string
}

func (a AccessToken) Authenticate(ctx context.Context, ac AuthContext) (*Session, error) {
	if a.InstanceURL == "" || a.Token == "" {
		return nil, fmt.Errorf("access token: instance URL and token are both required")
	}
	if _, err := url.ParseRequestURI(a.InstanceURL); err != nil {
		return nil, fmt.Errorf("access token: instance URL %q is not a URL", a.InstanceURL)
	}
	org, _, _ := strings.Cut(a.Token, "!")
	return &Session{AccessToken: a.Token, InstanceURL: a.InstanceURL, OrgID: org, IssuedAt: time.Now()}, nil
}
func (a AccessToken) CanRefresh() bool     { return false }
func (a AccessToken) String() string       { return "access token for " + a.InstanceURL }
func (a AccessToken) GoString() string     { return a.String() }
func (a AccessToken) LogValue() slog.Value { return slog.StringValue(a.String()) }
func (a AccessToken) secrets() []string    { return []string{a.Token} }

// SOAPLogin logs in with the SOAP partner login() call: username, password
// and security token. Salesforce removed login() from API 65.0 on and retires
// it entirely in Summer '27; use an OAuth flow where possible.
type SOAPLogin struct {
	LoginURL      string // default DefaultLoginURL
	Username      string
	Password      string
	SecurityToken string // appended to the password
}

func (a SOAPLogin) CanRefresh() bool     { return true }
func (a SOAPLogin) String() string       { return "SOAP login as " + a.Username }
func (a SOAPLogin) GoString() string     { return a.String() }
func (a SOAPLogin) LogValue() slog.Value { return slog.StringValue(a.String()) }
func (a SOAPLogin) secrets() []string {
	return []string{a.Password, a.SecurityToken, a.Password + a.SecurityToken}
}

func (a SOAPLogin) Authenticate(ctx context.Context, ac AuthContext) (*Session, error) {
	v := ac.Version
	if v == "" {
		v = soapLoginMaxVersion
	}
	if versionAtLeast(v, "65.0") {
		return nil, fmt.Errorf("SOAP login is not available in API %s: Salesforce removed login() from API 65.0 on (and retires it in Summer '27); use an OAuth flow (client credentials, JWT bearer, refresh token), or ask for API version 64.0 or lower", v)
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header><CallOptions xmlns="urn:partner.soap.sforce.com"><client>`)
	xml.EscapeText(&b, []byte(ac.ClientName))
	b.WriteString(`</client></CallOptions></se:Header><se:Body><login xmlns="urn:partner.soap.sforce.com"><username>`)
	xml.EscapeText(&b, []byte(a.Username))
	b.WriteString(`</username><password>`)
	xml.EscapeText(&b, []byte(a.Password+a.SecurityToken))
	b.WriteString(`</password></login></se:Body></se:Envelope>`)
	endpoint := loginURL(a.LoginURL) + "/services/Soap/u/" + strings.TrimPrefix(v, "v")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(b.String()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	req.Header.Set("SOAPAction", "login")
	resp, err := ac.HTTP.Do(req)
	if err != nil {
		return nil, redactErr(err, a.secrets())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		e := &APIError{StatusCode: resp.StatusCode, Method: "POST", Path: "/services/Soap/u/" + v}
		if f, err := parseSOAPFault(body); err == nil {
			e.Code, e.Message = f.code, f.message
		} else {
			e.Message = http.StatusText(resp.StatusCode)
		}
		e.Message = redact(e.Message, a.secrets())
		return nil, e
	}
	return parseSOAPLogin(body)
}

// parseSOAPLogin reads a loginResponse.
func parseSOAPLogin(body []byte) (*Session, error) {
	var env struct {
		Body struct {
			LoginResponse struct {
				Result struct {
					PasswordExpired bool   `xml:"passwordExpired"`
					ServerURL       string `xml:"serverUrl"`
					SessionID       string `xml:"sessionId"`
					UserID          string `xml:"userId"`
					UserInfo        struct {
						OrganizationID      string `xml:"organizationId"`
						SessionSecondsValid int    `xml:"sessionSecondsValid"`
					} `xml:"userInfo"`
				} `xml:"result"`
			} `xml:"loginResponse"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("read SOAP login response: %w", err)
	}
	r := env.Body.LoginResponse.Result
	if r.SessionID == "" || r.ServerURL == "" {
		return nil, fmt.Errorf("read SOAP login response: no sessionId or serverUrl")
	}
	if r.PasswordExpired {
		return nil, &APIError{Code: "INVALID_OPERATION_WITH_EXPIRED_PASSWORD", Message: "the password has expired; set a new one in Salesforce"}
	}
	u, err := url.Parse(r.ServerURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("read SOAP login response: serverUrl %q is not a URL", r.ServerURL)
	}
	return &Session{
		AccessToken: r.SessionID,
		InstanceURL: u.Scheme + "://" + u.Host,
		OrgID:       r.UserInfo.OrganizationID,
		UserID:      r.UserID,
		IssuedAt:    time.Now(),
		Lifetime:    time.Duration(r.UserInfo.SessionSecondsValid) * time.Second,
	}, nil
}

// PasswordFlow is the OAuth 2.0 username-password flow (blocked by default in
// new orgs; prefer JWT bearer or client credentials).
type PasswordFlow struct {
	LoginURL      string
	ClientID      string
	ClientSecret  string
	Username      string
	Password      string
	SecurityToken string
}

func (a PasswordFlow) CanRefresh() bool     { return true }
func (a PasswordFlow) String() string       { return "OAuth username-password flow as " + a.Username }
func (a PasswordFlow) GoString() string     { return a.String() }
func (a PasswordFlow) LogValue() slog.Value { return slog.StringValue(a.String()) }
func (a PasswordFlow) secrets() []string {
	return []string{a.ClientSecret, a.Password, a.SecurityToken, a.Password + a.SecurityToken}
}

func (a PasswordFlow) Authenticate(ctx context.Context, ac AuthContext) (*Session, error) {
	form := url.Values{
		"grant_type":    {"password"},
		"client_id":     {a.ClientID},
		"client_secret": {a.ClientSecret},
		"username":      {a.Username},
		"password":      {a.Password + a.SecurityToken},
	}
	s, _, err := postToken(ctx, ac.HTTP, a.LoginURL, form, a.secrets())
	return s, err
}

// RefreshTokenFlow renews sessions with an OAuth refresh token (what `sf org
// login web` stores). A rotated refresh token replaces the old one.
type RefreshTokenFlow struct {
	LoginURL     string
	ClientID     string
	ClientSecret string // optional
	RefreshToken string

	mu      sync.Mutex
	rotated string
}

func (a *RefreshTokenFlow) CanRefresh() bool     { return true }
func (a *RefreshTokenFlow) String() string       { return "OAuth refresh token for client " + a.ClientID }
func (a *RefreshTokenFlow) GoString() string     { return a.String() }
func (a *RefreshTokenFlow) LogValue() slog.Value { return slog.StringValue(a.String()) }
func (a *RefreshTokenFlow) secrets() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return []string{a.ClientSecret, a.RefreshToken, a.rotated}
}

func (a *RefreshTokenFlow) Authenticate(ctx context.Context, ac AuthContext) (*Session, error) {
	a.mu.Lock()
	token := a.RefreshToken
	if a.rotated != "" {
		token = a.rotated
	}
	a.mu.Unlock()
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {a.ClientID}, "refresh_token": {token}}
	if a.ClientSecret != "" {
		form.Set("client_secret", a.ClientSecret)
	}
	s, newRefresh, err := postToken(ctx, ac.HTTP, a.LoginURL, form, a.secrets())
	if err == nil && newRefresh != "" {
		a.mu.Lock()
		a.rotated = newRefresh
		a.mu.Unlock()
	}
	return s, err
}

// JWTBearer is the OAuth 2.0 JWT bearer flow: an assertion signed with the
// private key whose certificate is uploaded to the connected app. The
// assertion goes to LoginURL's token endpoint (login.salesforce.com,
// test.salesforce.com or a My Domain URL); its audience is Salesforce's
// login server, see JWTAudience.
type JWTBearer struct {
	LoginURL string
	ClientID string // the connected app's consumer key (iss)
	Username string // sub
	KeyFile  string // PEM file with the RSA private key, or:
	Key      *rsa.PrivateKey
	// Audience is the aud claim; "" is JWTAudience(LoginURL).
	Audience string
}

// JWTAudience is the aud claim of a JWT bearer assertion posted to
// login. Salesforce wants its login server there, not a My Domain:
// https://test.salesforce.com for sandboxes (test.salesforce.com itself,
// or a My Domain under .sandbox.my.salesforce.com), https://login.salesforce.com
// for any other Salesforce host. Anything else (an Experience Cloud site,
// a local org) is its own audience.
func JWTAudience(login string) string {
	u := loginURL(login)
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	host := strings.ToLower(p.Hostname())
	switch {
	case host == "test.salesforce.com" || strings.HasSuffix(host, ".sandbox.my.salesforce.com"):
		return "https://test.salesforce.com"
	case host == "salesforce.com" || strings.HasSuffix(host, ".salesforce.com"):
		return DefaultLoginURL
	}
	return u
}

func (a JWTBearer) CanRefresh() bool     { return true }
func (a JWTBearer) String() string       { return "OAuth JWT bearer flow as " + a.Username }
func (a JWTBearer) GoString() string     { return a.String() }
func (a JWTBearer) LogValue() slog.Value { return slog.StringValue(a.String()) }
func (a JWTBearer) secrets() []string    { return nil }

func (a JWTBearer) Authenticate(ctx context.Context, ac AuthContext) (*Session, error) {
	key := a.Key
	if key == nil {
		pem, err := os.ReadFile(a.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("JWT bearer: read private key: %w", err)
		}
		key, err = jwt.ParseRSAPrivateKeyFromPEM(pem)
		if err != nil {
			// The parser's error text never contains key material.
			return nil, fmt.Errorf("JWT bearer: private key %s: %w", a.KeyFile, err)
		}
	}
	aud := a.Audience
	if aud == "" {
		aud = JWTAudience(a.LoginURL)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": a.ClientID,
		"sub": a.Username,
		"aud": aud,
		"exp": time.Now().Add(3 * time.Minute).Unix(),
	})
	assertion, err := tok.SignedString(key)
	if err != nil {
		return nil, fmt.Errorf("JWT bearer: sign assertion: %w", err)
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}
	s, _, err := postToken(ctx, ac.HTTP, a.LoginURL, form, []string{assertion})
	return s, err
}

// ClientCredentials is the OAuth 2.0 client credentials flow; it runs as the
// connected app's "Run As" user and needs the org's My Domain URL as LoginURL.
type ClientCredentials struct {
	LoginURL     string
	ClientID     string
	ClientSecret string
}

func (a ClientCredentials) CanRefresh() bool { return true }
func (a ClientCredentials) String() string {
	return "OAuth client credentials flow for client " + a.ClientID
}
func (a ClientCredentials) GoString() string     { return a.String() }
func (a ClientCredentials) LogValue() slog.Value { return slog.StringValue(a.String()) }
func (a ClientCredentials) secrets() []string    { return []string{a.ClientSecret} }

func (a ClientCredentials) Authenticate(ctx context.Context, ac AuthContext) (*Session, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {a.ClientID}, "client_secret": {a.ClientSecret}}
	s, _, err := postToken(ctx, ac.HTTP, a.LoginURL, form, a.secrets())
	return s, err
}

func loginURL(u string) string {
	if u == "" {
		return DefaultLoginURL
	}
	return strings.TrimRight(u, "/")
}

// tokenResponse is the OAuth token endpoint's answer (reference §1.3).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
	TokenType    string `json:"token_type"`
	IssuedAt     string `json:"issued_at"` // epoch milliseconds, as a string
	Scope        string `json:"scope"`
	Signature    string `json:"signature"`
}

func (t tokenResponse) session() (*Session, error) {
	if t.AccessToken == "" || t.InstanceURL == "" {
		return nil, fmt.Errorf("token response has no access_token or instance_url")
	}
	s := &Session{AccessToken: t.AccessToken, InstanceURL: t.InstanceURL, IssuedAt: time.Now()}
	if ms, err := strconv.ParseInt(t.IssuedAt, 10, 64); err == nil {
		s.IssuedAt = time.UnixMilli(ms)
	}
	// id is https://login.salesforce.com/id/{orgId}/{userId}.
	if parts := strings.Split(strings.TrimRight(t.ID, "/"), "/"); len(parts) >= 2 {
		s.OrgID, s.UserID = parts[len(parts)-2], parts[len(parts)-1]
	}
	return s, nil
}

// parseTokenResponse reads a token endpoint body: a session, or the OAuth
// error ({"error","error_description"}) as an *APIError.
func parseTokenResponse(status int, body []byte) (*Session, string, error) {
	if status != http.StatusOK {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		ae := &APIError{StatusCode: status, Method: "POST", Path: "/services/oauth2/token"}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			ae.Code, ae.Message = e.Error, e.Description
		} else {
			ae.Message = http.StatusText(status)
		}
		return nil, "", ae
	}
	var t tokenResponse
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, "", fmt.Errorf("read token response: %w", err)
	}
	s, err := t.session()
	return s, t.RefreshToken, err
}

func postToken(ctx context.Context, hc *http.Client, login string, form url.Values, secrets []string) (*Session, string, error) {
	endpoint := loginURL(login) + "/services/oauth2/token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", redactErr(err, secrets)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, "", err
	}
	s, refresh, err := parseTokenResponse(resp.StatusCode, body)
	if ae, ok := err.(*APIError); ok {
		ae.Message = redact(ae.Message, secrets)
	}
	return s, refresh, err
}

func redactErr(err error, secrets []string) error {
	if s := redact(err.Error(), secrets); s != err.Error() {
		return &scrubbedError{msg: s, err: err}
	}
	return err
}
