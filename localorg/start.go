package localorg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// ConnectionFile is the name of the file, inside the org directory, where
// the process holding the org says how to reach it.
const ConnectionFile = "connection.json"

// Connection is how a client reaches a running org: what connection.json
// holds (mode 0600: it carries secrets).
type Connection struct {
	InstanceURL   string `json:"instance_url"`
	LoginURL      string `json:"login_url"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	SecurityToken string `json:"security_token"`
	AccessToken   string `json:"access_token"`
	RefreshToken  string `json:"refresh_token"`
	OrgID         string `json:"org_id"`
	UserID        string `json:"user_id"`
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret"`
	// AdminSecret authorises the /__localorg/ admin API (header
	// X-Localorg-Secret).
	AdminSecret string `json:"admin_secret"`
	APIVersion  string `json:"api_version"`
	PID         int    `json:"pid"`
}

// StartOptions tune Start.
type StartOptions struct {
	Options
	// Addr is the address to listen on; default "127.0.0.1:0" (a free
	// loopback port).
	Addr string
	// AllowRemote permits an Addr that is not a loopback address.
	AllowRemote bool
	// Exclusive makes Start fail with ErrLocked instead of joining the
	// live process that holds the directory.
	Exclusive bool
	// JoinTimeout bounds the wait for a live holder's connection.json
	// (default 10s).
	JoinTimeout time.Duration
	// OnLinger, when set, is called once if Close has to wait for joined
	// processes to finish (see Instance.Close).
	OnLinger func()
	// Wrap, when set, wraps the org's HTTP handler, for example to watch
	// the requests a test's client sends (localorgtest does).
	Wrap func(http.Handler) http.Handler
}

// Instance is an org reached through Start: either run by this process
// (Org is set) or held by another live process (Org is nil, Joined true).
type Instance struct {
	Dir    string
	Conn   Connection
	Org    *Org
	Joined bool

	mu    sync.Mutex
	srv   *http.Server
	done  chan error
	close sync.Once

	// linger is Start's context: Close waits for joined processes until it
	// is done. onLinger is StartOptions.OnLinger.
	linger   context.Context
	onLinger func()
	// leave releases a joined Instance's hold on the org's clients file.
	leave func()
}

