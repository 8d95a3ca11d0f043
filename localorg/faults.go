package localorg

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Faults are failures the org injects on purpose, so that clients' retry
// and recovery paths can be tested against the ways Salesforce fails. They
// are switched at run time, from Go (SetFaults and the methods below) or
// through the admin API (/__localorg/faults). Counted faults ("the next N
// calls") count down as they fire; Faults returns what is left.
type Faults struct {
	// Unavailable answers the next N API calls with HTTP 503 in the API's
	// error shape (SERVER_UNAVAILABLE), as Salesforce does during
	// maintenance. Only calls whose path contains UnavailablePath count
	// when it is set. The admin API is never affected.
	Unavailable     int    `json:"unavailable,omitempty"`
	UnavailablePath string `json:"unavailablePath,omitempty"`
	// ServerErrors answers the next N API calls with HTTP 500 in the API's
	// error shape (UNKNOWN_EXCEPTION; Bulk 1.0 InternalServerError), as
	// Salesforce answers an unhandled server error. The call is not carried
	// out (the failed transaction rolled back), but a client cannot know
	// that. ServerErrorPath limits it to paths containing it.
	ServerErrors    int    `json:"serverErrors,omitempty"`
	ServerErrorPath string `json:"serverErrorPath,omitempty"`
	// DropConnections carries out the next N API calls, then closes their
	// connection without an answer, as when a proxy or load balancer
	// between client and Salesforce gives up: the call took effect and the
	// client cannot tell. DropPath limits it to paths containing it.
	DropConnections int    `json:"dropConnections,omitempty"`
	DropPath        string `json:"dropPath,omitempty"`
	// CutResponses cuts the next N answers after CutAfterBytes bytes of
	// body: the status and headers are sent, then the connection is closed
	// mid-body. CutPath limits it to paths containing it.
	CutResponses  int    `json:"cutResponses,omitempty"`
	CutAfterBytes int    `json:"cutAfterBytes,omitempty"`
	CutPath       string `json:"cutPath,omitempty"`
	// RowLockFraction makes that fraction (0 to 1) of Bulk ingest and
	// sObject Collections records fail with UNABLE_TO_LOCK_ROW instead of
	// being written. Which records fail is decided by RowLockSeed and the
	// record's position (batch or call number, and row), so the same seed
	// fails the same rows.
	RowLockFraction float64 `json:"rowLockFraction,omitempty"`
	RowLockSeed     int64   `json:"rowLockSeed,omitempty"`
	// LockBatches fails the next N Bulk 1.0 ingest batches to start
	// processing on lock contention, the way Salesforce gives up on a batch
	// whose retries kept meeting locked rows: nothing is written, the batch
	// is Failed with stateMessage "TooManyLockFailure : …".
	LockBatches int `json:"lockBatches,omitempty"`
	// FailBatches fails the next N Bulk 1.0 batches to start processing
	// (state Failed with stateMessage FailBatchMessage).
	FailBatches      int    `json:"failBatches,omitempty"`
	FailBatchMessage string `json:"failBatchMessage,omitempty"`
	// FailJobs fails the next N Bulk 2.0 jobs (ingest or query) to start
	// processing (state Failed with errorMessage FailJobMessage).
	FailJobs       int    `json:"failJobs,omitempty"`
	FailJobMessage string `json:"failJobMessage,omitempty"`
	// JobDelay and ChunkDelay slow processing down: a pause before each
	// job or batch starts and after each chunk of 200 records.
	JobDelay   Duration `json:"jobDelay,omitempty"`
	ChunkDelay Duration `json:"chunkDelay,omitempty"`
	// ShuffleResults returns Bulk 2.0 successfulResults, failedResults and
	// unprocessedrecords rows in an order shuffled by ShuffleSeed, as
	// Salesforce may (its 2.0 results are unordered).
	ShuffleResults bool  `json:"shuffleResults,omitempty"`
	ShuffleSeed    int64 `json:"shuffleSeed,omitempty"`
}

