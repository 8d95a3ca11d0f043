// Package proctest measures a child process the way sfsync's benchmarks
// report it: wall time, CPU time and the child's own peak resident memory.
// The benchmarks run sfsync (and localorg) as separate processes, so that
// the figures are the command's, not the test binary's.
//
// Peak memory needs care on Linux: a process that Go starts (with vfork and
// exec) inherits the parent's high-water mark in getrusage's figure, so a
// benchmark that seeded a large org or state first would report its own
// memory. Where /proc exists the child's VmHWM is polled while it runs.
package proctest

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Usage is what one finished process used.
type Usage struct {
	Wall time.Duration
	// CPU is user plus system time.
	CPU time.Duration
	// PeakRSS is the peak resident memory in bytes (0 if unknown). For a
	// process that exits before it could be polled (within milliseconds)
	// it is getrusage's figure, which may be the parent's.
	PeakRSS int64
}

// Run starts cmd, waits for it and measures it; err is what cmd.Run would
// return.
func Run(cmd *exec.Cmd) (Usage, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Usage{}, err
	}
	done := make(chan struct{})
	polled := make(chan int64)
	go func() { polled <- poll(cmd.Process.Pid, done) }()
	err := cmd.Wait()
	close(done)
	u := Usage{Wall: time.Since(start), PeakRSS: <-polled}
	if cmd.ProcessState == nil {
		return u, err
	}
	u.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peak := int64(ru.Maxrss)
		if runtime.GOOS != "darwin" && runtime.GOOS != "ios" {
			peak *= 1024 // Linux and the BSDs report KiB
		}
		// getrusage's figure is the child's own only when it is above this
		// process's high-water mark (or there is no /proc to compare with).
		if self := HWM("self"); self == 0 || peak > self || u.PeakRSS == 0 {
			u.PeakRSS = max(u.PeakRSS, peak)
		}
	}
	return u, err
}

// poll returns the largest VmHWM of process pid seen until done is closed,
// polling every 10 ms; 0 where there is no /proc.
func poll(pid int, done <-chan struct{}) int64 {
	var peak int64
	id := strconv.Itoa(pid)
	for {
		peak = max(peak, HWM(id))
		select {
		case <-done:
			return peak
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// HWM reads the peak resident memory (VmHWM, in bytes) of process pid
// ("self" for this one) from /proc; 0 when it cannot.
func HWM(pid string) int64 {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
