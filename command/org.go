package command

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/localorg"
)

// This file is how every command that talks to an org finds it: flags
// first, then the configuration's org block (its secrets read from the
// variable or file it names), then the SFSYNC_* environment; an org block's
// local org (org { local = DIR }, relative to the configuration directory)
// is run in this process, or joined when another process holds it.

// orgConn is a connected org: the client, and the embedded local org when
// this process runs (or joined) it.
type orgConn struct {
	Client *bulk.Client
	local  *localorg.Instance
}

// Close stops the embedded local org this process runs.
func (c *orgConn) Close() error {
	if c == nil || c.local == nil {
		return nil
	}
	return c.local.Close()
}

// connectOrg logs in to the org that flags, the configuration's org block
// (block; nil when there is none) and the environment name, in that order.
// dir is the configuration directory, which a block's relative paths are
// relative to.
func connectOrg(ctx context.Context, env *Env, flags orgOptions, dir string, block *hcl.Org) (*orgConn, error) {
	return connectOrgWith(ctx, env, flags, dir, block, nil)
}

// connectOrgWith is connectOrg with tune, when set, adjusting the client's
// configuration (polling, say) before it logs in.
func connectOrgWith(ctx context.Context, env *Env, flags orgOptions, dir string, block *hcl.Org, tune func(*bulk.Config)) (*orgConn, error) {
	var fromBlock orgOptions
	if block != nil {
		var err error
		if fromBlock, err = orgFromBlock(dir, block, env.Getenv); err != nil {
			return nil, err
		}
	}
	org := mergeOrg(flags, fromBlock, orgFromEnv(env.Getenv))
	if flags.instanceURL != "" || flags.sfOrg != "" {
		// A flag naming an org wins over the block's local org.
		org.local = ""
	}
	method, err := org.chooseMethod()
	if err != nil {
		return nil, err
	}
	conn := &orgConn{}
	var auth bulk.Authenticator
	if method == "local" {
		if org.local == "" {
			return nil, errors.New("auth \"local\" (or SFSYNC_AUTH=local) needs an org block with local = DIR")
		}
		// The embedded local org: run it here (or join the process that
		// holds it) and log in with its connection.
		inst, err := openLocalorg(ctx, env, org.local)
		if err != nil {
			return nil, err
		}
		conn.local = inst
		c := inst.Connection()
		auth = &bulk.RefreshTokenFlow{LoginURL: c.LoginURL, ClientID: c.ClientID, ClientSecret: c.ClientSecret, RefreshToken: c.RefreshToken}
	} else {
		var err error
		if auth, err = org.authenticator(); err != nil {
			return nil, err
		}
		if _, soap := auth.(bulk.SOAPLogin); soap {
			fmt.Fprintln(env.Stderr, soapDeprecation)
		}
	}
	cfg := bulk.Config{Auth: auth, APIVersion: org.version, Logger: env.Log}
	if tune != nil {
		tune(&cfg)
	}
	c, err := bulk.New(ctx, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	conn.Client = c
	return conn, nil
}

// addOrgFlags registers the flags that name an org (never its secrets).
func addOrgFlags(fs *flag.FlagSet, f *orgOptions) {
	fs.StringVar(&f.instanceURL, "instance-url", "", "")
	fs.StringVar(&f.sfOrg, "sf-org", "", "")
	fs.StringVar(&f.loginURL, "login-url", "", "")
	fs.StringVar(&f.username, "username", "", "")
	fs.StringVar(&f.clientID, "client-id", "", "")
	fs.StringVar(&f.jwtKeyFile, "jwt-key-file", "", "")
	fs.StringVar(&f.version, "api-version", "", "")
}

// orgOptions says how to reach the org. Secrets never come from flags.
type orgOptions struct {
	method                            string // hcl's auth names: sf, password, jwt, client_credentials, access_token, refresh_token; "" = choose
	instanceURL, accessToken          string
	loginURL, username                string
	password, securityToken           string
	clientID, clientSecret            string
	refreshToken, jwtKeyFile, version string
	jwtKey                            string // the JWT key itself, PEM (SFSYNC_JWT_KEY); secret
	sfOrg                             string
	local                             string // the embedded local org's directory (org.local)
}

// orgFromEnv reads the SFSYNC_* variables.
func orgFromEnv(getenv func(string) string) orgOptions {
	return orgOptions{
		method:        getenv("SFSYNC_AUTH"),
		instanceURL:   getenv("SFSYNC_INSTANCE_URL"),
		accessToken:   getenv("SFSYNC_ACCESS_TOKEN"),
		sfOrg:         getenv("SFSYNC_SF_ORG"),
		loginURL:      getenv("SFSYNC_LOGIN_URL"),
		username:      getenv("SFSYNC_USERNAME"),
		password:      getenv("SFSYNC_PASSWORD"),
		securityToken: getenv("SFSYNC_SECURITY_TOKEN"),
		clientID:      getenv("SFSYNC_CLIENT_ID"),
		clientSecret:  getenv("SFSYNC_CLIENT_SECRET"),
		refreshToken:  getenv("SFSYNC_REFRESH_TOKEN"),
		jwtKeyFile:    getenv("SFSYNC_JWT_KEY_FILE"),
		jwtKey:        getenv("SFSYNC_JWT_KEY"),
		version:       getenv("SFSYNC_API_VERSION"),
	}
}

// mergeOrg takes each setting from the first source that has it: flags,
// then the configuration's org block, then the environment.
func mergeOrg(sources ...orgOptions) orgOptions {
	var m orgOptions
	pick := func(dst *string, get func(orgOptions) string) {
		for _, s := range sources {
			if v := get(s); v != "" {
				*dst = v
				return
			}
		}
	}
	pick(&m.method, func(o orgOptions) string { return o.method })
	pick(&m.instanceURL, func(o orgOptions) string { return o.instanceURL })
	pick(&m.accessToken, func(o orgOptions) string { return o.accessToken })
	pick(&m.loginURL, func(o orgOptions) string { return o.loginURL })
	pick(&m.username, func(o orgOptions) string { return o.username })
	pick(&m.password, func(o orgOptions) string { return o.password })
	pick(&m.securityToken, func(o orgOptions) string { return o.securityToken })
	pick(&m.clientID, func(o orgOptions) string { return o.clientID })
	pick(&m.clientSecret, func(o orgOptions) string { return o.clientSecret })
	pick(&m.refreshToken, func(o orgOptions) string { return o.refreshToken })
	pick(&m.jwtKeyFile, func(o orgOptions) string { return o.jwtKeyFile })
	pick(&m.jwtKey, func(o orgOptions) string { return o.jwtKey })
	pick(&m.version, func(o orgOptions) string { return o.version })
	pick(&m.sfOrg, func(o orgOptions) string { return o.sfOrg })
	pick(&m.local, func(o orgOptions) string { return o.local })
	return m
}

// authMethods are the login methods an org block's auth or SFSYNC_AUTH
// may name (hcl's names, plus what the choice below infers).
var authMethods = []string{"access_token", "sf", "jwt", "refresh_token", "client_credentials", "password", "local"}

// chooseMethod returns the login method, as README's "Which method"
// documents: the one the org block's auth (else SFSYNC_AUTH) names, else
// the first whose settings are present, from whichever source — an access
// token, an sf alias, the local org, a JWT key, a refresh token, username
// and password with a client id (OAuth), username and password (SOAP),
// client id and secret. So SFSYNC_AUTH, or an access token in the
// environment, takes a configuration whose block says local = DIR to
// another org, as it takes one whose block names an alias.
func (o orgOptions) chooseMethod() (string, error) {
	switch {
	case o.method != "":
		return o.method, nil
	case o.accessToken != "":
		return "access_token", nil
	case o.sfOrg != "":
		return "sf", nil
	case o.local != "":
		return "local", nil
	case o.jwtKeyFile != "" || o.jwtKey != "":
		return "jwt", nil
	case o.refreshToken != "":
		return "refresh_token", nil
	case o.username != "" && o.password != "" && o.clientID != "":
		return "oauth_password", nil
	case o.username != "" && o.password != "":
		return "password", nil
	case o.clientID != "" && o.clientSecret != "":
		return "client_credentials", nil
	case o.instanceURL != "":
		return "", fmt.Errorf("no access token for %s: set SFSYNC_ACCESS_TOKEN, or the variable or file the org block's access_token_env / access_token_file names", o.instanceURL)
	default:
		return "", errors.New("no org: set SFSYNC_INSTANCE_URL and SFSYNC_ACCESS_TOKEN, a login, or an org block (see 'sfsync job -help')")
	}
}

// authenticator returns the login of the method chooseMethod picks (the
// local org is opened by connectOrg, not through a login).
func (o orgOptions) authenticator() (bulk.Authenticator, error) {
	method, err := o.chooseMethod()
	if err != nil {
		return nil, err
	}
	// Logins go to login_url; without one, to the instance URL when it is
	// known (a My Domain accepts every login), else login.salesforce.com.
	login := cmp.Or(o.loginURL, o.instanceURL)
	switch method {
	case "access_token":
		if o.instanceURL == "" || o.accessToken == "" {
			return nil, errors.New("an access token needs both SFSYNC_ACCESS_TOKEN and -instance-url (or SFSYNC_INSTANCE_URL)")
		}
		return bulk.AccessToken{InstanceURL: o.instanceURL, Token: o.accessToken}, nil
	case "sf":
		return bulk.SFCLI{TargetOrg: o.sfOrg}, nil
	case "local":
		return nil, fmt.Errorf("org.local (%s) is opened by the command itself, not through a login", o.local)
	case "jwt":
		if o.clientID == "" || o.username == "" || (o.jwtKeyFile == "" && o.jwtKey == "") {
			return nil, errors.New("the JWT bearer flow needs a client id, a username and a key (jwt_key_file, -jwt-key-file, SFSYNC_JWT_KEY_FILE or SFSYNC_JWT_KEY)")
		}
		a := bulk.JWTBearer{LoginURL: login, ClientID: o.clientID, Username: o.username, KeyFile: o.jwtKeyFile}
		if o.jwtKey != "" {
			// The parser's errors never quote the key.
			key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(o.jwtKey))
			if err != nil {
				return nil, fmt.Errorf("SFSYNC_JWT_KEY: not an RSA private key in PEM form: %w", err)
			}
			a.Key, a.KeyFile = key, ""
		}
		return a, nil
	case "refresh_token":
		if o.clientID == "" || o.refreshToken == "" {
			return nil, errors.New("the refresh token flow needs a client id (-client-id, SFSYNC_CLIENT_ID or client_id) and a refresh token (SFSYNC_REFRESH_TOKEN or refresh_token_env / refresh_token_file)")
		}
		return &bulk.RefreshTokenFlow{LoginURL: login, ClientID: o.clientID, ClientSecret: o.clientSecret, RefreshToken: o.refreshToken}, nil
	case "oauth_password":
		return bulk.PasswordFlow{LoginURL: login, ClientID: o.clientID, ClientSecret: o.clientSecret, Username: o.username, Password: o.password, SecurityToken: o.securityToken}, nil
	case "password":
		if o.username == "" || o.password == "" {
			return nil, errors.New("the password login needs a username and SFSYNC_PASSWORD")
		}
		return bulk.SOAPLogin{LoginURL: login, Username: o.username, Password: o.password, SecurityToken: o.securityToken}, nil
	case "client_credentials":
		if o.clientID == "" || o.clientSecret == "" {
			return nil, errors.New("the client credentials flow needs a client id and SFSYNC_CLIENT_SECRET")
		}
		if !myDomain(login) {
			return nil, fmt.Errorf("the client credentials flow logs in at the org's My Domain, not %s: set login_url (-login-url, SFSYNC_LOGIN_URL) or instance_url to https://YOUR-DOMAIN.my.salesforce.com", cmp.Or(login, bulk.DefaultLoginURL))
		}
		return bulk.ClientCredentials{LoginURL: login, ClientID: o.clientID, ClientSecret: o.clientSecret}, nil
	}
	return nil, fmt.Errorf("unknown auth method %q: want one of %s", method, strings.Join(authMethods, ", "))
}

