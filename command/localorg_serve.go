package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sfsync/sfsync/localorg"
)

// serveOptions are the arguments of `localorg serve`.
type serveOptions struct {
	dir         string
	dirGiven    bool // -dir given: else the configuration's local org
	addr        string
	allowRemote bool
	chunkDelay  time.Duration
	jobDelay    time.Duration
	sessionTTL  time.Duration
	jwtCert     string
}

func parseServe(args []string) (serveOptions, error) {
	o := serveOptions{dir: defaultLocalorgDir, addr: "127.0.0.1:8765"}
	fs := flag.NewFlagSet("localorg serve", flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", o.dir, "")
	fs.StringVar(&o.addr, "addr", o.addr, "")
	fs.BoolVar(&o.allowRemote, "allow-remote", false, "")
	fs.DurationVar(&o.chunkDelay, "chunk-delay", 0, "")
	fs.DurationVar(&o.jobDelay, "job-delay", 0, "")
	fs.DurationVar(&o.sessionTTL, "session-ttl", 0, "")
	fs.StringVar(&o.jwtCert, "jwt-cert", "", "")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return o, err
	}
	o.dirGiven = flagGiven(fs, "dir")
	if len(pos) > 0 {
		return o, usagef("serve takes no arguments, got %q", pos[0])
	}
	if o.dir == "" {
		return o, usagef("-dir must not be empty")
	}
	if o.chunkDelay < 0 || o.jobDelay < 0 || o.sessionTTL < 0 {
		return o, usagef("delays and -session-ttl must not be negative")
	}
	return o, nil
}

func init() {
	register(&Command{
		Name:     "localorg serve",
		Synopsis: "Serve the local org on a loopback port",
		Usage: `Usage: sfsync localorg serve [-dir DIR] [-addr 127.0.0.1:8765] [-allow-remote]
                              [-chunk-delay D] [-job-delay D] [-session-ttl D] [-jwt-cert FILE]

Serves the org stored in DIR until Ctrl-C. Once
listening it writes DIR/connection.json (mode 0600) with the instance URL,
login URL, username, password, security token, access and refresh tokens,
org Id, client id and secret and the admin secret, and prints the instance
URL, username and that file's path; secrets are never printed.

Options:
  -dir DIR          the org's directory
  -addr HOST:PORT   where to listen (port 0 picks a free one)
  -allow-remote     allow an -addr that is not a loopback address
  -chunk-delay D    pause after each chunk of 200 records (e.g. 200ms)
  -job-delay D      pause before each job starts
  -session-ttl D    idle time after which sessions expire (default 2h)
  -jwt-cert FILE    PEM certificate that verifies jwt-bearer assertions

One process holds a directory at a time; serving a directory that a live
process holds is an error.

` + localorgDirHelp,
		Run: runServe,
	})
}

func runServe(ctx context.Context, env *Env, args []string) int {
	o, err := parseServe(args)
	if err != nil {
		return usageError(env, "localorg serve", err)
	}
	if o.dir, err = localorgDir(env, o.dir, o.dirGiven); err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	dir := env.Path(o.dir)
	inst, err := localorg.Start(ctx, dir, localorg.StartOptions{
		Options:     localorg.Options{ChunkDelay: o.chunkDelay, JobDelay: o.jobDelay, SessionTTL: o.sessionTTL, Logger: env.Log},
		Addr:        o.addr,
		AllowRemote: o.allowRemote,
		Exclusive:   true,
	})
	if errors.Is(err, localorg.ErrLocked) {
		if conn, cerr := localorg.ReadConnection(dir); cerr == nil {
			env.Errorf("%s is already served at %s by process %d", o.dir, conn.InstanceURL, conn.PID)
		} else {
			env.Errorf("%v", err)
		}
		return ExitError
	}
	if err != nil {
		env.Errorf("%v", err)
		return ExitError
	}
	if o.jwtCert != "" {
		pem, err := os.ReadFile(env.Path(o.jwtCert))
		if err == nil {
			err = inst.Org.SetJWTCertificate(pem)
		}
		if err != nil {
			inst.Close()
			env.Errorf("-jwt-cert: %v", err)
			return ExitError
		}
	}
	conn := inst.Connection()
	fmt.Fprintf(env.Stdout, "Local org serving at %s\n", conn.InstanceURL)
	fmt.Fprintf(env.Stdout, "Username:    %s\n", conn.Username)
	fmt.Fprintf(env.Stdout, "Org Id:      %s\n", conn.OrgID)
	fmt.Fprintf(env.Stdout, "Credentials: %s\n", filepath.Join(o.dir, localorg.ConnectionFile))
	fmt.Fprintln(env.Stderr, "Press Ctrl-C to stop.")
	done := make(chan error, 1)
	go func() { done <- inst.Wait() }()
	select {
	case <-env.Submit.Done():
		fmt.Fprintln(env.Stderr, "Stopping the local org.")
	case err := <-done:
		if err != nil {
			env.Errorf("serving: %v", err)
			inst.Close()
			return ExitError
		}
	}
	if err := inst.Close(); err != nil {
		env.Errorf("closing the local org: %v", err)
		return ExitError
	}
	return ExitOK
}
