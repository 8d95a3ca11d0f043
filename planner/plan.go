package planner

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sfsync/sfsync/state"
)

// Plan is everything a plan shows and a saved plan holds: where it was made
// (org, state version, inputs), what it changes, object by object, and what
// that will cost (Bulk jobs, the org's remaining daily limits).
type Plan struct {
	// SfsyncVersion is the version of sfsync that made the plan.
	SfsyncVersion string
	// OrgID is the 18-character Id of the org the plan was made against;
	// InstanceURL is where that org was reached.
	OrgID, InstanceURL string
	// Lineage and Serial are those of the state the plan was made from
	// (serial 0: no state stored yet).
	Lineage string
	Serial  uint64
	// Inputs are the hashes of everything the plan was built from, sorted by
	// name.
	Inputs []Input

	// Objects are the objects the configuration or state names, sorted by
	// name, each with its changes sorted by address.
	Objects []*ObjectPlan
	// Warnings are things a reviewer should know that are no change.
	Warnings []Warning
	// Jobs are the jobs apply will run, in the order it runs them.
	Jobs []Job
	// Limits are the org's daily limits as read while planning, sorted by
	// name.
	Limits []Limit
}

// ObjectPlan is the part of a plan about one sObject.
type ObjectPlan struct {
	Object string
	// Changes are sorted by address; a record with a deferred update has its
	// insert first.
	Changes []Change
	// Unchanged counts the desired records that already match the org (the
	// no-ops): counted, never listed.
	Unchanged int
	// Forget are the addresses apply removes from state without an org
	// write: records deleted outside sfsync that left the configuration,
	// and records a delete = "never" object no longer declares. Sorted.
	Forget []string
}

// Change is what the plan does to one record.
type Change struct {
	Action  Action
	Address string // Account.acme, Account.country["DE"], Contact.csv["jane@acme.example"]
	Object  string
	// ID is the record's 18-character Id; empty for an insert (and for the
	// deferred update of a record being inserted).
	ID string
	// From is, for Rebind, the address the record was bound to before.
	From string
	// Key holds the object's key fields and their values, in key order: the
	// desired values, or the org's for a delete.
	Key []KeyValue
	// Level is the dependency level of the record's job: parents are on
	// lower levels and are written first.
	Level int
	// Reasons say why the change is planned the way it is.
	Reasons []Reason
	// Cascade lists, for a delete, the records Salesforce deletes with it.
	Cascade []Cascade
	// Fields are the fields the change writes, sorted by name. An update
	// lists only the fields that change. An insert lists every field it
	// sets. A replace lists every desired field (the new record needs them
	// all) with the org's current value as Old; those whose value does not
	// change are not shown as changes. A delete, adopt or rebind without
	// updates lists none.
	Fields []FieldChange
	// Unchanged counts the managed fields that already have their desired
	// value and are not in Fields.
	Unchanged int
	// UnchangedValues are, for an update, adopt or rebind, those unchanged
	// managed fields with their desired values, sorted by name: with Fields
	// they are every value sfsync manages on the record, whose hash apply
	// records in state (appliedHash). (An insert or replace lists every
	// value in Fields, and a deferred update's record is hashed with its
	// insert.) Views do not show them.
	UnchangedValues []KeyValue
	// SystemModstamp is the record's SystemModstamp as read for the plan:
	// apply refuses a saved plan whose updated or deleted record moved
	// since. Zero for inserts.
	SystemModstamp time.Time
}

// KeyValue is one key field's value.
type KeyValue struct {
	Field string
	Value Value
}

// FieldChange is one field a change writes.
type FieldChange struct {
	Field string
	// Old is the org's value (null for an insert); New the desired one.
	Old, New Value
	// Ref is set when New is the Id of a record this plan inserts, which is
	// known only after apply: the address of that record. New is then null.
	Ref string
	// Sensitive values come from sensitive variables: views never show them.
	Sensitive bool
	// Deferred marks, on an insert, a field left out of the insert and set
	// by the record's DeferredUpdate, to break a reference cycle.
	Deferred bool
	// ForcesReplacement marks, on a replace, a create-only field whose
	// change is why the record is replaced.
	ForcesReplacement bool
}

// Changed reports whether the field's value changes: the value differs, or
// it refers to a record being inserted.
func (f FieldChange) Changed() bool {
	return f.Ref != "" || !f.Old.Equal(f.New)
}