// myDomain reports whether a login URL can take a client credentials
// login: anything but Salesforce's shared login servers.
func myDomain(login string) bool {
	u, err := url.Parse(login)
	if login == "" || err != nil || u.Host == "" {
		return false
	}
	switch strings.ToLower(u.Hostname()) {
	case "login.salesforce.com", "test.salesforce.com":
		return false
	}
	return true
}

// soapDeprecation is printed whenever sfsync logs in with SOAP login().
const soapDeprecation = "Warning: logging in with SOAP login() (username, password and security token). Salesforce removed login() from API 65.0 on and retires it in Summer '27, so this login works only up to api_version = \"64.0\". Switch to an OAuth flow: JWT bearer or client credentials for CI, the sf CLI (alias) on a laptop."

// configOrg reads the org block of the working directory's configuration,
// for commands that need nothing else of it (the job commands): the
// configuration directory and the block, nil when there is no
// configuration or it has no org block.
func configOrg(env *Env) (string, *hcl.Org, error) {
	matches, _ := filepath.Glob(filepath.Join(env.Dir, "*"+hcl.FileSuffix))
	if len(matches) == 0 {
		return env.Dir, nil, nil
	}
	cfg, diags := hcl.Load(env.Dir, hcl.LoadOptions{Getenv: env.Getenv, SkipCSVRows: true})
	if cfg == nil || cfg.Org == nil {
		if diags.HasErrors() {
			// The org block may be what is broken: say so, briefly.
			for _, d := range diags {
				if d.Subject != nil && strings.Contains(d.Summary, "org") {
					return env.Dir, nil, fmt.Errorf("%s: %s: %s", d.Subject, d.Summary, d.Detail)
				}
			}
		}
		return env.Dir, nil, nil
	}
	return cfg.Dir, cfg.Org, nil
}

