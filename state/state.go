// Package state keeps what sfsync knows about the records it manages: which
// address is bound to which Salesforce Id, the key values it was matched by, a
// hash of the values last applied, and the Bulk jobs in flight. State is what
// lets sfsync delete only what it manages, adopt without duplicating, refuse a
// stale saved plan and recover from a killed apply, so it is written
// atomically with a backup, locked against a second writer and bound to one
// org.
//
// The package knows nothing of HCL or of Salesforce's wire protocol. A State
// is an in-memory view with indexes for the planner and apply; a Backend
// (the local file here, PostgreSQL later) reads, writes and locks it; a Store
// ties the two together for one command run.
package state

import (
	"cmp"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/sfsync/sfsync/internal/sfid"
)

// State is the in-memory view of a state: records indexed by address and
// by Id, and the journal of Bulk jobs in flight. It is safe for concurrent
// use, so jobs finishing at the same time may record their results from
// their own goroutines.
type State struct {
	mu sync.RWMutex

	lineage       string
	serial        uint64
	orgID         string
	instanceURL   string
	sfsyncVersion string

	recs records
	jobs map[string]*Job
	// bind is where Bind copies a record's parts.
	bind newRecBuf
}

// Record binds one address of the configuration to one org record.
type Record struct {
	// Address names the record in the configuration: Account.acme,
	// Account.country["DE"], Contact.csv["jane@acme.example"].
	Address string `json:"address"`
	// Object is the sObject API name.
	Object string `json:"object"`
	// ID is the record's 18-character Salesforce Id.
	ID string `json:"id"`
	// Key holds the values of the object's key fields the record was last
	// matched or written with, by field name, as the planner normalized them.
	// Callers must not modify a Key they get from a State.
	Key map[string]string `json:"key"`
	// Hash is HashValues of the managed values last applied to the record,
	// or empty when unknown (a record adopted by an older sfsync).
	Hash string `json:"hash,omitempty"`
}

// Job is a Bulk job journaled before its data is uploaded, so that the next
// run can wait for it and record its results even if this one was killed.
type Job struct {
	// ID is the job's Salesforce Id.
	ID string `json:"id"`
	// API says which Bulk API the job belongs to.
	API API `json:"api"`
	// APIVersion is the REST API version the job was created with ("62.0").
	APIVersion string `json:"api_version"`
	// Object is the sObject the job writes.
	Object string `json:"object"`
	// Operation is the job's operation.
	Operation Operation `json:"operation"`
	// Level is the dependency level of the records in the job (parents
	// first); one job per object, operation and level.
	Level int `json:"level"`
	// Addresses are the addresses of the job's rows, in row order.
	Addresses []string `json:"addresses"`
	// KeyFields and Keys are, for an insert, the object's key fields and
	// each row's values of them (the planner's normalized text, "" for
	// null), parallel to Addresses: an inserted record has no Id in state
	// yet, so a later run maps the job's results, which echo the key
	// columns, back to addresses by these.
	KeyFields []string   `json:"key_fields,omitempty"`
	Keys      [][]string `json:"keys,omitempty"`
	// Batches are, for Bulk API 1.0, the batches created so far in upload
	// order; each carries the next Rows addresses. Empty for Bulk API 2.0,
	// whose job holds one upload.
	Batches []Batch `json:"batches,omitempty"`
	// Created is when the job was created (UTC).
	Created time.Time `json:"created"`
}

// Batch is one Bulk API 1.0 batch of a journaled job.
type Batch struct {
	ID   string `json:"id"`
	Rows int    `json:"rows"`
}

// New returns an empty state with a fresh lineage. It is bound to an org by
// the first BindOrg and stored by the first write (serial 1).
func New() *State {
	s := newState()
	s.lineage = uuid.NewString()
	return s
}

func newState() *State {
	return &State{recs: newRecords(), jobs: map[string]*Job{}}
}

// Lineage identifies a state across its versions: it is set when the state
// is created and never changes, so a saved plan or a backend can tell a newer
// version of the same state from a different state.
func (s *State) Lineage() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lineage
}

// Serial is the number of the stored version this state was read as or last
// written as; 0 for a state never stored. Every write increments it.
func (s *State) Serial() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.serial
}

func (s *State) setSerial(n uint64, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.serial = n
	s.sfsyncVersion = version
}

