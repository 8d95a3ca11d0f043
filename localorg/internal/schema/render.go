package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
)

// RenderOptions is what a describe needs besides the object and the API
// version.
type RenderOptions struct {
	// InstanceURL is the org's base URL ("http://127.0.0.1:8765"), used for
	// the uiDetailTemplate, uiEditTemplate and uiNewRecord urls.
	InstanceURL string
	// RecordTypes are the object's record types besides Master, in the order
	// to list them; Master comes last. When one of them is the default
	// mapping, Master is not (UNCERTAIN: how Salesforce marks Master
	// available/default once other record types exist; we keep it
	// available and move only the default mapping).
	RecordTypes []RecordTypeInfo
}

// RenderDescribe returns the body of GET /services/data/v{apiVersion}/
// sobjects/{Object}/describe: compact JSON with keys sorted as Salesforce
// sorts them, every property the version's describe has (defaults for the
// ones the object does not state), urls built for the version, the child
// relationships and record types. apiVersion is "60.0".
func RenderDescribe(o *Object, apiVersion string, opt RenderOptions) ([]byte, error) {
	v, err := parseVersion(apiVersion)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	for i := range objectProps {
		p := &objectProps[i]
		if v >= p.since {
			m[p.key] = objectValue(o, p)
		}
	}
	for k, raw := range o.extra {
		if objectPropIndex[k] == nil {
			m[k] = raw // properties we do not know, kept as given
		}
	}
	fields := make([]any, len(o.Fields))
	for i, f := range o.Fields {
		fields[i] = renderField(o, f, v)
	}
	m["fields"] = fields
	crs := make([]any, len(o.ChildRelationships))
	for i, cr := range o.ChildRelationships {
		crs[i] = jsonw.Object{
			{Key: "cascadeDelete", Value: cr.CascadeDelete},
			{Key: "childSObject", Value: cr.ChildSObject},
			{Key: "deprecatedAndHidden", Value: cr.DeprecatedAndHidden},
			{Key: "field", Value: cr.Field},
			{Key: "junctionIdListNames", Value: nonNil(cr.JunctionIDListNames)},
			{Key: "junctionReferenceTo", Value: nonNil(cr.JunctionReferenceTo)},
			{Key: "relationshipName", Value: nullable(cr.RelationshipName)},
			{Key: "restrictedDelete", Value: cr.RestrictedDelete},
		}
	}
	m["childRelationships"] = crs
	m["recordTypeInfos"] = renderRecordTypes(o, apiVersion, v, opt.RecordTypes)
	m["urls"] = renderURLs(o, apiVersion, opt.InstanceURL, false)
	return jsonw.AppendCompact(nil, m), nil
}

func renderField(o *Object, f *Field, v int) map[string]any {
	m := make(map[string]any, len(fieldProps))
	for i := range fieldProps {
		p := &fieldProps[i]
		if !p.ext && v >= p.since {
			m[p.key] = fieldValue(o, f, p)
		}
	}
	for k, raw := range f.extra {
		if fieldPropIndex[k] == nil {
			m[k] = raw
		}
	}
	return m
}

func renderRecordTypes(o *Object, ver string, v int, extra []RecordTypeInfo) []any {
	if len(o.RecordTypeInfos) == 0 {
		return []any{}
	}
	rts := append(append([]RecordTypeInfo(nil), extra...), o.RecordTypeInfos...)
	otherDefault := false
	for _, rt := range extra {
		otherDefault = otherDefault || rt.DefaultRecordTypeMapping
	}
	out := make([]any, len(rts))
	for i, rt := range rts {
		if rt.Master && otherDefault {
			rt.DefaultRecordTypeMapping = false
		}
		e := jsonw.Object{
			{Key: "active", Value: rt.Active},
			{Key: "available", Value: rt.Available},
			{Key: "defaultRecordTypeMapping", Value: rt.DefaultRecordTypeMapping},
		}
		// developerName appeared in API 43.0.
		if v >= 43 {
			e = append(e, jsonw.Member{Key: "developerName", Value: rt.DeveloperName})
		}
		e = append(e,
			jsonw.Member{Key: "master", Value: rt.Master},
			jsonw.Member{Key: "name", Value: rt.Name},
			jsonw.Member{Key: "recordTypeId", Value: rt.RecordTypeID},
			jsonw.Member{Key: "urls", Value: jsonw.Object{{Key: "layout", Value: "/services/data/v" + ver + "/sobjects/" + o.Name + "/describe/layouts/" + rt.RecordTypeID}}},
		)
		out[i] = e
	}
	return out
}

// RenderGlobal returns the body of GET /services/data/v{apiVersion}/sobjects:
// encoding, maxBatchSize and one entry per object, sorted by name, with the
// properties the version's global describe has.
func RenderGlobal(s *Schema, apiVersion string) ([]byte, error) {
	v, err := parseVersion(apiVersion)
	if err != nil {
		return nil, err
	}
	objs := s.Objects()
	entries := make([]any, len(objs))
	for i, o := range objs {
		m := map[string]any{}
		for j := range objectProps {
			p := &objectProps[j]
			if p.global && v >= p.since {
				m[p.key] = objectValue(o, p)
			}
		}
		m["urls"] = renderURLs(o, apiVersion, "", true)
		entries[i] = m
	}
	return jsonw.AppendCompact(nil, jsonw.Object{
		{Key: "encoding", Value: "UTF-8"},
		{Key: "maxBatchSize", Value: 200},
		{Key: "sobjects", Value: entries},
	}), nil
}

// objectURL is one entry of a describe's urls: the name, and for names this
// package does not know how to build, the recorded URL with the API version
// replaced by "{version}".
type objectURL struct {
	name     string
	template string
}

