package command

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/state"
	"github.com/sfsync/sfsync/state/postgres"
)

// dsnEnv names the environment variable with the PostgreSQL connection
// string of a backend "postgres" block that sets neither conn_str nor
// conn_str_env.
const dsnEnv = "SFSYNC_PG_DSN"

// workspaceEnv names the environment variable that chooses the workspace
// of a backend "postgres" block, over its workspace setting: one
// configuration, one state per org it is applied to.
const workspaceEnv = "SFSYNC_WORKSPACE"

// stateBackend returns where this run's state lives: the file -state
// names; otherwise what the configuration's backend block says; otherwise
// sfsync.state.json beside the configuration. It connects to nothing.
func stateBackend(env *Env, f stateFlags) (state.Backend, error) {
	if f.path != "" {
		return state.NewLocalBackend(env.Path(f.path)).Named(f.path), nil
	}
	be, err := configuredBackend(env)
	if err != nil {
		return nil, err
	}
	if be == nil || be.Type == hcl.BackendLocal {
		p := state.DefaultPath
		if be != nil && be.Path != "" {
			p = be.Path
		}
		return state.NewLocalBackend(env.Path(p)).Named(p), nil
	}
	return postgresBackend(env, be)
}

// postgresBackend builds the PostgreSQL backend of a backend block. The
// connection string comes from the variable conn_str_env names, else from
// conn_str, else from SFSYNC_PG_DSN; the PG* variables and the password
// file fill in what it leaves out (the password, typically).
func postgresBackend(env *Env, be *hcl.Backend) (state.Backend, error) {
	cfg := postgres.Config{Schema: be.Schema, Workspace: be.Workspace}
	if ws := env.Getenv(workspaceEnv); ws != "" {
		cfg.Workspace = ws
	}
	switch {
	case be.ConnStrEnv != "":
		cfg.ConnString, cfg.Source = env.Getenv(be.ConnStrEnv), be.ConnStrEnv
		if cfg.ConnString == "" {
			return nil, fmt.Errorf("the backend block (%s) takes its connection string from %s (conn_str_env), which is not set", be.DeclRange, be.ConnStrEnv)
		}
	case be.ConnStr != "":
		cfg.ConnString, cfg.Source = be.ConnStr, fmt.Sprintf("conn_str (%s)", be.DeclRange)
	default:
		cfg.ConnString, cfg.Source = env.Getenv(dsnEnv), dsnEnv
	}
	return postgres.New(cfg)
}

// configuredBackend returns the configuration's backend block, or nil when
// there is none (or no configuration). Only as much of the configuration
// is loaded as the backend needs: the files are parsed, and if one has a
// backend block, the loader decodes the backend blocks alone, so that
// variables without values or unreadable CSV files do not keep the state
// commands from finding the state.
func configuredBackend(env *Env) (*hcl.Backend, error) {
	ents, err := os.ReadDir(env.Dir)
	if err != nil {
		return nil, fmt.Errorf("read the configuration directory: %w", err)
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), hcl.FileSuffix) && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	files := map[string]*hclv2.File{}
	srcs := map[string][]byte{}
	var diags hclv2.Diagnostics
	found := false
	for _, name := range names {
		src, err := os.ReadFile(filepath.Join(env.Dir, name))
		if err != nil {
			return nil, fmt.Errorf("read the configuration: %w", err)
		}
		f, d := hclsyntax.ParseConfig(src, name, hclv2.InitialPos)
		diags = append(diags, d...)
		files[name] = f
		if d.HasErrors() {
			continue
		}
		// Keep the backend blocks where they are, so that diagnostics
		// point at the right lines, and blank everything else.
		only := blank(src)
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			if b.Type == "backend" {
				r := b.Range()
				copy(only[r.Start.Byte:r.End.Byte], src[r.Start.Byte:r.End.Byte])
				found = true
			}
		}
		srcs[name] = only
	}
	if diags.HasErrors() {
		// A file that does not parse may hold the backend block: using
		// the default state instead could fork the team's state.
		return nil, &configError{files: files, diags: diags}
	}
	if !found {
		return nil, nil
	}
	cfg, diags := hcl.LoadSources(env.Dir, srcs, hcl.LoadOptions{Getenv: env.Getenv, SkipCSVRows: true})
	if diags.HasErrors() {
		return nil, &configError{files: cfg.Sources(diags), diags: diags}
	}
	return cfg.Backend, nil
}

// blank returns a copy of src with every character but line breaks
// replaced by spaces.
func blank(src []byte) []byte {
	out := make([]byte, len(src))
	for i, c := range src {
		if c == '\n' || c == '\r' {
			out[i] = c
		} else {
			out[i] = ' '
		}
	}
	return out
}

// configError is a configuration that cannot be used, with diagnostics
// to render with their source snippets.
type configError struct {
	files map[string]*hclv2.File
	diags hclv2.Diagnostics
}

func (e *configError) Error() string { return e.diags.Error() }

// reportError prints err — diagnostics with their snippets, anything else
// as an error line — and returns ExitError.
func reportError(env *Env, err error) int {
	var ce *configError
	if errors.As(err, &ce) {
		hcl.WriteDiagnostics(env.Stderr, ce.files, ce.diags, 78, env.Color)
		return ExitError
	}
	env.Errorf("%v", err)
	return ExitError
}