// Default messages of the injected failures.
const (
	defaultFailBatchMessage = "InternalServerError : localorg injected batch failure"
	defaultFailJobMessage   = "InternalServerError : localorg injected job failure"
	// lockBatchMessage is the stateMessage of a batch failed by
	// LockBatches. UNCERTAIN: the text after the code; the code is
	// Salesforce's (AsyncExceptionCode.TooManyLockFailure), the wording
	// is what real orgs are reported to write.
	lockBatchMessage = "TooManyLockFailure : Too many lock failure 200 Trying again later."
)

// Duration is a time.Duration written as text in JSON ("250ms").
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %w", b, err)
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", b)
	}
	*d = Duration(v)
	return nil
}

// faultState is the org's current faults.
type faultState struct {
	mu sync.Mutex
	f  Faults
	// jobDelay and chunkDelay are in force (Options' values until a fault
	// sets them).
	jobDelay, chunkDelay time.Duration
	// calls numbers sObject Collections calls for the row lock fault.
	calls int
}

// Faults returns the faults in force.
func (o *Org) Faults() Faults {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	f := o.faults.f
	f.JobDelay, f.ChunkDelay = Duration(o.faults.jobDelay), Duration(o.faults.chunkDelay)
	return f
}

// SetFaults replaces the faults in force.
func (o *Org) SetFaults(f Faults) error {
	if f.RowLockFraction < 0 || f.RowLockFraction > 1 || math.IsNaN(f.RowLockFraction) {
		return fmt.Errorf("set faults: rowLockFraction %v is not between 0 and 1", f.RowLockFraction)
	}
	if f.Unavailable < 0 || f.ServerErrors < 0 || f.DropConnections < 0 || f.CutResponses < 0 || f.CutAfterBytes < 0 ||
		f.FailBatches < 0 || f.FailJobs < 0 || f.LockBatches < 0 {
		return fmt.Errorf("set faults: counts cannot be negative")
	}
	o.faults.mu.Lock()
	o.faults.f = f
	o.faults.jobDelay, o.faults.chunkDelay = time.Duration(f.JobDelay), time.Duration(f.ChunkDelay)
	o.faults.mu.Unlock()
	o.kick()
	return nil
}

// ClearFaults switches every fault off and restores the Options' delays.
func (o *Org) ClearFaults() {
	o.faults.mu.Lock()
	o.faults.f = Faults{}
	o.faults.jobDelay, o.faults.chunkDelay = o.opts.JobDelay, o.opts.ChunkDelay
	o.faults.mu.Unlock()
}

// update changes the faults in force under the lock.
func (o *Org) updateFaults(fn func(f *Faults)) {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	fn(&o.faults.f)
}

// FailNextCalls answers the next n API calls with HTTP 503.
func (o *Org) FailNextCalls(n int) {
	o.updateFaults(func(f *Faults) { f.Unavailable, f.UnavailablePath = n, "" })
}

// ServerErrorNextCalls answers the next n API calls whose path contains
// path (any path when empty) with HTTP 500, without carrying them out.
func (o *Org) ServerErrorNextCalls(n int, path string) {
	o.updateFaults(func(f *Faults) { f.ServerErrors, f.ServerErrorPath = n, path })
}

// DropNextConnections carries out the next n API calls whose path contains
// path (any path when empty) and closes their connection unanswered.
func (o *Org) DropNextConnections(n int, path string) {
	o.updateFaults(func(f *Faults) { f.DropConnections, f.DropPath = n, path })
}

// CutNextResponses cuts the next n answers whose path contains path (any
// path when empty) after afterBytes bytes of body.
func (o *Org) CutNextResponses(n, afterBytes int, path string) {
	o.updateFaults(func(f *Faults) { f.CutResponses, f.CutAfterBytes, f.CutPath = n, afterBytes, path })
}

