package bulk_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/bulk/fakeorg"
)

// No password, security token, access token, refresh token, client secret
// or private key may appear in an error, a log line or a printed value.
func TestSecretsNeverLeak(t *testing.T) {
	org := fakeorg.New(t)
	key := writeKey(t)
	dead := "http://127.0.0.1:1" // nothing listens: transport errors
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	token := org.Token()
	secrets := []string{fakeorg.Password, fakeorg.SecurityToken, fakeorg.ClientSecret, fakeorg.RefreshToken, token, "wrong-password-xyz", "WRONGTOKEN99"}

	auths := []bulk.Authenticator{
		soap(org),
		bulk.SOAPLogin{LoginURL: org.URL(), Username: fakeorg.Username, Password: "wrong-password-xyz", SecurityToken: "WRONGTOKEN99"},
		bulk.SOAPLogin{LoginURL: dead, Username: fakeorg.Username, Password: fakeorg.Password, SecurityToken: fakeorg.SecurityToken},
		bulk.PasswordFlow{LoginURL: org.URL(), ClientID: fakeorg.ClientID, ClientSecret: fakeorg.ClientSecret, Username: fakeorg.Username, Password: fakeorg.Password, SecurityToken: fakeorg.SecurityToken},
		bulk.PasswordFlow{LoginURL: org.URL(), ClientID: fakeorg.ClientID, ClientSecret: fakeorg.ClientSecret, Username: fakeorg.Username, Password: "wrong-password-xyz"},
		bulk.PasswordFlow{LoginURL: dead, ClientID: fakeorg.ClientID, ClientSecret: fakeorg.ClientSecret, Username: fakeorg.Username, Password: fakeorg.Password},
		&bulk.RefreshTokenFlow{LoginURL: org.URL(), ClientID: fakeorg.ClientID, ClientSecret: fakeorg.ClientSecret, RefreshToken: fakeorg.RefreshToken},
		&bulk.RefreshTokenFlow{LoginURL: dead, ClientID: fakeorg.ClientID, RefreshToken: fakeorg.RefreshToken},
		bulk.ClientCredentials{LoginURL: org.URL(), ClientID: fakeorg.ClientID, ClientSecret: fakeorg.ClientSecret},
		bulk.ClientCredentials{LoginURL: dead, ClientID: fakeorg.ClientID, ClientSecret: fakeorg.ClientSecret},
		bulk.JWTBearer{LoginURL: org.URL(), ClientID: fakeorg.ClientID, Username: fakeorg.Username, KeyFile: key},
		bulk.JWTBearer{LoginURL: org.URL(), ClientID: "wrong", Username: fakeorg.Username, KeyFile: key},
		bulk.AccessToken{InstanceURL: org.URL(), Token: token},
		bulk.AccessToken{InstanceURL: dead, Token: token},
	}
	var out strings.Builder
	for _, a := range auths {
		fmt.Fprintf(&out, "%v %+v %#v %s\n", a, a, a, a)
		logger.Info("auth", "auth", a)
		r, p := fast()
		c, err := bulk.New(context.Background(), bulk.Config{Auth: a, APIVersion: "60.0", Logger: logger, Retry: r, Poll: p})
		if err != nil {
			fmt.Fprintf(&out, "%v %+v\n", err, err)
			continue
		}
		s := c.Session()
		fmt.Fprintf(&out, "%v %+v %#v\n", s, s, s)
		logger.Info("session", "session", s)
		// Errors after login: an expired session with a non-renewable token,
		// and a Bulk 1.0 error body.
		org.ExpireSessions()
		if _, err := c.Limits(context.Background()); err != nil {
			fmt.Fprintf(&out, "%v\n", err)
		}
		if _, err := c.OpenJob1(context.Background(), "750000000000000AAA"); err != nil {
			fmt.Fprintf(&out, "%v\n", err)
		}
	}
	all := out.String() + logs.String()
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("secret %q leaked:\n%s", s, all)
		}
	}
	if strings.Contains(all, "PRIVATE KEY") {
		t.Error("private key leaked")
	}
	// The output is not empty: the checks above looked at something.
	if !strings.Contains(all, "INVALID_LOGIN") || !strings.Contains(all, "invalid_grant") || !strings.Contains(logs.String(), "salesforce call") {
		t.Errorf("expected errors and call logs missing:\n%s", all)
	}
}