// OrgID is the 18-character Id of the org the state is bound to, or empty
// for a state not yet bound.
func (s *State) OrgID() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.orgID
}

// InstanceURL is the instance URL the org was last reached at.
func (s *State) InstanceURL() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.instanceURL
}

// SfsyncVersion is the version of sfsync that last wrote the state.
func (s *State) SfsyncVersion() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sfsyncVersion
}

// BindOrg is the org guard. A state not yet bound to an org is bound to
// orgID; a state bound to another org is refused with an *OrgMismatchError,
// so one org's state is never used against another. The instance URL is
// remembered (it changes legitimately, for example with My Domain).
func (s *State) BindOrg(orgID, instanceURL string) error {
	if !sfid.Valid(orgID) {
		return fmt.Errorf("bind state to org: %q is not a Salesforce org Id", orgID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.orgID != "" && !sfid.Equal(s.orgID, orgID) {
		return &OrgMismatchError{
			StateOrgID: s.orgID, StateInstanceURL: s.instanceURL,
			OrgID: sfid.To18(orgID), InstanceURL: instanceURL,
		}
	}
	s.orgID = sfid.To18(orgID)
	if instanceURL != "" {
		s.instanceURL = instanceURL
	}
	return nil
}

// OrgMismatchError is the org guard's refusal: the state belongs to another
// org than the one this run is connected to.
type OrgMismatchError struct {
	StateOrgID, StateInstanceURL string
	OrgID, InstanceURL           string
}

func (e *OrgMismatchError) Error() string {
	return fmt.Sprintf("this state belongs to org %s%s, but this run is connected to org %s%s; "+
		"use the state of that org (-state=PATH), or check which org the configuration logs in to",
		e.StateOrgID, paren(e.StateInstanceURL), e.OrgID, paren(e.InstanceURL))
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// Len returns the number of records.
func (s *State) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.recs.Len()
}

// Record returns the record bound to address.
func (s *State) Record(address string) (Record, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.recs.findAddr(address)
	if p < 0 {
		return Record{}, false
	}
	return s.recs.record(p), true
}

// RecordByID returns the record bound to id, given in its 15- or
// 18-character form.
func (s *State) RecordByID(id string) (Record, bool) {
	k, ok := sfid.Canonical(id)
	if !ok {
		return Record{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.recs.findID(&k)
	if p < 0 {
		return Record{}, false
	}
	return s.recs.record(p), true
}

// Binding is what state binds an address to: a Record without its key
// values and hash. Looking one up copies nothing, so it is the form for
// passes over many records (the planner's).
type Binding struct {
	Address string
	Object  string
	ID      string // 18 characters
}

// Binding returns what address is bound to.
func (s *State) Binding(address string) (Binding, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.recs.findAddr(address)
	if p < 0 {
		return Binding{}, false
	}
	return s.recs.binding(p), true
}

// BindingByID returns the binding of id, given in its 15- or
// 18-character form.
func (s *State) BindingByID(id string) (Binding, bool) {
	k, ok := sfid.Canonical(id)
	if !ok {
		return Binding{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.recs.findID(&k)
	if p < 0 {
		return Binding{}, false
	}
	return s.recs.binding(p), true
}

// Bindings returns the bindings of object's records in address order. The
// iteration holds the state's read lock: its body must not change the
// state.
func (s *State) Bindings(object string) iter.Seq[Binding] {
	return func(yield func(Binding) bool) {
		s.readOrdered(func() {
			lo, hi := s.recs.objectRange(object)
			for p := lo; p < hi; p++ {
				if !yield(s.recs.binding(int32(p))) {
					return
				}
			}
		})
	}
}

// readOrdered runs fn with the records in file order and the state
// locked against changes.
func (s *State) readOrdered(fn func()) {
	s.mu.RLock()
	if s.recs.ordered() {
		defer s.mu.RUnlock()
		fn()
		return
	}
	s.mu.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs.normalize()
	fn()
}

// Records returns the records of object sorted by address.
func (s *State) Records(object string) []Record {
	var out []Record
	s.readOrdered(func() {
		lo, hi := s.recs.objectRange(object)
		out = make([]Record, 0, hi-lo)
		for p := lo; p < hi; p++ {
			out = append(out, s.recs.record(int32(p)))
		}
	})
	return out
}

// AllRecords returns every record sorted by object, then address: the
// order of the state file.
func (s *State) AllRecords() []Record {
	var out []Record
	s.readOrdered(func() {
		out = make([]Record, len(s.recs.rs))
		for p := range s.recs.rs {
			out[p] = s.recs.record(int32(p))
		}
	})
	return out
}

func compareRecords(a, b Record) int {
	return cmp.Or(strings.Compare(a.Object, b.Object), strings.Compare(a.Address, b.Address))
}

// Objects returns the objects that have records, sorted.
func (s *State) Objects() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for i, n := range s.recs.objLive {
		if n > 0 {
			out = append(out, s.recs.objects[i])
		}
	}
	slices.Sort(out)
	return out
}

// Bind binds r.Address to r.ID, replacing what the address was bound to
// (a record deleted outside sfsync and inserted again gets a new Id). The Id
// is stored in its 18-character form and Key is copied. Binding an Id that
// another address holds is an error: one org record has one address.
func (s *State) Bind(r Record) error {
	if err := checkRecord(r); err != nil {
		return err
	}
	id, _ := sfid.Canonical(r.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.recs.findID(&id); p >= 0 && s.recs.rs[p].addr() != r.Address {
		return fmt.Errorf("bind %s to %s: that Id is already bound to %s", r.Address, string(id[:]), s.recs.rs[p].addr())
	}
	s.storeLocked(s.bind.fromRecord(r, id))
	return nil
}

// storeLocked binds n.addr, in place when the address is bound to a
// record of the same object (which keeps the order).
func (s *State) storeLocked(n *newRec) {
	if p := s.recs.findAddrBytes(n.addr); p >= 0 {
		if s.recs.objects[s.recs.rs[p].obj] == string(n.object) {
			s.recs.replace(p, n)
			return
		}
		s.recs.remove(p)
	}
	s.recs.insert(n)
}

func checkRecord(r Record) error {
	switch {
	case r.Address == "":
		return fmt.Errorf("record of %s (Id %s) has no address", r.Object, r.ID)
	case r.Object == "":
		return fmt.Errorf("record %s has no object", r.Address)
	case !sfid.Valid(r.ID):
		return fmt.Errorf("record %s: %q is not a Salesforce Id", r.Address, r.ID)
	case r.Hash != "" && !validHash(r.Hash):
		return fmt.Errorf("record %s: hash %q is not of the form sha256:<64 hex digits>", r.Address, r.Hash)
	}
	return nil
}

// newRecBuf turns Records into newRecs, reusing its memory.
type newRecBuf struct {
	buf  []byte
	keys []keyField
	n    newRec
}

// fromRecord returns r as a newRec with Id id; r must be valid. The
// newRec is good until the next call.
func (b *newRecBuf) fromRecord(r Record, id [idLen]byte) *newRec {
	size := len(r.Address) + len(r.Object) + hashLen
	for k, v := range r.Key {
		size += len(k) + len(v)
	}
	b.buf = slices.Grow(b.buf[:0], size) // the slices below must not move
	b.keys = b.keys[:0]
	part := func(s string) []byte {
		start := len(b.buf)
		b.buf = append(b.buf, s...)
		return b.buf[start:len(b.buf):len(b.buf)]
	}
	b.n = newRec{addr: part(r.Address), object: part(r.Object), id: id}
	if r.Hash != "" {
		sum, _ := parseHash(r.Hash)
		start := len(b.buf)
		b.buf = append(b.buf, sum[:]...)
		b.n.hash = b.buf[start:len(b.buf):len(b.buf)]
	}
	for k, v := range r.Key {
		b.keys = append(b.keys, keyField{name: part(k), value: part(v)})
	}
	b.n.keys = sortKeys(b.keys)
	return &b.n
}

// Rebind moves the record bound to from to the address to: a record whose
// label was renamed in the configuration while its key stayed the same.
func (s *State) Rebind(from, to string) error {
	if to == "" {
		return fmt.Errorf("rebind %s: empty address", from)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recs.findAddr(to) >= 0 && to != from {
		return fmt.Errorf("rebind %s to %s: %s is already bound", from, to, to)
	}
	p := s.recs.findAddr(from)
	if p < 0 {
		return fmt.Errorf("rebind %s to %s: %s is not in state", from, to, from)
	}
	r := s.recs.record(p)
	r.Address = to
	id, _ := sfid.Canonical(r.ID)
	s.recs.remove(p)
	s.recs.insert(s.bind.fromRecord(r, id))
	return nil
}

// Remove forgets the record bound to address and returns it.
func (s *State) Remove(address string) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.recs.findAddr(address)
	if p < 0 {
		return Record{}, false
	}
	r := s.recs.record(p)
	s.recs.remove(p)
	return r, true
}

// AddJob journals a job. Apply calls it, and persists, before uploading the
// job's data.
func (s *State) AddJob(j Job) error {
	if err := checkJob(j); err != nil {
		return err
	}
	j.Addresses = slices.Clone(j.Addresses)
	j.Batches = slices.Clone(j.Batches)
	j.KeyFields = slices.Clone(j.KeyFields)
	j.Keys = slices.Clone(j.Keys)
	j.Created = j.Created.UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.jobs[j.ID]; dup {
		return fmt.Errorf("journal job %s: already journaled", j.ID)
	}
	s.jobs[j.ID] = &j
	return nil
}

func checkJob(j Job) error {
	switch {
	case j.ID == "":
		return fmt.Errorf("job of %s has no Id", j.Object)
	case j.API == 0 || j.API >= apiEnd:
		return fmt.Errorf("job %s: invalid API %d", j.ID, int(j.API))
	case j.Operation == 0 || j.Operation >= operationEnd:
		return fmt.Errorf("job %s: invalid operation %d", j.ID, int(j.Operation))
	case j.Object == "":
		return fmt.Errorf("job %s has no object", j.ID)
	case j.Level < 0:
		return fmt.Errorf("job %s: negative level %d", j.ID, j.Level)
	case len(j.Addresses) == 0:
		return fmt.Errorf("job %s carries no addresses", j.ID)
	case j.Created.IsZero():
		return fmt.Errorf("job %s has no creation time", j.ID)
	case j.Created.UTC().Year() < 1 || j.Created.UTC().Year() > 9999:
		return fmt.Errorf("job %s: creation time %s is out of range", j.ID, j.Created.UTC())
	}
	if len(j.Keys) > 0 && len(j.Keys) != len(j.Addresses) {
		return fmt.Errorf("job %s: %d keys for %d addresses", j.ID, len(j.Keys), len(j.Addresses))
	}
	for i, k := range j.Keys {
		if len(k) != len(j.KeyFields) {
			return fmt.Errorf("job %s: the key of %s has %d values for %d key fields", j.ID, j.Addresses[i], len(k), len(j.KeyFields))
		}
	}
	rows := 0
	for _, b := range j.Batches {
		if b.ID == "" || b.Rows <= 0 {
			return fmt.Errorf("job %s: batch %q with %d rows", j.ID, b.ID, b.Rows)
		}
		rows += b.Rows
	}
	if rows > len(j.Addresses) {
		return fmt.Errorf("job %s: its batches carry %d rows but the job has %d addresses", j.ID, rows, len(j.Addresses))
	}
	return nil
}

// AddJobBatch records a Bulk API 1.0 batch created for a journaled job; it
// carries the next b.Rows addresses of the job.
func (s *State) AddJobBatch(jobID string, b Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[jobID]
	if !ok {
		return fmt.Errorf("add batch %s: job %s is not journaled", b.ID, jobID)
	}
	next := *j
	next.Batches = append(slices.Clone(j.Batches), b)
	if err := checkJob(next); err != nil {
		return err
	}
	*j = next
	return nil
}

// Job returns the journaled job with the given Id.
func (s *State) Job(id string) (Job, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	j, ok := s.jobs[id]
	if !ok {
		return Job{}, false
	}
	return *j, true
}

// Jobs returns the journaled jobs, oldest first.
func (s *State) Jobs() []Job {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sortedJobs()
}

func (s *State) sortedJobs() []Job {
	out := make([]Job, 0, len(s.jobs))
	for _, j := range s.jobs {
		out = append(out, *j)
	}
	slices.SortFunc(out, func(a, b Job) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out
}

// RemoveJob drops a job from the journal once its results are recorded.
func (s *State) RemoveJob(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.jobs[id]
	delete(s.jobs, id)
	return ok
}