// LockRows makes fraction of Bulk ingest records fail with
// UNABLE_TO_LOCK_ROW, chosen by seed; LockRows(0, 0) stops it.
func (o *Org) LockRows(fraction float64, seed int64) {
	o.updateFaults(func(f *Faults) { f.RowLockFraction, f.RowLockSeed = min(max(fraction, 0), 1), seed })
}

// FailNextBatch makes the next Bulk 1.0 batch to start processing fail
// with stateMessage msg (a default message when empty).
func (o *Org) FailNextBatch(msg string) {
	o.updateFaults(func(f *Faults) { f.FailBatches, f.FailBatchMessage = f.FailBatches+1, msg })
	o.kick()
}

// LockNextBatches makes the next n Bulk 1.0 ingest batches to start
// processing fail with TooManyLockFailure, writing nothing.
func (o *Org) LockNextBatches(n int) {
	o.updateFaults(func(f *Faults) { f.LockBatches += n })
	o.kick()
}

// FailNextJob makes the next Bulk 2.0 job to start processing fail with
// errorMessage msg (a default message when empty).
func (o *Org) FailNextJob(msg string) {
	o.updateFaults(func(f *Faults) { f.FailJobs, f.FailJobMessage = f.FailJobs+1, msg })
	o.kick()
}

// SlowProcessing pauses before each job or batch starts (job) and after
// each chunk of 200 records (chunk).
func (o *Org) SlowProcessing(job, chunk time.Duration) {
	o.faults.mu.Lock()
	o.faults.jobDelay, o.faults.chunkDelay = max(job, 0), max(chunk, 0)
	o.faults.mu.Unlock()
}

// ShuffleResults returns Bulk 2.0 result rows in an order shuffled by
// seed (on) or in upload order (off).
func (o *Org) ShuffleResults(on bool, seed int64) {
	o.updateFaults(func(f *Faults) { f.ShuffleResults, f.ShuffleSeed = on, seed })
}

func (o *Org) jobDelay() time.Duration {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	return o.faults.jobDelay
}

func (o *Org) chunkDelay() time.Duration {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	return o.faults.chunkDelay
}

// takeUnavailable reports whether the call to path is to be answered 503,
// counting the fault down.
func (o *Org) takeUnavailable(path string) bool {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	f := &o.faults.f
	if f.Unavailable <= 0 || !strings.Contains(path, f.UnavailablePath) {
		return false
	}
	f.Unavailable--
	return true
}

// takeServerError reports whether the call to path is to be answered 500,
// counting the fault down.
func (o *Org) takeServerError(path string) bool {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	f := &o.faults.f
	if f.ServerErrors <= 0 || !strings.Contains(path, f.ServerErrorPath) {
		return false
	}
	f.ServerErrors--
	return true
}

// takeDrop reports whether the call to path is to lose its answer,
// counting the fault down.
func (o *Org) takeDrop(path string) bool {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	f := &o.faults.f
	if f.DropConnections <= 0 || !strings.Contains(path, f.DropPath) {
		return false
	}
	f.DropConnections--
	return true
}

// takeCut returns how many body bytes of the answer to path get through
// before the connection is cut, or -1 to send it whole.
func (o *Org) takeCut(path string) int {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	f := &o.faults.f
	if f.CutResponses <= 0 || !strings.Contains(path, f.CutPath) {
		return -1
	}
	f.CutResponses--
	return f.CutAfterBytes
}

// takeBatchFailure returns the stateMessage of an injected failure of the
// batch about to be processed, or "".
func (o *Org) takeBatchFailure() string {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	f := &o.faults.f
	if f.FailBatches <= 0 {
		return ""
	}
	f.FailBatches--
	if f.FailBatchMessage != "" {
		return f.FailBatchMessage
	}
	return defaultFailBatchMessage
}

// takeLockBatch returns the stateMessage of a lock failure of the Bulk
// 1.0 ingest batch about to be processed, or "".
func (o *Org) takeLockBatch() string {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	f := &o.faults.f
	if f.LockBatches <= 0 {
		return ""
	}
	f.LockBatches--
	return lockBatchMessage
}

