package schema

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
)

// The built-in standard objects, one compact describe per object under
// standard/objects, and the system fields of custom objects. Both are
// generated from the recorded describes by TestGenerateStandard
// (standard_test.go; go test -run TestGenerateStandard -update rewrites
// them) — edit the generator or its inputs under testdata/standard, not
// these files.
//
//go:embed standard
var standardFS embed.FS

// standardState returns a fresh state holding the built-in objects: every
// call gives new Object and Field values, copied from the parsed template.
func standardState() *state {
	tmpl := standardTemplate()
	st := &state{
		objects:  make([]*Object, len(tmpl.objects)),
		byName:   make(map[string]*Object, len(tmpl.objects)),
		byPrefix: make(map[string]*Object, len(tmpl.objects)),
	}
	for i, o := range tmpl.objects {
		c := cloneObject(o)
		st.objects[i] = c
		st.byName[strings.ToLower(c.Name)] = c
		if c.KeyPrefix != "" {
			st.byPrefix[c.KeyPrefix] = c
		}
	}
	return st
}

// standardTemplate parses and links the built-in objects once.
var standardTemplate = sync.OnceValue(func() *state {
	st := &state{byName: map[string]*Object{}, byPrefix: map[string]*Object{}}
	for _, data := range standardFiles() {
		o, err := ParseDescribe(data)
		if err != nil {
			// The files are generated and tested; a failure here is a bug
			// in this package, caught by its tests before anyone runs it.
			panic(fmt.Sprintf("schema: built-in object: %v", err))
		}
		st.insert(o)
	}
	if err := st.link(); err != nil {
		panic(fmt.Sprintf("schema: built-in objects: %v", err))
	}
	return st
})

// cloneObject copies o and its fields, so that building a new state never
// touches published values. Maps and slices that are only ever replaced,
// never changed in place, are shared.
func cloneObject(o *Object) *Object {
	c := *o
	c.Fields = make([]*Field, len(o.Fields))
	for i, f := range o.Fields {
		fc := *f
		fc.ReferenceTo = slices.Clone(f.ReferenceTo)
		c.Fields[i] = &fc
	}
	c.ChildRelationships = slices.Clone(o.ChildRelationships)
	c.index()
	return &c
}

var standardFiles = sync.OnceValue(func() [][]byte {
	entries, err := standardFS.ReadDir("standard/objects")
	if err != nil {
		panic(fmt.Sprintf("schema: built-in objects: %v", err))
	}
	var files [][]byte
	for _, e := range entries {
		data, err := standardFS.ReadFile(path.Join("standard/objects", e.Name()))
		if err != nil {
			panic(fmt.Sprintf("schema: built-in objects: %v", err))
		}
		files = append(files, data)
	}
	return files
})

// systemFields are the fields Salesforce gives every custom object, in the
// order its describes list them.
var systemFields = sync.OnceValue(func() []*Field {
	data, err := standardFS.ReadFile("standard/custom-object-system-fields.json")
	if err != nil {
		panic(fmt.Sprintf("schema: custom object system fields: %v", err))
	}
	o, err := ParseDescribe(data)
	if err != nil {
		panic(fmt.Sprintf("schema: custom object system fields: %v", err))
	}
	return o.Fields
})

func customObjectSystemField(name string) *Field {
	for _, f := range systemFields() {
		if strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

// addSystemFields gives a new custom object the system fields its file
// leaves out, in Salesforce's order, before its own fields. A detail object
// (with a master-detail field) and a custom setting have no owner; custom
// settings are not tracked as recently viewed either.
func addSystemFields(o *Object) {
	detail := false
	for _, f := range o.Fields {
		detail = detail || f.MasterDetail()
	}
	var fields []*Field
	for _, sys := range systemFields() {
		switch {
		case sys.Name == "OwnerId" && (detail || o.CustomSetting):
			continue
		case (sys.Name == "LastViewedDate" || sys.Name == "LastReferencedDate") && o.CustomSetting:
			continue
		}
		if f := o.Field(sys.Name); f != nil {
			fields = append(fields, f)
			continue
		}
		f := *sys
		f.extra = cloneRaw(sys.extra)
		f.ReferenceTo = slices.Clone(sys.ReferenceTo)
		if f.Name == "Name" {
			f.Label = o.Label + " Name"
		}
		fields = append(fields, &f)
	}
	for _, f := range o.Fields {
		if customObjectSystemField(f.Name) == nil {
			fields = append(fields, f)
		}
	}
	o.Fields = fields
}

func cloneRaw(m map[string]json.RawMessage) map[string]json.RawMessage {
	c := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