// Cascade is a group of records that Salesforce deletes together with a
// deleted record (Contacts of an Account, master-detail children).
type Cascade struct {
	Object string // the children's object
	Field  string // their field that refers to the deleted record
	// Count is the number of such children in the org, as read while
	// planning (configured or not); Addresses the addresses of those
	// sfsync manages, sorted.
	Count     int
	Addresses []string
}

// Warning is something a reviewer should know that is no change.
type Warning struct {
	Address string // the record it concerns, if any
	Message string
}

// Job is one Bulk job (or the sObject Collections requests that replace a
// small one) that apply will run: one per object, operation and level.
type Job struct {
	Object    string
	Operation state.Operation // insert, update or delete
	Level     int
	// Deferred marks the updates that close reference cycles after the
	// inserts.
	Deferred bool
	// Replace marks the deletes of replaced records, which run before the
	// inserts that create them again.
	Replace bool
	API     JobAPI
	Records int
	// Batches is what the job costs: Bulk API 1.0 batches, Bulk API 2.0
	// batches as counted against the daily limit (one per 10,000 records),
	// or sObject Collections requests (one per 200 records).
	Batches int
}

// JobAPI is the API a job goes through. The zero value is invalid.
type JobAPI int

const (
	_ JobAPI = iota
	// APIBulk1 is Bulk API 1.0.
	APIBulk1
	// APIBulk2 is Bulk API 2.0.
	APIBulk2
	// APIREST is sObject Collections, for change sets below the threshold.
	APIREST
	jobAPIEnd
)

var jobAPINames = [...]string{APIBulk1: "bulk1", APIBulk2: "bulk2", APIREST: "rest"}

func (a JobAPI) String() string {
	if a <= 0 || a >= jobAPIEnd {
		return fmt.Sprintf("JobAPI(%d)", int(a))
	}
	return jobAPINames[a]
}

// Label names the API for people: "Bulk API 2.0", "sObject Collections".
func (a JobAPI) Label() string {
	switch a {
	case APIBulk1:
		return "Bulk API 1.0"
	case APIBulk2:
		return "Bulk API 2.0"
	case APIREST:
		return "sObject Collections"
	}
	return a.String()
}

// MarshalText writes the API's name; an invalid API is an error.
func (a JobAPI) MarshalText() ([]byte, error) {
	if a <= 0 || a >= jobAPIEnd {
		return nil, fmt.Errorf("invalid job API %d", int(a))
	}
	return []byte(jobAPINames[a]), nil
}

// UnmarshalText reads an API's name.
func (a *JobAPI) UnmarshalText(b []byte) error {
	for v := APIBulk1; v < jobAPIEnd; v++ {
		if jobAPINames[v] == string(b) {
			*a = v
			return nil
		}
	}
	return fmt.Errorf("unknown job API %q (want bulk1, bulk2 or rest)", b)
}

// Limit is one of the org's daily limits (/limits), as read while planning.
type Limit struct {
	Name           string // DailyBulkApiBatches, DailyApiRequests, …
	Max, Remaining int64
}

// Action is what a change does to a record. The zero value is invalid.
type Action int

const (
	_ Action = iota
	// Insert creates the record.
	Insert
	// Update writes the changed fields of an existing record.
	Update
	// Delete deletes the record.
	Delete
	// Adopt binds the address to a record found in the org by key: the
	// record exists but state did not know it. No org write unless Fields
	// lists changes, which are then an update.
	Adopt
	// Rebind moves the record from the address From to Address (its label
	// was renamed; its key did not change). No org write unless Fields
	// lists changes, which are then an update.
	Rebind
	// Replace deletes the record and inserts it again, because a create-only
	// field changes and the object allows replacement (-/+).
	Replace
	// DeferredUpdate sets, after the inserts, the fields of a just-inserted
	// record that were left out of its insert to break a reference cycle.
	DeferredUpdate
	actionEnd
)

var actionNames = [...]string{
	Insert:         "insert",
	Update:         "update",
	Delete:         "delete",
	Adopt:          "adopt",
	Rebind:         "rebind",
	Replace:        "replace",
	DeferredUpdate: "deferred-update",
}

func (a Action) valid() bool { return a > 0 && a < actionEnd }