// takeJobFailure returns the errorMessage of an injected failure of the
// Bulk 2.0 job about to be processed, or "".
func (o *Org) takeJobFailure() string {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	f := &o.faults.f
	if f.FailJobs <= 0 {
		return ""
	}
	f.FailJobs--
	if f.FailJobMessage != "" {
		return f.FailJobMessage
	}
	return defaultFailJobMessage
}

// rowLocker decides which rows of a batch meet a lock failure.
type rowLocker struct {
	fraction float64
	seed     int64
}

func (o *Org) rowLocker() rowLocker {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	return rowLocker{fraction: o.faults.f.RowLockFraction, seed: o.faults.f.RowLockSeed}
}

// collectionLocker returns the lock decider of one sObject Collections
// call and the number that stands for the call in it: each call counts
// as a batch of its own, numbered below zero so as not to meet the Bulk
// batches' numbers.
func (o *Org) collectionLocker() (rowLocker, int) {
	o.faults.mu.Lock()
	defer o.faults.mu.Unlock()
	o.faults.calls++
	return rowLocker{fraction: o.faults.f.RowLockFraction, seed: o.faults.f.RowLockSeed}, -o.faults.calls
}

// locked reports whether row of the batch numbered batchSeq (within its
// job) fails: a hash of the seed and position compared with the fraction.
func (l rowLocker) locked(batchSeq, row int) bool {
	if l.fraction <= 0 {
		return false
	}
	h := fnv.New64a()
	var b [24]byte
	binary.LittleEndian.PutUint64(b[0:], uint64(l.seed))
	binary.LittleEndian.PutUint64(b[8:], uint64(batchSeq))
	binary.LittleEndian.PutUint64(b[16:], uint64(row))
	h.Write(b[:])
	return float64(h.Sum64()>>11)/float64(1<<53) < l.fraction
}

// errRowLock is the per-record error of a lock failure (Salesforce's
// status code; UNCERTAIN: the message, which real orgs extend with the
// number of records involved).
var errRowLock = rowErr("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record")

// shuffler returns a shuffle of n items when result shuffling is on.
func (o *Org) shuffler() func(n int, swap func(i, j int)) {
	o.faults.mu.Lock()
	on, seed := o.faults.f.ShuffleResults, o.faults.f.ShuffleSeed
	o.faults.mu.Unlock()
	if !on {
		return nil
	}
	r := rand.New(rand.NewPCG(uint64(seed), 0x6c6f63616c6f7267))
	return r.Shuffle
}

// errUnavailable is the answer of a call failed by the Unavailable fault.
func errUnavailable(fam family) *apiError {
	if fam == familyBulk1 {
		return &apiError{Status: http.StatusServiceUnavailable, Code: "ServerUnavailable", Msg: "Server temporarily unavailable (localorg fault)"}
	}
	return &apiError{Status: http.StatusServiceUnavailable, Code: "SERVER_UNAVAILABLE", Msg: "Server temporarily unavailable (localorg fault)"}
}

// discardWriter swallows an answer that a DropConnections fault loses.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header {
	if w.h == nil {
		w.h = http.Header{}
	}
	return w.h
}
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}
func (w *discardWriter) Flush()                      {}

// cutWriter passes limit bytes of body, then cuts the connection.
type cutWriter struct {
	http.ResponseWriter
	limit int
	n     int
	cut   bool
}

func (w *cutWriter) Write(b []byte) (int, error) {
	if w.cut {
		return 0, http.ErrAbortHandler
	}
	if w.n+len(b) <= w.limit {
		w.n += len(b)
		return w.ResponseWriter.Write(b)
	}
	w.ResponseWriter.Write(b[:w.limit-w.n])
	w.n, w.cut = w.limit, true
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	// The status and the first bytes are on the wire; closing the
	// connection now cuts the body.
	panic(http.ErrAbortHandler)
}

func (w *cutWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
