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
// -a NAME`). It runs `sf org display --json` for the instance URL and
// `sf org auth show-access-token --json` for the token (newer CLIs redact
// the token in `org display`; older ones have no show-access-token). Both
// refresh the token first, so logging in again means running them again.
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
	if tok, err := a.run(ctx, "org", "auth", "show-access-token"); err == nil && tok.Result.AccessToken != "" {
		token = tok.Result.AccessToken
	}
	if token == "" || strings.HasPrefix(token, "[REDACTED]") {
		return nil, fmt.Errorf("%s: the CLI gave no access token (update it: newer CLIs have 'sf org auth show-access-token')", a)
	}
	if disp.Result.InstanceURL == "" {
		return nil, fmt.Errorf("%s: the CLI gave no instance URL", a)
	}
	org, _, _ := strings.Cut(token, "!")
	if disp.Result.ID != "" {
		org = disp.Result.ID
	}
	return &Session{AccessToken: token, InstanceURL: disp.Result.InstanceURL, OrgID: org, IssuedAt: time.Now()}, nil
}
