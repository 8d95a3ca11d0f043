package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os/exec"
	"strings"
	"time"
)

// SFCLI borrows a login of the Salesforce CLI (made with `sf org login web
// -a NAME`). The token comes from `sf org auth show-access-token --json`;
// CLIs older than that command have none, and give it in `sf org display
// --json` instead (newer ones redact it there: a token that starts with
// "[REDACTED]" counts as missing). The instance URL and the org's API
// version come from `sf org display --json`, which never redacts them.
// Both commands refresh the token first, so logging in again means running
// them again.
type SFCLI struct {
	TargetOrg string // alias or username; "" for the CLI's default org
	Command   string // the CLI executable (default "sf")
}

func (a SFCLI) CanRefresh() bool { return true }
func (a SFCLI) String() string {
	if a.TargetOrg == "" {
		return "sf CLI default org"
	}
	return "sf CLI org " + a.TargetOrg
}
func (a SFCLI) GoString() string     { return a.String() }
func (a SFCLI) LogValue() slog.Value { return slog.StringValue(a.String()) }
func (a SFCLI) secrets() []string    { return nil }

type sfResult struct {
	Status  int    `json:"status"`
	Name    string `json:"name"`
	Message string `json:"message"`
	Result  struct {
		ID          string `json:"id"`
		AccessToken string `json:"accessToken"`
		InstanceURL string `json:"instanceUrl"`
		APIVersion  string `json:"apiVersion"`
		Username    string `json:"username"`
	} `json:"result"`
}

func (a SFCLI) run(ctx context.Context, args ...string) (sfResult, error) {
	cmd := a.Command
	if cmd == "" {
		cmd = "sf"
	}
	if a.TargetOrg != "" {
		args = append(args, "--target-org", a.TargetOrg)
	}
	args = append(args, "--json")
	var stdout, stderr bytes.Buffer
	c := exec.CommandContext(ctx, cmd, args...)
	c.Stdout, c.Stderr = &stdout, &stderr
	runErr := c.Run()
	var r sfResult
	// The CLI answers JSON on stdout even when it fails; never quote stdout
	// in an error, since it may hold a token.
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		if runErr != nil {
			var ee *exec.Error
			if errors.As(runErr, &ee) || errors.Is(runErr, fs.ErrNotExist) {
				return r, fmt.Errorf("run %s: %w (is the Salesforce CLI installed?)", cmd, runErr)
			}
			return r, fmt.Errorf("%s %s: %v", cmd, strings.Join(args[:2], " "), runErr)
		}
		return r, fmt.Errorf("%s %s: unreadable JSON output", cmd, strings.Join(args[:2], " "))
	}
	if r.Status != 0 {
		return r, &APIError{Code: r.Name, Message: r.Message}
	}
	return r, nil
}

func (a SFCLI) Authenticate(ctx context.Context, ac AuthContext) (*Session, error) {
	disp, err := a.run(ctx, "org", "display")
	if err != nil {
		return nil, err
	}
	token := disp.Result.AccessToken
	if redacted(token) {
		token = ""
	}
	tok, showErr := a.run(ctx, "org", "auth", "show-access-token")
	switch {
	case showErr == nil && !redacted(tok.Result.AccessToken):
		token = tok.Result.AccessToken
	case showErr != nil && token == "" && !unknownCommand(showErr):
		// The CLI has the command but could not answer: say why.
		return nil, showErr
	}
	if token == "" {
		return nil, fmt.Errorf("%s: the CLI gave no access token: 'sf org display' redacts it and 'sf org auth show-access-token' is missing (update the Salesforce CLI: npm install -g @salesforce/cli)", a)
	}
	if disp.Result.InstanceURL == "" {
		return nil, fmt.Errorf("%s: the CLI gave no instance URL", a)
	}
	org, _, _ := strings.Cut(token, "!")
	if disp.Result.ID != "" {
		org = disp.Result.ID
	}
	return &Session{AccessToken: token, InstanceURL: disp.Result.InstanceURL, OrgID: org, IssuedAt: time.Now(), APIVersion: disp.Result.APIVersion}, nil
}

// redacted reports whether the CLI withheld a token: empty, or the
// "[REDACTED] Use 'sf org auth show-access-token' to view" that newer CLIs
// print in place of it.
func redacted(token string) bool {
	return token == "" || strings.HasPrefix(token, "[REDACTED]")
}

// unknownCommand reports whether the CLI failed because it does not know
// the command (an older CLI asked for show-access-token).
func unknownCommand(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return strings.Contains(ae.Code, "CommandNotFound") || strings.Contains(ae.Message, "is not a sf command") || strings.Contains(ae.Message, "not found")
	}
	// An older CLI may fail without JSON at all.
	return true
}
