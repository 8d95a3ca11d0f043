package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
)

// Schema is the set of objects an org has: the built-in standard objects
// plus the custom objects and fields added to them. The zero value is the
// standard schema, as Standard returns it. A Schema is safe for concurrent
// use. Objects it returns never change; AddCustom publishes new Object
// values, so look objects up again after adding to the schema.
type Schema struct {
	mu    sync.Mutex // serialises AddCustom
	state atomic.Pointer[state]
}

// state is one immutable version of a schema.
type state struct {
	objects  []*Object // sorted by name, case-insensitively
	byName   map[string]*Object
	byPrefix map[string]*Object
	// additions are the custom additions in the order they were made,
	// each a compact describe (see CustomJSON).
	additions [][]byte
}

// Change is what AddCustom did to one object.
type Change struct {
	Object  *Object  // the object as it is now
	Created bool     // a new custom object
	Fields  []*Field // the fields added: all of a new object's fields
	// Skipped are the standard fields a file gives for an existing object
	// that the object does not have: only custom fields can be added, so a
	// describe saved from a real org adds its custom fields and skips the
	// standard ones localorg does not emulate.
	Skipped []string
}

// Standard returns a schema with the built-in standard objects only.
func Standard() *Schema {
	s := &Schema{}
	s.state.Store(standardState())
	return s
}

// Load returns the standard schema with the custom additions saved by
// CustomJSON applied again, in order. Empty data gives the standard schema.
func Load(customJSON []byte) (*Schema, error) {
	st := standardState()
	if len(bytes.TrimSpace(customJSON)) > 0 {
		var saved savedSchema
		if err := json.Unmarshal(customJSON, &saved); err != nil {
			return nil, fmt.Errorf("load custom schema: %s", jsonError(customJSON, err))
		}
		if saved.Version != savedVersion {
			return nil, fmt.Errorf("load custom schema: version %d, want %d", saved.Version, savedVersion)
		}
		for i, a := range saved.Additions {
			if _, err := st.add(a); err != nil {
				return nil, fmt.Errorf("load custom schema: addition %d: %w", i+1, err)
			}
		}
		if err := st.link(); err != nil {
			return nil, fmt.Errorf("load custom schema: %w", err)
		}
	}
	s := &Schema{}
	s.state.Store(st)
	return s, nil
}

const savedVersion = 1

// savedSchema is the shape of CustomJSON.
type savedSchema struct {
	Version   int               `json:"version"`
	Additions []json.RawMessage `json:"additions"`
}

// CustomJSON returns the custom additions made to the schema, for Load to
// apply again: {"version":1,"additions":[…]}, each addition a compact
// describe of a new custom object or of the custom fields added to an
// existing object, with the key prefixes that were assigned.
func (s *Schema) CustomJSON() []byte {
	st := s.current()
	b := []byte(`{"version":1,"additions":[`)
	for i, a := range st.additions {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '\n')
		b = append(b, bytes.TrimSpace(a)...)
	}
	return append(b, "]}\n"...)
}

// Object returns the object with the given API name, compared
// case-insensitively, or nil.
func (s *Schema) Object(name string) *Object {
	return s.current().byName[strings.ToLower(name)]
}

// ObjectByKeyPrefix returns the object whose Ids start with prefix ("001"
// → Account), or nil.
func (s *Schema) ObjectByKeyPrefix(prefix string) *Object {
	return s.current().byPrefix[prefix]
}

// Objects returns all objects sorted by name, case-insensitively.
func (s *Schema) Objects() []*Object {
	return slices.Clone(s.current().objects)
}

// AddCustom adds what a describe-shaped file defines (`sfsync localorg
// schema add FILE`): one object, or a JSON list of objects applied in order.
// A file may be a compact describe or one saved from a real org.
//
// An object whose name ends in __c and is not in the schema yet is a new
// custom object: it gets the next free key prefix (a00, a01, … in creation
// order) unless the file gives one, and the system fields Salesforce gives
// every custom object (Id, OwnerId, IsDeleted, Name, CreatedDate,
// CreatedById, LastModifiedDate, LastModifiedById, SystemModstamp,
// LastViewedDate, LastReferencedDate) that the file leaves out; a detail
// object (one with a master-detail field) and a custom setting have no
// OwnerId. Its other fields must be custom (__c).
//
// An object already in the schema, standard or custom, gets the custom
// fields of the file that it does not have yet; a custom field it has must
// be given unchanged. Standard fields it has are ignored, those it does
// not have are skipped and listed in Change.Skipped (only custom fields
// can be added), and its own properties are kept.
//
// Custom references must point at objects in the schema. Child
// relationships are recomputed across all objects, so a lookup to Account
// appears in Account's describe. Either everything in the file is added or,
// on error, nothing.
func (s *Schema) AddCustom(describeJSON []byte) ([]Change, error) {
	var items []json.RawMessage
	trimmed := bytes.TrimSpace(describeJSON)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, fmt.Errorf("add to schema: %s", jsonError(trimmed, err))
		}
	} else {
		items = []json.RawMessage{trimmed}
	}
	if len(items) == 0 {
		return nil, errors.New("add to schema: no objects")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.current()
	st, err := cur.rebuild()
	if err != nil {
		return nil, fmt.Errorf("add to schema: %w", err)
	}
	var changes []Change
	for _, item := range items {
		c, err := st.add(item)
		if err != nil {
			return nil, fmt.Errorf("add to schema: %w", err)
		}
		changes = append(changes, c)
	}
	if err := st.link(); err != nil {
		return nil, fmt.Errorf("add to schema: %w", err)
	}
	for i := range changes {
		// Hand out the linked objects (link leaves object identity alone,
		// but be explicit about which object callers get).
		changes[i].Object = st.byName[strings.ToLower(changes[i].Object.Name)]
	}
	s.state.Store(st)
	return changes, nil
}

