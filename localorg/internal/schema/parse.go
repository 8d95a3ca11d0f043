package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
)

// ParseDescribe reads one object from describe-shaped JSON: the body of a
// real GET /sobjects/{Object}/describe, or a compact file that gives only
// what differs from Salesforce's defaults. Only "name" is required on the
// object and "name" and "type" on each field; every other property a file
// leaves out takes the value Salesforce gives it (soapType from the type,
// byteLength three times the length of text fields, nillable unless the
// type cannot be null, …).
//
// Besides the describe's own properties a field may carry three sfsync
// extensions, which say what the parent's describe lists about the
// relationship the field defines:
//
//	"childRelationshipName": "Contacts"   the parent's name for it (custom
//	                                      references default to the
//	                                      object's plural label + "__r")
//	"deleteConstraint": "Cascade"         or "Restrict" or "SetNull"; by
//	                                      default from cascadeDelete,
//	                                      restrictedDelete and
//	                                      relationshipOrder
//	"childRelationship": false            the parent does not list it
//
// Properties this package does not model are kept and rendered back as
// given. The object is validated: names, types, duplicate fields and
// relationship names, references without a target, custom references
// without a relationshipName.
func ParseDescribe(data []byte) (*Object, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		return nil, fmt.Errorf("describe: want a JSON object: %v", jsonError(data, err))
	}
	var name string
	if err := decodeString(top["name"], &name); err != nil || name == "" {
		return nil, errors.New(`describe: missing "name" of the object`)
	}
	o, err := parseObject(name, top)
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", name, err)
	}
	return o, nil
}

var apiNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*(__[A-Za-z0-9]+(_[A-Za-z0-9]+)*)*$`)

// checkName reports whether name is a well-formed API name: a letter, then
// letters, digits and single underscores, with "__" only before a suffix or
// after a namespace prefix (ns__Widget__c).
func checkName(name string) error {
	if !apiNameRE.MatchString(name) {
		return fmt.Errorf("bad name %q: an API name starts with a letter and has letters, digits and underscores (no trailing or tripled underscores)", name)
	}
	return nil
}

func parseObject(name string, top map[string]json.RawMessage) (*Object, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	o := &Object{Name: name, extra: map[string]json.RawMessage{}}
	special := map[string]bool{"name": true, "fields": true, "childRelationships": true, "recordTypeInfos": true, "urls": true}
	for k, raw := range top {
		if !special[k] {
			if p := objectPropIndex[k]; p == nil || p.set == nil {
				o.extra[k] = raw
			}
		}
	}
	for i := range objectProps {
		p := &objectProps[i]
		if p.set == nil {
			continue
		}
		raw, ok := top[p.key]
		if !ok {
			raw = jsonw.AppendCompact(nil, p.def(o))
		}
		if err := p.set(o, raw); err != nil {
			return nil, fmt.Errorf("%s: %w", p.key, err)
		}
	}
	if o.KeyPrefix != "" && !validPrefix(o.KeyPrefix) {
		return nil, fmt.Errorf("keyPrefix: %q is not 3 letters or digits", o.KeyPrefix)
	}

	if raw, ok := top["fields"]; ok && string(raw) != "null" {
		var fields []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, fmt.Errorf("fields: want a list of field objects, got %s", abbreviate(raw))
		}
		seen := map[string]bool{}
		for i, fm := range fields {
			f, err := parseField(o, fm)
			if err != nil {
				if f == nil {
					return nil, fmt.Errorf("fields[%d]: %w", i, err)
				}
				return nil, fmt.Errorf("field %s: %w", f.Name, err)
			}
			if seen[strings.ToLower(f.Name)] {
				return nil, fmt.Errorf("field %s: duplicate field", f.Name)
			}
			seen[strings.ToLower(f.Name)] = true
			o.Fields = append(o.Fields, f)
		}
	}
	if err := checkRelationshipNames(o); err != nil {
		return nil, err
	}

	if raw, ok := top["childRelationships"]; ok && string(raw) != "null" {
		crs, err := parseChildRelationships(raw)
		if err != nil {
			return nil, fmt.Errorf("childRelationships: %w", err)
		}
		o.ChildRelationships = crs
	}

	if raw, ok := top["recordTypeInfos"]; ok && string(raw) != "null" {
		rts, err := parseRecordTypeInfos(raw)
		if err != nil {
			return nil, fmt.Errorf("recordTypeInfos: %w", err)
		}
		o.RecordTypeInfos = rts
	} else if !ok {
		o.RecordTypeInfos = defaultRecordTypes(o)
	}

	if raw, ok := top["urls"]; ok && string(raw) != "null" {
		urls, err := parseURLs(raw)
		if err != nil {
			return nil, fmt.Errorf("urls: %w", err)
		}
		o.urls = urls
	} else {
		o.urls = defaultURLs(o)
	}
	o.index()
	return o, nil
}

func defaultRecordTypes(o *Object) []RecordTypeInfo {
	if o.CustomSetting {
		return nil
	}
	return []RecordTypeInfo{masterRecordType()}
}

func parseField(o *Object, fm map[string]json.RawMessage) (*Field, error) {
	f := &Field{extra: map[string]json.RawMessage{}}
	if err := decodeString(fm["name"], &f.Name); err != nil || f.Name == "" {
		return nil, errors.New(`missing "name"`)
	}
	if err := checkName(f.Name); err != nil {
		return f, err
	}
	var typ string
	if err := decodeString(fm["type"], &typ); err != nil || typ == "" {
		return f, errors.New(`missing "type"`)
	}
	t, ok := parseFieldType(typ)
	if !ok {
		return f, fmt.Errorf("unknown type %q", typ)
	}
	f.Type = t
	for k, raw := range fm {
		if p := fieldPropIndex[k]; p == nil || p.get == nil {
			f.extra[k] = raw
		}
	}
	for i := range fieldProps {
		p := &fieldProps[i]
		if p.set == nil {
			continue
		}
		raw, ok := fm[p.key]
		if !ok {
			raw = jsonw.AppendCompact(nil, p.def(o, f))
		}
		if err := p.set(f, raw); err != nil {
			return f, fmt.Errorf("%s: %w", p.key, err)
		}
	}
	return f, checkField(f)
}

// checkField validates what a describe cannot mean.
func checkField(f *Field) error {
	switch {
	case f.Length < 0 || f.ByteLength < 0 || f.Precision < 0 || f.Scale < 0 || f.Digits < 0:
		return errors.New("length, byteLength, precision, scale and digits cannot be negative")
	case f.Type.isText() && f.Length == 0:
		return fmt.Errorf("a %s field needs a length", f.Type)
	case f.Scale > f.Precision && f.Precision > 0:
		return fmt.Errorf("scale %d is larger than precision %d", f.Scale, f.Precision)
	}
	if f.Type == TypeReference {
		if len(f.ReferenceTo) == 0 {
			return errors.New("a reference field needs referenceTo (the objects it points to)")
		}
		for _, t := range f.ReferenceTo {
			if err := checkName(t); err != nil {
				return fmt.Errorf("referenceTo: %w", err)
			}
		}
		// Salesforce has standard references without a relationship name
		// (Opportunity.ContactId); a custom one always has one.
		if f.Custom && f.RelationshipName == "" {
			return fmt.Errorf("a custom reference field needs a relationshipName (for example %q)", strings.TrimSuffix(f.Name, "__c")+"__r")
		}
	} else if len(f.ReferenceTo) > 0 {
		return fmt.Errorf("referenceTo is only for reference fields, not %s", f.Type)
	}
	if f.RelationshipName != "" {
		if err := checkName(f.RelationshipName); err != nil {
			return fmt.Errorf("relationshipName: %w", err)
		}
	}
	if f.ChildRelationshipName != "" {
		if err := checkName(f.ChildRelationshipName); err != nil {
			return fmt.Errorf("childRelationshipName: %w", err)
		}
	}
	seen := map[string]bool{}
	defaults := 0
	for _, v := range f.PicklistValues {
		if seen[v.Value] {
			return fmt.Errorf("picklist value %q listed twice", v.Value)
		}
		seen[v.Value] = true
		if v.DefaultValue {
			defaults++
		}
	}
	if defaults > 1 && f.Type != TypeMultiPicklist {
		return errors.New("a picklist has at most one default value")
	}
	return nil
}

// checkRelationshipNames refuses two references with the same
// relationshipName: Account.Name columns must name one field.
func checkRelationshipNames(o *Object) error {
	seen := map[string]string{}
	for _, f := range o.Fields {
		if f.RelationshipName == "" {
			continue
		}
		k := strings.ToLower(f.RelationshipName)
		if other, dup := seen[k]; dup {
			return fmt.Errorf("fields %s and %s have the same relationshipName %q", other, f.Name, f.RelationshipName)
		}
		seen[k] = f.Name
	}
	return nil
}

func parseChildRelationships(raw json.RawMessage) ([]ChildRelationship, error) {
	var entries []struct {
		CascadeDelete       bool     `json:"cascadeDelete"`
		ChildSObject        string   `json:"childSObject"`
		DeprecatedAndHidden bool     `json:"deprecatedAndHidden"`
		Field               string   `json:"field"`
		JunctionIDListNames []string `json:"junctionIdListNames"`
		JunctionReferenceTo []string `json:"junctionReferenceTo"`
		RelationshipName    *string  `json:"relationshipName"`
		RestrictedDelete    bool     `json:"restrictedDelete"`
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("want a list of child relationships: %v", err)
	}
	out := make([]ChildRelationship, len(entries))
	for i, e := range entries {
		if e.ChildSObject == "" || e.Field == "" {
			return nil, fmt.Errorf("entry %d: childSObject and field are required", i)
		}
		cr := ChildRelationship{
			ChildSObject: e.ChildSObject, Field: e.Field,
			CascadeDelete: e.CascadeDelete, RestrictedDelete: e.RestrictedDelete,
			DeprecatedAndHidden: e.DeprecatedAndHidden,
			JunctionIDListNames: e.JunctionIDListNames, JunctionReferenceTo: e.JunctionReferenceTo,
		}
		if e.RelationshipName != nil {
			cr.RelationshipName = *e.RelationshipName
		}
		out[i] = cr
	}
	return out, nil
}

func parseRecordTypeInfos(raw json.RawMessage) ([]RecordTypeInfo, error) {
	var entries []struct {
		Active                   *bool   `json:"active"`
		Available                *bool   `json:"available"`
		DefaultRecordTypeMapping bool    `json:"defaultRecordTypeMapping"`
		DeveloperName            *string `json:"developerName"`
		Master                   bool    `json:"master"`
		Name                     string  `json:"name"`
		RecordTypeID             string  `json:"recordTypeId"`
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("want a list of record type infos: %v", err)
	}
	out := make([]RecordTypeInfo, len(entries))
	for i, e := range entries {
		if e.Name == "" || e.RecordTypeID == "" {
			return nil, fmt.Errorf("entry %d: name and recordTypeId are required", i)
		}
		rt := RecordTypeInfo{
			Name: e.Name, DeveloperName: apiName(e.Name), RecordTypeID: e.RecordTypeID,
			Active: true, Available: true,
			DefaultRecordTypeMapping: e.DefaultRecordTypeMapping, Master: e.Master,
		}
		if e.DeveloperName != nil {
			rt.DeveloperName = *e.DeveloperName
		}
		if e.Active != nil {
			rt.Active = *e.Active
		}
		if e.Available != nil {
			rt.Available = *e.Available
		}
		out[i] = rt
	}
	return out, nil
}

// jsonError describes why data is not the JSON wanted, with the offset of a
// syntax error.
func jsonError(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:se.Offset], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, se)
	}
	if err == nil {
		return "got null"
	}
	return err.Error()
}

func validPrefix(p string) bool {
	if len(p) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if !isBase62(p[i]) {
			return false
		}
	}
	return true
}

func isBase62(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}
