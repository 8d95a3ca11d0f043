package localorg

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/sfsync/sfsync/localorg/internal/jsonw"
)

// authenticate checks the session of an API call: "Authorization: Bearer"
// (or the older "OAuth" scheme) or X-SFDC-Session. It answers 401
// INVALID_SESSION_ID and returns false when there is no live session.
func (o *Org) authenticate(c *call) bool {
	tok := sessionToken(c.r)
	user, ok := "", false
	if tok != "" {
		user, ok = o.checkSession(c.r.Context(), tok)
	}
	if !ok {
		c.fail(errSession)
		return false
	}
	// /limits stays reachable when the allocation is used up, so that a
	// client can see why it is refused.
	if !o.apiRequestsLeft() && !(len(c.segs) >= 4 && c.segs[3] == "limits") {
		c.fail(errRequestLimit)
		return false
	}
	c.user = user
	atomic.AddInt64(&o.apiCalls, 1)
	return true
}

func sessionToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
		if ok && (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth")) {
			return strings.TrimSpace(tok)
		}
	}
	return strings.TrimSpace(r.Header.Get("X-SFDC-Session"))
}

// adminID returns the admin user's Id.
func (o *Org) adminID() string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.meta.AdminUserID
}

func (o *Org) metaCopy() meta {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.meta
}

// checkPassword accepts the admin's password with or without the security
// token appended: loopback counts as a trusted IP range, where Salesforce
// does not ask for the token.
func checkPassword(m meta, username, password string) bool {
	if !strings.EqualFold(username, m.Username) {
		return false
	}
	return eq(password, m.Password) || eq(password, m.Password+m.SecurityToken)
}

func eq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// oauthError is an OAuth token endpoint error: HTTP 400 with
// {"error","error_description"} (reference §1.3).
func oauthError(code, desc string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Msg: desc}
}

var (
	errInvalidClientID = oauthError("invalid_client_id", "client identifier invalid")
	errInvalidClient   = oauthError("invalid_client", "invalid client credentials")
	errAuthFailure     = oauthError("invalid_grant", "authentication failure")
	errExpiredRefresh  = oauthError("invalid_grant", "expired access/refresh token")
	errBadAssertion    = oauthError("invalid_grant", "invalid assertion")
	errBadAudience     = oauthError("invalid_grant", "audience is invalid")
	errUnknownUser     = oauthError("invalid_grant", "user hasn't approved this consumer")
	errGrantType       = oauthError("unsupported_grant_type", "grant type not supported")
)

// oauthToken serves POST /services/oauth2/token.
func (o *Org) oauthToken(c *call) {
	if err := c.r.ParseForm(); err != nil {
		c.fail(oauthError("invalid_request", "invalid request body"))
		return
	}
	f := c.r.PostForm
	m := o.metaCopy()
	clientID, clientSecret := f.Get("client_id"), f.Get("client_secret")
	if id, secret, ok := c.r.BasicAuth(); ok {
		clientID, clientSecret = id, secret
	}
	var refresh bool
	switch f.Get("grant_type") {
	case "password":
		if !eq(clientID, m.ClientID) {
			c.fail(errInvalidClientID)
			return
		}
		if !eq(clientSecret, m.ClientSecret) {
			c.fail(errInvalidClient)
			return
		}
		if !checkPassword(m, f.Get("username"), f.Get("password")) {
			c.fail(errAuthFailure)
			return
		}
	case "refresh_token":
		if !eq(clientID, m.ClientID) {
			c.fail(errInvalidClientID)
			return
		}
		if clientSecret != "" && !eq(clientSecret, m.ClientSecret) {
			c.fail(errInvalidClient)
			return
		}
		if !eq(f.Get("refresh_token"), m.RefreshToken) {
			c.fail(errExpiredRefresh)
			return
		}
		refresh = true
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		if err := o.checkJWT(c, m, f.Get("assertion")); err != nil {
			c.fail(err)
			return
		}
	case "client_credentials":
		if !eq(clientID, m.ClientID) || !eq(clientSecret, m.ClientSecret) {
			c.fail(errInvalidClient)
			return
		}
	default:
		c.fail(errGrantType)
		return
	}
	tok, issued, err := o.newSession(c.r.Context(), m.AdminUserID)
	if err != nil {
		c.fail(err)
		return
	}
	id := c.base + "/id/" + m.OrgID + "/" + m.AdminUserID
	issuedAt := strconv.FormatInt(issued.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(m.ClientSecret))
	mac.Write([]byte(id + issuedAt))
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	var body jsonw.Object
	if refresh {
		// Key order of the recorded refresh-token answer.
		body = body.Add("access_token", tok).Add("signature", sig).Add("scope", "refresh_token api full").
			Add("instance_url", c.base).Add("id", id).Add("token_type", "Bearer").Add("issued_at", issuedAt)
	} else {
		// Key order of the recorded password-flow answer.
		body = body.Add("access_token", tok).Add("instance_url", c.base).Add("id", id).
			Add("token_type", "Bearer").Add("issued_at", issuedAt).Add("signature", sig)
	}
	c.w.Header().Set("Cache-Control", "no-cache,must-revalidate,max-age=0,no-store,private")
	c.w.Header().Set("Pragma", "no-cache")
	c.rest(http.StatusOK, body)
}