// urlOrder is the order urls are inserted into the map Salesforce
// serialises; see javaHashOrder.
var urlOrder = []string{
	"compactLayouts", "rowTemplate", "approvalLayouts", "caseArticleSuggestions",
	"caseRowArticleSuggestions", "namedLayouts", "passwordUtilities", "uiDetailTemplate",
	"uiEditTemplate", "defaultValues", "listviews", "describe", "uiNewRecord", "quickActions",
	"layouts", "sobject",
}

// uiURLs are only in the object describe, not in the global describe.
var uiURLs = map[string]bool{"uiDetailTemplate": true, "uiEditTemplate": true, "uiNewRecord": true, "defaultValues": true}

// buildURL returns the URL called name for object o, or "" for names it
// does not know.
func buildURL(name string, o *Object, ver, instance string) string {
	base := "/services/data/v" + ver + "/sobjects/" + o.Name
	switch name {
	case "sobject":
		return base
	case "describe":
		return base + "/describe"
	case "rowTemplate":
		return base + "/{ID}"
	case "layouts":
		return base + "/describe/layouts"
	case "compactLayouts":
		return base + "/describe/compactLayouts"
	case "approvalLayouts":
		return base + "/describe/approvalLayouts"
	case "namedLayouts":
		return base + "/describe/namedLayouts/{LayoutName}"
	case "listviews":
		return base + "/listviews"
	case "quickActions":
		return base + "/quickActions"
	case "passwordUtilities":
		return base + "/{ID}/password"
	case "caseArticleSuggestions":
		return base + "/suggestedArticles"
	case "caseRowArticleSuggestions":
		return base + "/{ID}/suggestedArticles"
	case "defaultValues":
		return base + "/defaultValues?recordTypeId&fields"
	case "uiDetailTemplate":
		return instance + "/{ID}"
	case "uiEditTemplate":
		return instance + "/{ID}/e"
	case "uiNewRecord":
		return instance + "/" + o.KeyPrefix + "/e"
	}
	return ""
}

func renderURLs(o *Object, ver, instance string, global bool) jsonw.Object {
	templates := map[string]string{}
	var names []string
	for _, u := range o.urls {
		if global && uiURLs[u.name] {
			continue
		}
		names = append(names, u.name)
		templates[u.name] = u.template
	}
	out := make(jsonw.Object, 0, len(names))
	for _, name := range javaHashOrder(names) {
		url := buildURL(name, o, ver, instance)
		if url == "" {
			url = strings.ReplaceAll(templates[name], "{version}", ver)
		}
		out = append(out, jsonw.Member{Key: name, Value: url})
	}
	return out
}

// defaultURLs are the urls of an object whose describe does not list them:
// those of a standard object with layouts, or only the REST resources for an
// object without.
func defaultURLs(o *Object) []objectURL {
	names := []string{"sobject", "describe", "rowTemplate"}
	if raw, ok := o.extra["layoutable"]; (!ok || string(raw) == "true") && !o.CustomSetting {
		names = []string{"compactLayouts", "rowTemplate", "approvalLayouts", "uiDetailTemplate",
			"uiEditTemplate", "listviews", "describe", "uiNewRecord", "quickActions", "layouts", "sobject"}
	}
	urls := make([]objectURL, len(names))
	for i, n := range names {
		urls[i] = objectURL{name: n}
	}
	return urls
}

var versionInURL = regexp.MustCompile(`/services/data/v(\d+|xx)\.\d+/`)

func parseURLs(raw json.RawMessage) ([]objectURL, error) {
	if string(bytes.TrimSpace(raw)) == "[]" {
		return nil, nil // an emptied urls, as in trimmed recordings
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("want an object of URLs, got %s", abbreviate(raw))
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	urls := make([]objectURL, len(names))
	for i, n := range names {
		u := objectURL{name: n}
		if buildURL(n, &Object{}, "", "") == "" {
			u.template = versionInURL.ReplaceAllString(m[n], "/services/data/v{version}/")
		}
		urls[i] = u
	}
	return urls, nil
}

// javaHashOrder returns names in the order a java.util.HashMap holding them
// iterates: by bucket (the String hash spread and masked by the table
// size), then by insertion order, taken from urlOrder. Salesforce builds a
// describe's urls in such a map, which is why recorded urls come in an order
// that is neither alphabetical nor stable across objects; this reproduces
// every recorded one.
func javaHashOrder(names []string) []string {
	rank := map[string]int{}
	for i, n := range urlOrder {
		rank[n] = i
	}
	ins := append([]string(nil), names...)
	sort.SliceStable(ins, func(i, j int) bool {
		ri, okI := rank[ins[i]]
		rj, okJ := rank[ins[j]]
		switch {
		case okI && okJ:
			return ri < rj
		case okI != okJ:
			return okI
		}
		return ins[i] < ins[j]
	})
	capacity := 16
	for float64(len(ins)) > 0.75*float64(capacity) {
		capacity *= 2
	}
	bucket := func(s string) int {
		var h int32
		for _, c := range s { // Java hashes UTF-16 units; URL names are ASCII
			h = 31*h + int32(c)
		}
		u := uint32(h)
		return int((u ^ u>>16) & uint32(capacity-1))
	}
	sort.SliceStable(ins, func(i, j int) bool { return bucket(ins[i]) < bucket(ins[j]) })
	return ins
}

// parseVersion reads an API version "60.0" and returns its major number.
func parseVersion(s string) (int, error) {
	major, minor, ok := strings.Cut(s, ".")
	n, err := strconv.Atoi(major)
	if !ok || err != nil || n <= 0 || minor != "0" {
		return 0, fmt.Errorf("bad API version %q: want a version such as 60.0", s)
	}
	return n, nil
}