func (a Action) String() string {
	if !a.valid() {
		return fmt.Sprintf("Action(%d)", int(a))
	}
	return actionNames[a]
}

// MarshalText writes the action's name; an invalid action is an error.
func (a Action) MarshalText() ([]byte, error) {
	if !a.valid() {
		return nil, fmt.Errorf("invalid action %d", int(a))
	}
	return []byte(actionNames[a]), nil
}

// UnmarshalText reads an action's name.
func (a *Action) UnmarshalText(b []byte) error {
	for v := Insert; v < actionEnd; v++ {
		if actionNames[v] == string(b) {
			*a = v
			return nil
		}
	}
	return fmt.Errorf("unknown action %q", b)
}

// Reason says why a change is planned the way it is. The zero value is
// invalid.
type Reason int

const (
	_ Reason = iota
	// DeletedOutside: the address is in state but its Id is gone from the
	// org, so the record is inserted again.
	DeletedOutside
	// OutsideWhere: the record was found by key outside the object's where.
	OutsideWhere
	// KeyRestored: someone edited the key in the org; state's Id wins and
	// the plan restores the key.
	KeyRestored
	// LeftConfig: a managed record whose declaration left the configuration.
	LeftConfig
	// ObjectRemoved: a managed record whose object block left the
	// configuration.
	ObjectRemoved
	// NotDeclared: a record inside a scoped object's where that the
	// configuration does not declare.
	NotDeclared
	reasonEnd
)

var reasonNames = [...]string{
	DeletedOutside: "deleted-outside",
	OutsideWhere:   "outside-where",
	KeyRestored:    "key-restored",
	LeftConfig:     "left-config",
	ObjectRemoved:  "object-removed",
	NotDeclared:    "not-declared",
}

var reasonNotes = [...]string{
	DeletedOutside: "deleted outside sfsync",
	OutsideWhere:   "outside where",
	KeyRestored:    "key restored",
	LeftConfig:     "removed from the configuration",
	ObjectRemoved:  "object block removed from the configuration",
	NotDeclared:    "not declared (delete = \"scoped\")",
}

func (r Reason) valid() bool { return r > 0 && r < reasonEnd }

// String is the note a plan shows ("deleted outside sfsync").
func (r Reason) String() string {
	if !r.valid() {
		return fmt.Sprintf("Reason(%d)", int(r))
	}
	return reasonNotes[r]
}

// MarshalText writes the reason's name (deleted-outside); an invalid reason
// is an error.
func (r Reason) MarshalText() ([]byte, error) {
	if !r.valid() {
		return nil, fmt.Errorf("invalid reason %d", int(r))
	}
	return []byte(reasonNames[r]), nil
}

// UnmarshalText reads a reason's name.
func (r *Reason) UnmarshalText(b []byte) error {
	for v := DeletedOutside; v < reasonEnd; v++ {
		if reasonNames[v] == string(b) {
			*r = v
			return nil
		}
	}
	return fmt.Errorf("unknown reason %q", b)
}

// Counts are a plan's or an object's changes counted the way the plan's
// closing lines count them.
type Counts struct {
	// Insert counts inserts and replacements; Update counts updates and the
	// adoptions and rebinds that also update; Delete counts deletes and
	// replacements. These are the closing line's three numbers.
	Insert, Update, Delete int
	// Replace counts the replacements among them.
	Replace int
	// Adopt and Rebind count the records bound to an address without an org
	// write of their own: adoptions and rebinds, including those that also
	// update fields (counted in Update as well, and in AdoptUpdate and
	// RebindUpdate).
	Adopt, Rebind int
	// AdoptUpdate and RebindUpdate count the adoptions and rebinds that
	// also update fields.
	AdoptUpdate, RebindUpdate int
	// Deferred counts the updates that close reference cycles.
	Deferred int
	// Unchanged counts the desired records that need no change.
	Unchanged int
}

// HasChanges reports whether the plan writes to the org. Adoption and
// rebinding alone are no change (exit code 0 with -detailed-exitcode), though
// apply still records them in state.
func (c Counts) HasChanges() bool {
	return c.Insert+c.Update+c.Delete+c.Deferred > 0
}