// checkJWT verifies a jwt-bearer assertion: RS256 signed by the key of the
// connected app's certificate, iss the client id, sub the username, aud a
// Salesforce login URL or this server, not expired.
func (o *Org) checkJWT(c *call, m meta, assertion string) error {
	if m.JWTCert == "" {
		return errBadAssertion
	}
	block, _ := pem.Decode([]byte(m.JWTCert))
	if block == nil {
		return errBadAssertion
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return errBadAssertion
	}
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(assertion, claims, func(t *jwt.Token) (any, error) {
		return cert.PublicKey, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(), jwt.WithTimeFunc(o.now))
	if err != nil {
		return errBadAssertion
	}
	iss, _ := claims.GetIssuer()
	if !eq(iss, m.ClientID) {
		return errInvalidClientID
	}
	aud, _ := claims.GetAudience()
	if !audienceOK(aud, c.base) {
		return errBadAudience
	}
	sub, _ := claims.GetSubject()
	if !strings.EqualFold(sub, m.Username) {
		return errUnknownUser
	}
	return nil
}

func audienceOK(aud []string, base string) bool {
	for _, a := range aud {
		a = strings.TrimSuffix(a, "/")
		a = strings.TrimSuffix(a, "/services/oauth2/token")
		switch a {
		case "https://login.salesforce.com", "https://test.salesforce.com", base:
			return true
		}
		if u, err := url.Parse(a); err == nil && u.Host != "" && strings.HasSuffix(u.Host, ".salesforce.com") {
			return true
		}
	}
	return false
}

// SetJWTCertificate configures the certificate (PEM) of the connected app,
// against which jwt-bearer assertions are verified.
func (o *Org) SetJWTCertificate(pemCert []byte) error {
	block, _ := pem.Decode(pemCert)
	if block == nil {
		return errors.New("set jwt certificate: no PEM block")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return fmt.Errorf("set jwt certificate: %w", err)
	}
	o.mu.Lock()
	o.meta.JWTCert = string(pemCert)
	m := o.meta
	o.mu.Unlock()
	return o.saveMetaNow(m)
}

// oauthRevoke serves /services/oauth2/revoke: the token (access or
// refresh) stops working. Revoking the org's standing refresh token is
// not possible here; it is part of the org's identity.
func (o *Org) oauthRevoke(c *call) {
	if err := c.r.ParseForm(); err != nil {
		c.fail(oauthError("invalid_request", "invalid request body"))
		return
	}
	tok := c.r.Form.Get("token")
	if tok == "" {
		c.fail(oauthError("unsupported_token_type", "this token type is not supported"))
		return
	}
	if err := o.revokeToken(c.r.Context(), tok); err != nil {
		c.fail(err)
		return
	}
	c.w.WriteHeader(http.StatusOK)
}

// oauthUserinfo serves the OpenID Connect userinfo endpoint.
func (o *Org) oauthUserinfo(c *call) {
	user, ok := "", false
	if tok := sessionToken(c.r); tok != "" {
		user, ok = o.checkSession(c.r.Context(), tok)
	}
	if !ok {
		c.w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		c.fam = familyREST
		c.fail(errSession)
		return
	}
	m := o.metaCopy()
	urls := o.identityURLs(c)
	body := jsonw.Object{}.
		Add("sub", c.base+"/id/"+m.OrgID+"/"+user).
		Add("user_id", user).
		Add("organization_id", m.OrgID).
		Add("preferred_username", m.Username).
		Add("nickname", "admin").
		Add("name", adminFullName).
		Add("email", m.Username).
		Add("email_verified", true).
		Add("given_name", adminFirstName).
		Add("family_name", adminLastName).
		Add("zoneinfo", "America/Los_Angeles").
		Add("profile", c.base+"/"+user).
		Add("address", jsonw.Object{}).
		Add("urls", urls).
		Add("active", true).
		Add("user_type", "STANDARD").
		Add("language", "en_US").
		Add("locale", "en_US").
		Add("utcOffset", -28800000).
		Add("updated_at", jsonTime(time.Unix(0, 0)))
	c.rest(http.StatusOK, body)
}

// identity serves the identity URL /id/{orgId}/{userId} (shape of the
// recorded 2016 answer).
func (o *Org) identity(c *call) {
	user, ok := "", false
	if tok := sessionToken(c.r); tok != "" {
		user, ok = o.checkSession(c.r.Context(), tok)
	}
	if !ok {
		c.fail(errSession)
		return
	}
	m := o.metaCopy()
	if !strings.EqualFold(c.segs[1], m.OrgID) && c.segs[1] != m.OrgID[:15] || !strings.EqualFold(c.segs[2], user) && c.segs[2] != user[:15] {
		c.fail(errNotFound)
		return
	}
	body := jsonw.Object{}.
		Add("id", c.base+"/id/"+m.OrgID+"/"+user).
		Add("asserted_user", true).
		Add("user_id", user).
		Add("organization_id", m.OrgID).
		Add("username", m.Username).
		Add("nick_name", "admin").
		Add("display_name", adminFullName).
		Add("email", m.Username).
		Add("email_verified", true).
		Add("first_name", adminFirstName).
		Add("last_name", adminLastName).
		Add("timezone", "America/Los_Angeles").
		Add("photos", jsonw.Object{}.Add("picture", c.base+"/profilephoto/005/F").Add("thumbnail", c.base+"/profilephoto/005/T")).
		Add("addr_street", nil).Add("addr_city", nil).Add("addr_state", nil).Add("addr_country", "US").Add("addr_zip", nil).
		Add("mobile_phone", nil).Add("mobile_phone_verified", false).
		Add("status", jsonw.Object{}.Add("created_date", nil).Add("body", nil)).
		Add("urls", o.identityURLs(c)).
		Add("active", true).
		Add("user_type", "STANDARD").
		Add("language", "en_US").
		Add("locale", "en_US").
		Add("utcOffset", -28800000).
		Add("last_modified_date", jsonTime(time.Unix(0, 0)))
	c.rest(http.StatusOK, body)
}

func (o *Org) identityURLs(c *call) jsonw.Object {
	org15 := o.ID()[:15]
	b := c.base
	return jsonw.Object{}.
		Add("enterprise", b+"/services/Soap/c/{version}/"+org15).
		Add("metadata", b+"/services/Soap/m/{version}/"+org15).
		Add("partner", b+"/services/Soap/u/{version}/"+org15).
		Add("rest", b+"/services/data/v{version}/").
		Add("sobjects", b+"/services/data/v{version}/sobjects/").
		Add("search", b+"/services/data/v{version}/search/").
		Add("query", b+"/services/data/v{version}/query/").
		Add("recent", b+"/services/data/v{version}/recent/").
		Add("profile", b+"/"+o.adminID())
}

// The admin user's name.
const (
	adminFirstName = "Local"
	adminLastName  = "Admin"
	adminFullName  = adminFirstName + " " + adminLastName
)
