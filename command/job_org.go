package command

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sfsync/sfsync/hcl"
)

// configOrg reads the org block of the working directory's configuration,
// when there is one, with its secrets resolved (from the environment
// variable or file the block names). No configuration, or one without an
// org block, gives empty options.
func configOrg(env *Env) (orgOptions, error) {
	matches, _ := filepath.Glob(filepath.Join(env.Dir, "*"+hcl.FileSuffix))
	if len(matches) == 0 {
		return orgOptions{}, nil
	}
	cfg, diags := hcl.Load(env.Dir, hcl.LoadOptions{Getenv: env.Getenv, SkipCSVRows: true})
	if cfg == nil || cfg.Org == nil {
		if diags.HasErrors() {
			// The org block may be what is broken: say so, briefly.
			for _, d := range diags {
				if d.Subject != nil && strings.Contains(d.Summary, "org") {
					return orgOptions{}, fmt.Errorf("%s: %s: %s", d.Subject, d.Summary, d.Detail)
				}
			}
		}
		return orgOptions{}, nil
	}
	return orgFromBlock(cfg.Dir, cfg.Org, env.Getenv)
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
