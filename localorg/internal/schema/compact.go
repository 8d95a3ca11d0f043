package schema

import (
	"sort"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
)

// compactObject writes o as a compact describe-shaped file: only the
// properties whose value differs from what ParseDescribe would default them
// to, so that ParseDescribe(compactObject(o)) gives o back. The object's
// own properties come one per line, then the given fields (all of o's when
// fields is nil) one per line. Child relationships are left out: a Schema
// computes them.
func compactObject(o *Object, fields []*Field) []byte {
	if fields == nil {
		fields = o.Fields
	}
	top := jsonw.Object{{Key: "name", Value: o.Name}}
	var keys []string
	vals := map[string]any{}
	for i := range objectProps {
		p := &objectProps[i]
		if p.key == "name" {
			continue
		}
		var v any
		if p.get != nil {
			v = p.get(o)
		} else if raw, ok := o.extra[p.key]; ok {
			v = raw
		} else {
			continue
		}
		if !sameJSON(v, p.def(o)) {
			keys = append(keys, p.key)
			vals[p.key] = v
		}
	}
	for k, raw := range o.extra {
		if objectPropIndex[k] == nil {
			keys = append(keys, k)
			vals[k] = raw
		}
	}
	if rts := recordTypesJSON(o.RecordTypeInfos); !sameJSON(rts, recordTypesJSON(defaultRecordTypes(o))) {
		keys = append(keys, "recordTypeInfos")
		vals["recordTypeInfos"] = rts
	}
	if !sameURLs(o.urls, defaultURLs(o)) {
		u := jsonw.Object{}
		for _, x := range o.urls {
			u = append(u, jsonw.Member{Key: x.name, Value: x.template})
		}
		keys = append(keys, "urls")
		vals["urls"] = u
	}
	sort.Strings(keys)
	for _, k := range keys {
		top = append(top, jsonw.Member{Key: k, Value: vals[k]})
	}

	b := []byte("{\n")
	for _, e := range top {
		b = append(b, "  "...)
		b = jsonw.AppendString(b, e.Key)
		b = append(b, ": "...)
		b = jsonw.AppendCompact(b, e.Value)
		b = append(b, ",\n"...)
	}
	b = append(b, `  "fields": [`...)
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n    "...)
		b = jsonw.AppendCompact(b, compactField(o, f))
	}
	if len(fields) > 0 {
		b = append(b, "\n  "...)
	}
	return append(b, "]\n}\n"...)
}

// compactField returns the properties of f that differ from their defaults,
// name and type first.
func compactField(o *Object, f *Field) jsonw.Object {
	out := jsonw.Object{{Key: "name", Value: f.Name}, {Key: "type", Value: f.Type.String()}}
	var keys []string
	vals := map[string]any{}
	for i := range fieldProps {
		p := &fieldProps[i]
		if p.key == "name" || p.key == "type" {
			continue
		}
		var v any
		if p.get != nil {
			v = p.get(f)
		} else if raw, ok := f.extra[p.key]; ok {
			v = raw
		} else {
			continue
		}
		if !sameJSON(v, p.def(o, f)) {
			keys = append(keys, p.key)
			vals[p.key] = v
		}
	}
	for k, raw := range f.extra {
		if fieldPropIndex[k] == nil {
			keys = append(keys, k)
			vals[k] = raw
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := vals[k]
		if k == "picklistValues" {
			v = compactPicklist(f.PicklistValues)
		}
		out = append(out, jsonw.Member{Key: k, Value: v})
	}
	return out
}

// compactPicklist leaves out of each entry what ParseDescribe defaults: a
// label equal to the value, active, not the default, no validFor.
func compactPicklist(values []PicklistValue) []any {
	out := make([]any, len(values))
	for i, v := range values {
		e := jsonw.Object{{Key: "value", Value: v.Value}}
		if v.Label != v.Value {
			e = append(e, jsonw.Member{Key: "label", Value: nullable(v.Label)})
		}
		if !v.Active {
			e = append(e, jsonw.Member{Key: "active", Value: false})
		}
		if v.DefaultValue {
			e = append(e, jsonw.Member{Key: "defaultValue", Value: true})
		}
		if v.ValidFor != "" {
			e = append(e, jsonw.Member{Key: "validFor", Value: v.ValidFor})
		}
		out[i] = e
	}
	return out
}

func recordTypesJSON(rts []RecordTypeInfo) []any {
	out := make([]any, len(rts))
	for i, rt := range rts {
		out[i] = jsonw.Object{
			{Key: "active", Value: rt.Active},
			{Key: "available", Value: rt.Available},
			{Key: "defaultRecordTypeMapping", Value: rt.DefaultRecordTypeMapping},
			{Key: "developerName", Value: rt.DeveloperName},
			{Key: "master", Value: rt.Master},
			{Key: "name", Value: rt.Name},
			{Key: "recordTypeId", Value: rt.RecordTypeID},
		}
	}
	return out
}

func sameURLs(a, b []objectURL) bool {
	if len(a) != len(b) {
		return false
	}
	as := map[objectURL]bool{}
	for _, u := range a {
		as[u] = true
	}
	for _, u := range b {
		if !as[u] {
			return false
		}
	}
	return true
}