// orgFromBlock turns an org block into options, reading its secrets.
func orgFromBlock(dir string, b *hcl.Org, getenv func(string) string) (orgOptions, error) {
	o := orgOptions{
		instanceURL: b.InstanceURL,
		loginURL:    b.LoginURL,
		username:    b.Username,
		clientID:    b.ClientID,
		version:     b.APIVersion,
		sfOrg:       b.Alias,
	}
	if b.Auth != hcl.AuthUnset {
		o.method = b.Auth.String()
	}
	if b.JWTKeyFile != "" {
		o.jwtKeyFile = abs(dir, b.JWTKeyFile)
	}
	if b.Local != "" {
		o.local = abs(dir, b.Local)
	}
	for _, s := range []struct {
		secret hcl.Secret
		dst    *string
		name   string
	}{
		{b.Password, &o.password, "password"},
		{b.SecurityToken, &o.securityToken, "security_token"},
		{b.ClientSecret, &o.clientSecret, "client_secret"},
		{b.AccessToken, &o.accessToken, "access_token"},
		{b.RefreshToken, &o.refreshToken, "refresh_token"},
	} {
		v, err := readSecret(dir, s.secret, getenv)
		if err != nil {
			return o, fmt.Errorf("org.%s: %w", s.name, err)
		}
		*s.dst = v
	}
	return o, nil
}

func abs(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// readSecret reads a secret from the environment variable or the file the
// configuration names; the value is never part of an error.
func readSecret(dir string, s hcl.Secret, getenv func(string) string) (string, error) {
	switch {
	case s.Env != "":
		return getenv(s.Env), nil
	case s.File != "":
		b, err := os.ReadFile(abs(dir, s.File))
		if err != nil {
			return "", fmt.Errorf("read secret file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return "", nil
}