// current returns the published state, the standard one for a zero Schema.
func (s *Schema) current() *state {
	if st := s.state.Load(); st != nil {
		return st
	}
	s.state.CompareAndSwap(nil, standardState())
	return s.state.Load()
}

// rebuild returns a fresh, unpublished copy of the state by applying its
// additions to the standard objects again: published objects are never
// changed.
func (st *state) rebuild() (*state, error) {
	n := standardState()
	for i, a := range st.additions {
		if _, err := n.add(a); err != nil {
			return nil, fmt.Errorf("replaying addition %d: %w", i+1, err)
		}
	}
	return n, nil
}

// add applies one describe-shaped object to an unpublished state and
// records the addition. link must run before the state is published.
func (st *state) add(data []byte) (Change, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		return Change{}, fmt.Errorf("want a describe object: %s", jsonError(data, err))
	}
	var name string
	if err := decodeString(top["name"], &name); err != nil || name == "" {
		return Change{}, errors.New(`describe: missing "name" of the object`)
	}
	if existing := st.byName[strings.ToLower(name)]; existing != nil {
		c, err := st.addFields(existing, top)
		if err != nil {
			return Change{}, fmt.Errorf("%s: %w", existing.Name, err)
		}
		return c, nil
	}
	if !strings.HasSuffix(name, "__c") {
		return Change{}, fmt.Errorf("%s: no such object; custom objects end in __c", name)
	}
	o, err := parseObject(name, top)
	if err != nil {
		return Change{}, fmt.Errorf("describe %s: %w", name, err)
	}
	if err := st.addObject(o); err != nil {
		return Change{}, fmt.Errorf("%s: %w", name, err)
	}
	return Change{Object: o, Created: true, Fields: slices.Clone(o.Fields)}, nil
}

// addObject adds a new custom object.
func (st *state) addObject(o *Object) error {
	o.Custom = true
	for _, f := range o.Fields {
		if !f.Custom && !customObjectStandardFields[f.Name] {
			return fmt.Errorf("field %s: custom fields end in __c (the standard fields of a custom object are %s)",
				f.Name, strings.Join(slices.Sorted(maps.Keys(customObjectStandardFields)), ", "))
		}
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = st.nextPrefix()
	} else if other := st.byPrefix[o.KeyPrefix]; other != nil {
		return fmt.Errorf("keyPrefix %s is already %s's", o.KeyPrefix, other.Name)
	}
	// Record the addition as given (plus its key prefix), so that Load
	// gives later versions' system fields to it.
	st.additions = append(st.additions, compactObject(o, nil))
	addSystemFields(o)
	o.index()
	st.insert(o)
	return nil
}

// customObjectStandardFields are the fields without __c a custom object's
// describe may have: its system fields, and those Salesforce adds with
// record types, activities, custom settings and Salesforce to Salesforce.
var customObjectStandardFields = map[string]bool{
	"Id": true, "OwnerId": true, "IsDeleted": true, "Name": true, "RecordTypeId": true,
	"CreatedDate": true, "CreatedById": true, "LastModifiedDate": true, "LastModifiedById": true,
	"SystemModstamp": true, "LastActivityDate": true, "LastViewedDate": true, "LastReferencedDate": true,
	"SetupOwnerId": true, "ConnectionReceivedId": true, "ConnectionSentId": true,
}

// addFields adds the custom fields of top to an existing object, in a new
// Object value.
func (st *state) addFields(existing *Object, top map[string]json.RawMessage) (Change, error) {
	var fields []map[string]json.RawMessage
	if raw, ok := top["fields"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &fields); err != nil {
			return Change{}, fmt.Errorf("fields: want a list of field objects, got %s", abbreviate(raw))
		}
	}
	o := copyObject(existing)
	var added []*Field
	var skipped []string
	for i, fm := range fields {
		f, err := parseField(o, fm)
		if err != nil {
			if f == nil {
				return Change{}, fmt.Errorf("fields[%d]: %w", i, err)
			}
			return Change{}, fmt.Errorf("field %s: %w", f.Name, err)
		}
		if have := o.Field(f.Name); have != nil {
			if have.Custom && !bytes.Equal(jsonw.AppendCompact(nil, compactField(o, have)), jsonw.AppendCompact(nil, compactField(o, f))) {
				return Change{}, fmt.Errorf("field %s already exists with a different definition", have.Name)
			}
			continue // a field it has: standard, or custom and unchanged
		}
		if !f.Custom {
			skipped = append(skipped, f.Name)
			continue
		}
		o.Fields = append(o.Fields, f)
		o.index()
		added = append(added, f)
	}
	if err := checkRelationshipNames(o); err != nil {
		return Change{}, err
	}
	if len(added) > 0 {
		st.additions = append(st.additions, compactObject(o, added))
	}
	st.insert(o)
	return Change{Object: o, Fields: added, Skipped: skipped}, nil
}