// Empty reports whether there is nothing to do at all, not even in state:
// the plan says "No changes.".
func (c Counts) Empty() bool {
	return !c.HasChanges() && c.Adopt+c.Rebind == 0
}

func (c *Counts) add(d Counts) {
	c.Insert += d.Insert
	c.Update += d.Update
	c.Delete += d.Delete
	c.Replace += d.Replace
	c.Adopt += d.Adopt
	c.Rebind += d.Rebind
	c.AdoptUpdate += d.AdoptUpdate
	c.RebindUpdate += d.RebindUpdate
	c.Deferred += d.Deferred
	c.Unchanged += d.Unchanged
}

// count adds one change to c.
func (ch *Change) count(c *Counts) {
	switch ch.Action {
	case Insert:
		c.Insert++
	case Update:
		c.Update++
	case Delete:
		c.Delete++
	case Replace:
		c.Replace++
		c.Insert++
		c.Delete++
	case Adopt, Rebind:
		updates := ch.ChangedFields() > 0
		if updates {
			c.Update++
		}
		if ch.Action == Adopt {
			c.Adopt++
			if updates {
				c.AdoptUpdate++
			}
		} else {
			c.Rebind++
			if updates {
				c.RebindUpdate++
			}
		}
	case DeferredUpdate:
		c.Deferred++
	}
}

// ChangedFields is the number of fields in Fields whose value changes.
func (ch *Change) ChangedFields() int {
	n := 0
	for _, f := range ch.Fields {
		if f.Changed() {
			n++
		}
	}
	return n
}

// Counts counts the object's changes.
func (o *ObjectPlan) Counts() Counts {
	c := Counts{Unchanged: o.Unchanged}
	for i := range o.Changes {
		o.Changes[i].count(&c)
	}
	return c
}

// Counts counts the plan's changes.
func (p *Plan) Counts() Counts {
	var c Counts
	for _, o := range p.Objects {
		c.add(o.Counts())
	}
	return c
}

// Object returns the plan of the named object, or nil.
func (p *Plan) Object(name string) *ObjectPlan {
	for _, o := range p.Objects {
		if o.Object == name {
			return o
		}
	}
	return nil
}

// Sort puts the plan in its one order, so that the same plan always renders
// the same: objects by name; changes by address, then action (an insert
// before its deferred update); fields by name; inputs, limits and managed
// addresses of cascades by name; warnings by address. Jobs keep the order
// apply runs them in.
func (p *Plan) Sort() {
	slices.SortFunc(p.Objects, func(a, b *ObjectPlan) int { return cmp.Compare(a.Object, b.Object) })
	for _, o := range p.Objects {
		slices.SortStableFunc(o.Changes, func(a, b Change) int {
			return cmp.Or(CompareAddresses(a.Address, b.Address), cmp.Compare(a.Action, b.Action))
		})
		for i := range o.Changes {
			ch := &o.Changes[i]
			slices.SortStableFunc(ch.Fields, func(a, b FieldChange) int { return cmp.Compare(a.Field, b.Field) })
			slices.SortStableFunc(ch.UnchangedValues, func(a, b KeyValue) int { return cmp.Compare(a.Field, b.Field) })
			slices.SortFunc(ch.Cascade, func(a, b Cascade) int {
				return cmp.Or(cmp.Compare(a.Object, b.Object), cmp.Compare(a.Field, b.Field))
			})
			for _, c := range ch.Cascade {
				slices.SortFunc(c.Addresses, CompareAddresses)
			}
			slices.Sort(ch.Reasons)
			ch.Reasons = slices.Compact(ch.Reasons)
		}
		slices.SortFunc(o.Forget, CompareAddresses)
	}
	slices.SortStableFunc(p.Warnings, func(a, b Warning) int { return CompareAddresses(a.Address, b.Address) })
	slices.SortFunc(p.Inputs, func(a, b Input) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(p.Limits, func(a, b Limit) int { return cmp.Compare(a.Name, b.Name) })
}

// CompareAddresses orders addresses as the configuration does: by object and
// label, then instance key, so that Account.a["x"] sorts with Account.a and
// before Account.a-b.
func CompareAddresses(a, b string) int {
	ah, ak, _ := strings.Cut(a, "[")
	bh, bk, _ := strings.Cut(b, "[")
	return cmp.Or(cmp.Compare(ah, bh), cmp.Compare(ak, bk))
}
