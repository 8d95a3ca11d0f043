package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/agext/levenshtein"

	"github.com/sfsync/sfsync/bulk"
)

// FieldTypeOf maps a describe field type ("double", "reference", …) onto
// the FieldType sfsync reads, compares and writes it as. Types sfsync cannot
// write through the Bulk API (base64, address, location, anyType,
// complexvalue) have none: ok is false.
func FieldTypeOf(describeType string) (t FieldType, ok bool) {
	switch strings.ToLower(describeType) {
	case "string", "textarea", "email", "phone", "url", "combobox", "encryptedstring":
		return TypeText, true
	case "picklist":
		return TypePicklist, true
	case "multipicklist":
		return TypeMultiPicklist, true
	case "boolean":
		return TypeBoolean, true
	case "int", "long":
		return TypeInteger, true
	case "double", "currency", "percent":
		return TypeNumber, true
	case "date":
		return TypeDate, true
	case "datetime":
		return TypeDateTime, true
	case "time":
		return TypeTime, true
	case "id", "reference":
		return TypeID, true
	}
	return 0, false
}

// SpecOf is the FieldSpec of a described field: its type, length, and the
// precision and scale numbers are checked and rounded against (digits for int
// and long). ok is false for a type sfsync cannot write.
func SpecOf(f *bulk.Field) (spec FieldSpec, ok bool) {
	t, ok := FieldTypeOf(f.Type)
	if !ok {
		return FieldSpec{}, false
	}
	spec = FieldSpec{Type: t}
	switch t {
	case TypeText, TypePicklist, TypeMultiPicklist:
		spec.Length = f.Length
	case TypeInteger:
		spec.Precision = f.Digits
	case TypeNumber:
		spec.Precision, spec.Scale = f.Precision, f.Scale
	}
	return spec, true
}

// objectSchema is what planning knows of one sObject from describe.
type objectSchema struct {
	name   string // as describe spells it
	d      *bulk.SObject
	fields map[string]*bulk.Field // by lower-case name
}

func newObjectSchema(d *bulk.SObject) *objectSchema {
	s := &objectSchema{name: d.Name, d: d, fields: make(map[string]*bulk.Field, len(d.Fields))}
	for i := range d.Fields {
		f := &d.Fields[i]
		s.fields[strings.ToLower(f.Name)] = f
	}
	return s
}

// field finds a field by name, case-insensitively.
func (s *objectSchema) field(name string) *bulk.Field { return s.fields[strings.ToLower(name)] }

// relationship finds the lookup field whose relationship name is rel.
func (s *objectSchema) relationship(rel string) *bulk.Field {
	f, _ := s.d.FieldByRelationship(rel)
	return f
}

// spec is the field's FieldSpec; the field must be of a supported type.
func (s *objectSchema) spec(name string) FieldSpec {
	f := s.field(name)
	if f == nil {
		return FieldSpec{Type: TypeText}
	}
	spec, ok := SpecOf(f)
	if !ok {
		return FieldSpec{Type: TypeText}
	}
	return spec
}

// fieldNames lists the object's field names, for suggestions.
func (s *objectSchema) fieldNames() []string {
	names := make([]string, 0, len(s.d.Fields))
	for _, f := range s.d.Fields {
		names = append(names, f.Name)
	}
	return names
}

// writable reports whether a field can be written at all: createable or
// updateable.
func writable(f *bulk.Field) bool { return f.Createable || f.Updateable }

// createOnly reports whether a field can be set on insert but never changed.
func createOnly(f *bulk.Field) bool { return f.Createable && !f.Updateable }

// didYouMean returns ` Did you mean "x"?` for the name closest to given
// (case-insensitively, at most a third of its length away), or "".
func didYouMean(given string, names []string) string {
	best := closest(given, names)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// closest returns the name closest to given (case-insensitively, at most a
// third of its length away), or "".
func closest(given string, names []string) string {
	best, bestD := "", max(2, len(given)/3)+1
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	for _, n := range sorted {
		if d := levenshtein.Distance(strings.ToLower(given), strings.ToLower(n), nil); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// picklistAllows reports whether a restricted picklist accepts value:
// one of its active values, compared as Salesforce does, exactly.
func picklistAllows(f *bulk.Field, value string) bool {
	for _, p := range f.PicklistValues {
		if p.Active && p.Value == value {
			return true
		}
	}
	return false
}

// activeValues lists a picklist's active values, for messages.
func activeValues(f *bulk.Field) []string {
	var out []string
	for _, p := range f.PicklistValues {
		if p.Active {
			out = append(out, p.Value)
		}
	}
	return out
}

// keyTypeOK reports whether a field can be a key: one that SOQL can
// filter on and that names a record by a single comparable value.
func keyTypeOK(f *bulk.Field) bool {
	switch strings.ToLower(f.Type) {
	case "string", "email", "phone", "url", "picklist", "combobox", "int", "long",
		"double", "currency", "percent", "date", "datetime", "id", "reference", "boolean":
		return true
	case "textarea":
		// Long text areas cannot be filtered on in SOQL.
		return f.Length <= 255
	}
	return false
}

// withArticle puts "a" or "an" before a word, as it is said: an Account, an
// int, a User, a UnitOfMeasure, a picklist.
func withArticle(word string) string {
	lower := strings.ToLower(word)
	an := false
	switch {
	case lower == "":
	case strings.HasPrefix(lower, "u"):
		// A "u" said as "you" (User, unique, usage) takes "a".
		an = !slices.ContainsFunc([]string{"uni", "use", "usa", "usu", "uti", "ura", "uri", "uro"}, func(p string) bool { return strings.HasPrefix(lower, p) })
	case strings.HasPrefix(lower, "eu"), strings.HasPrefix(lower, "one"):
	default:
		an = strings.ContainsRune("aeio", rune(lower[0]))
	}
	if an {
		return "an " + word
	}
	return "a " + word
}