// copyObject returns a copy of o whose field list can grow without
// touching o. Fields are shared: they are never changed once published.
func copyObject(o *Object) *Object {
	c := *o
	c.Fields = slices.Clone(o.Fields)
	c.ChildRelationships = nil
	c.index()
	return &c
}

// insert puts o into the state, replacing an object of the same name.
func (st *state) insert(o *Object) {
	k := strings.ToLower(o.Name)
	if old := st.byName[k]; old != nil {
		st.objects[slices.Index(st.objects, old)] = o
	} else {
		st.objects = append(st.objects, o)
		sort.SliceStable(st.objects, func(i, j int) bool {
			return strings.ToLower(st.objects[i].Name) < strings.ToLower(st.objects[j].Name)
		})
	}
	st.byName[k] = o
	if o.KeyPrefix != "" {
		st.byPrefix[o.KeyPrefix] = o
	}
}

// prefixDigits orders the characters of a key prefix as Salesforce's
// base-62 Ids do.
const prefixDigits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// nextPrefix returns the first free custom object key prefix: a00, a01, …,
// a0z, a10, … The org assigns them in creation order.
func (st *state) nextPrefix() string {
	for _, c1 := range prefixDigits {
		for _, c2 := range prefixDigits {
			p := "a" + string(c1) + string(c2)
			if st.byPrefix[p] == nil {
				return p
			}
		}
	}
	return "" // 3844 custom objects: more than any org may have
}

// link computes every object's child relationships from the reference
// fields of all objects, checks that custom references point at objects in
// the schema, gives custom references the target's spelling, and lists the
// objects with record types in RecordType.SobjectType.
func (st *state) link() error {
	for _, o := range st.objects {
		o.ChildRelationships = nil
	}
	for _, o := range st.objects {
		for _, f := range o.Fields {
			if f.Type != TypeReference {
				continue
			}
			for i, target := range f.ReferenceTo {
				parent := st.byName[strings.ToLower(target)]
				if parent == nil {
					if f.Custom {
						return fmt.Errorf("field %s.%s: referenceTo %s: no such object", o.Name, f.Name, target)
					}
					continue // a standard reference to an object we do not emulate
				}
				if f.Custom {
					f.ReferenceTo[i] = parent.Name
				}
				if f.notChild {
					continue
				}
				parent.ChildRelationships = append(parent.ChildRelationships, ChildRelationship{
					ChildSObject:     o.Name,
					Field:            f.Name,
					RelationshipName: f.ChildRelationshipName,
					CascadeDelete:    f.DeleteRule == Cascade,
					RestrictedDelete: f.DeleteRule == Restrict,
				})
			}
		}
	}
	for _, o := range st.objects {
		sort.SliceStable(o.ChildRelationships, func(i, j int) bool {
			a, b := o.ChildRelationships[i], o.ChildRelationships[j]
			if a.ChildSObject != b.ChildSObject {
				return a.ChildSObject < b.ChildSObject
			}
			return a.Field < b.Field
		})
		seen := map[string]ChildRelationship{}
		for _, cr := range o.ChildRelationships {
			if cr.RelationshipName == "" {
				continue
			}
			k := strings.ToLower(cr.RelationshipName)
			if other, dup := seen[k]; dup {
				return fmt.Errorf("%s: child relationship name %s is used by both %s.%s and %s.%s; give one of them another childRelationshipName",
					o.Name, cr.RelationshipName, other.ChildSObject, other.Field, cr.ChildSObject, cr.Field)
			}
			seen[k] = cr
		}
	}
	st.listRecordTypeObjects()
	return nil
}

// listRecordTypeObjects makes RecordType.SobjectType a picklist of the
// objects that have record types, custom ones included.
func (st *state) listRecordTypeObjects() {
	rt := st.byName["recordtype"]
	if rt == nil {
		return
	}
	f := rt.Field("SobjectType")
	if f == nil {
		return
	}
	var values []PicklistValue
	for _, o := range st.objects {
		if len(o.RecordTypeInfos) > 0 {
			values = append(values, PicklistValue{Value: o.Name, Label: o.Label, Active: true})
		}
	}
	nf := *f
	nf.PicklistValues = values
	for i, g := range rt.Fields {
		if g == f {
			rt.Fields[i] = &nf
		}
	}
	rt.index()
}