// Start opens the org in dir for a client. If another live process holds
// dir, Start connects through its connection.json; otherwise it runs the
// org in this process, serves it on a loopback port and writes
// connection.json. Close the Instance when done.
func Start(ctx context.Context, dir string, opts StartOptions) (*Instance, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if err := checkAddr(opts.Addr, opts.AllowRemote); err != nil {
		return nil, err
	}
	timeout := opts.JoinTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	deadline := time.Now().Add(timeout)
	for {
		org, err := Open(dir, opts.Options)
		if err == nil {
			inst, err := serve(ctx, org, opts.Addr, opts.Wrap)
			if err != nil {
				org.Close()
				return nil, err
			}
			inst.linger, inst.onLinger = ctx, opts.OnLinger
			return inst, nil
		}
		if !errors.Is(err, ErrLocked) || opts.Exclusive {
			return nil, err
		}
		// Another process holds the org: join it, or, if it is closing,
		// take the org over once it is gone.
		inst, err := join(ctx, dir)
		if inst != nil || err != nil && ctx.Err() != nil {
			return inst, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("org %s is held by process %d but cannot be reached: %w", dir, lockHolder(dir), err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// checkAddr refuses a non-loopback listen address unless allowed.
func checkAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if allowRemote || host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q is not a loopback address; the local org has well-known credentials, so serving beyond this machine needs -allow-remote", addr)
	}
	return nil
}

func serve(ctx context.Context, org *Org, addr string, wrap func(http.Handler) http.Handler) (*Instance, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	base := "http://" + net.JoinHostPort(host, port)
	inst := &Instance{Dir: org.Dir(), Org: org, done: make(chan error, 1)}
	h := org.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	inst.srv = &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	go func() {
		err := inst.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		inst.done <- err
	}()
	if err := inst.refreshConnection(ctx, base); err != nil {
		inst.srv.Close()
		return nil, err
	}
	org.onReset = func(ctx context.Context) error { return inst.refreshConnection(ctx, base) }
	return inst, nil
}

// refreshConnection issues a session and (re)writes connection.json.
func (i *Instance) refreshConnection(ctx context.Context, base string) error {
	org := i.Org
	tok, _, err := org.newSession(ctx, org.adminID())
	if err != nil {
		return fmt.Errorf("issue session: %w", err)
	}
	m := org.metaCopy()
	conn := Connection{
		InstanceURL:   base,
		LoginURL:      base,
		Username:      m.Username,
		Password:      m.Password,
		SecurityToken: m.SecurityToken,
		AccessToken:   tok,
		RefreshToken:  m.RefreshToken,
		OrgID:         m.OrgID,
		UserID:        m.AdminUserID,
		ClientID:      m.ClientID,
		ClientSecret:  m.ClientSecret,
		AdminSecret:   m.AdminSecret,
		APIVersion:    strconv.Itoa(org.opts.MaxAPIVersion) + ".0",
		PID:           os.Getpid(),
	}
	if err := writeConnection(i.Dir, conn); err != nil {
		return err
	}
	i.mu.Lock()
	i.Conn = conn
	i.mu.Unlock()
	return nil
}

// Connection returns the current connection details (they change when
// the org is reset).
func (i *Instance) Connection() Connection {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.Conn
}

func writeConnection(dir string, conn Connection) error {
	b, err := json.MarshalIndent(conn, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, ConnectionFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadConnection reads the connection.json of an org directory.
func ReadConnection(dir string) (Connection, error) {
	var conn Connection
	b, err := os.ReadFile(filepath.Join(dir, ConnectionFile))
	if err != nil {
		return conn, err
	}
	if err := json.Unmarshal(b, &conn); err != nil {
		return conn, fmt.Errorf("read %s: %w", filepath.Join(dir, ConnectionFile), err)
	}
	return conn, nil
}

// join connects to the live process holding dir through its
// connection.json. It returns a nil Instance, with the reason, when the
// holder cannot be joined now: still starting (no connection.json yet),
// closing, or gone. The joined process holds the org's clients file shared
// until it closes, so that the holder serves it until then.
func join(ctx context.Context, dir string) (*Instance, error) {
	leave, ok, err := joinClients(dir)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("the process holding it is closing")
	}
	pid := lockHolder(dir)
	conn, err := ReadConnection(dir)
	if err == nil && (pid == 0 || conn.PID == pid) && reachable(ctx, conn.InstanceURL) {
		return &Instance{Dir: dir, Conn: conn, Joined: true, leave: leave}, nil
	}
	leave()
	if err == nil {
		err = fmt.Errorf("connection.json names process %d at %s, which does not answer", conn.PID, conn.InstanceURL)
	}
	return nil, err
}

// lockHolder returns the pid written in dir's lock file (0 if unknown).
func lockHolder(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "lock"))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(string(trimSpace(b)))
	return n
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// reachable checks that a server answers at base.
func reachable(ctx context.Context, base string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/services/data", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Close stops serving (in-flight requests finish), stops job processing,
// removes connection.json and releases the directory. Processes that
// joined the org and still use it are served first: Close waits until they
// have closed (or died), or until the context given to Start is done. For
// a joined Instance, Close only lets the holder know it is done.
func (i *Instance) Close() error {
	if i.Joined {
		i.close.Do(func() {
			if i.leave != nil {
				i.leave()
			}
		})
		return nil
	}
	var err error
	i.close.Do(func() {
		release := i.awaitJoined()
		defer release()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		i.srv.Shutdown(ctx)
		<-i.done
		if conn, rerr := ReadConnection(i.Dir); rerr == nil && conn.PID == os.Getpid() {
			os.Remove(filepath.Join(i.Dir, ConnectionFile))
		}
		err = i.Org.Close()
	})
	return err
}

// awaitJoined waits until no joined process uses the org and keeps newcomers
// out until release: they take the org over once this process is gone.
func (i *Instance) awaitJoined() (release func()) {
	told := false
	for {
		release, ok, err := claimClients(i.Dir)
		if err != nil {
			i.Org.log.Warn("local org: cannot tell whether other processes use it", "err", err)
			return func() {}
		}
		if ok {
			return release
		}
		if !told && i.onLinger != nil {
			i.onLinger()
		}
		told = true
		linger := i.linger
		if linger == nil {
			linger = context.Background()
		}
		select {
		case <-linger.Done():
			return func() {}
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Wait blocks until the server stops (Close, or a listener failure).
func (i *Instance) Wait() error {
	if i.Joined {
		return nil
	}
	err := <-i.done
	i.done <- err
	return err
}
