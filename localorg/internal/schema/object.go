package schema

import (
	"encoding/json"
	"strings"
)

// Object is one sObject as its describe presents it. Objects come from
// ParseDescribe or from a Schema; treat them as read-only (a Schema never
// changes an Object it has handed out — AddCustom builds new ones).
type Object struct {
	Name        string // API name: "Account", "Widget__c"
	Label       string
	LabelPlural string
	KeyPrefix   string // the 3-character Id prefix; "" when the object has none
	Custom      bool
	// CustomSetting marks a custom setting (no record types, no owner).
	CustomSetting bool

	Createable, Updateable, Deletable, Undeletable   bool
	Queryable, Retrieveable, Searchable, Triggerable bool
	DeprecatedAndHidden                              bool

	Fields []*Field // in describe order

	// ChildRelationships are the reference fields of all objects that point
	// here. In a Schema they are computed from those fields; an Object from
	// ParseDescribe keeps the ones its describe listed.
	ChildRelationships []ChildRelationship

	// RecordTypeInfos are the record types the describe lists: the master
	// record type (012000000000000AAA) for objects that have record types,
	// none for objects that cannot have them.
	RecordTypeInfos []RecordTypeInfo

	urls  []objectURL                // names of the describe urls, see render.go
	extra map[string]json.RawMessage // describe properties not modelled above

	fieldIndex map[string]*Field // lower-case field name
	relIndex   map[string]*Field // lower-case relationshipName
}

// Field returns the field with the given API name, compared
// case-insensitively as Salesforce does, or nil.
func (o *Object) Field(name string) *Field {
	return o.fieldIndex[strings.ToLower(name)]
}

// Relationship returns the reference field whose relationshipName is name
// ("Account" for Contact.AccountId, "Parent__r" for Parent__c), compared
// case-insensitively, or nil.
func (o *Object) Relationship(name string) *Field {
	return o.relIndex[strings.ToLower(name)]
}

// ChildRelationship returns the child relationship with the given name
// ("Contacts" on Account), compared case-insensitively, or nil. Unnamed
// relationships cannot be looked up.
func (o *Object) ChildRelationship(name string) *ChildRelationship {
	for i := range o.ChildRelationships {
		cr := &o.ChildRelationships[i]
		if cr.RelationshipName != "" && strings.EqualFold(cr.RelationshipName, name) {
			return cr
		}
	}
	return nil
}

// NameField returns the field flagged nameField (Name on most objects,
// CaseNumber on Case), or nil.
func (o *Object) NameField() *Field {
	for _, f := range o.Fields {
		if f.NameField {
			return f
		}
	}
	return nil
}

// index (re)builds the lookup maps.
func (o *Object) index() {
	o.fieldIndex = make(map[string]*Field, len(o.Fields))
	o.relIndex = make(map[string]*Field)
	for _, f := range o.Fields {
		o.fieldIndex[strings.ToLower(f.Name)] = f
		if f.RelationshipName != "" {
			o.relIndex[strings.ToLower(f.RelationshipName)] = f
		}
	}
}

// Field is one field of an object, with the describe properties the engine
// works with. Properties a describe carries that are not modelled here are
// kept and rendered back unchanged.
type Field struct {
	Name     string // API name: "AccountId", "External_Id__c"
	Label    string
	Type     FieldType
	SOAPType string // "xsd:string", "tns:ID", …

	// Length is the maximum number of characters of text types (UTF-16 code
	// units, as Salesforce counts), 18 for Ids; ByteLength the bytes it may
	// take. Precision and Scale bound double/currency/percent values (Scale
	// digits after the point, Precision digits in all); Digits bounds int.
	Length, ByteLength, Precision, Scale, Digits int

	Nillable          bool // may be null
	Createable        bool // may be set on insert
	Updateable        bool // may be set on update
	DefaultedOnCreate bool // filled in by the server when not given
	Calculated        bool // formula: read-only
	AutoNumber        bool // read-only, numbered by the server

	ExternalID    bool // usable as an upsert key
	IDLookup      bool // usable to find records (upsert key, relationship columns)
	Unique        bool // no two records share a value
	CaseSensitive bool // Unique and ExternalID compare case-sensitively
	NameField     bool // the object's name field
	Custom        bool // a custom field (name ends in __c)

	// CascadeDelete and RestrictedDelete are the describe's field-level
	// flags; use DeleteRule for what a delete of the parent does.
	CascadeDelete, RestrictedDelete bool

	Filterable, Sortable, Groupable bool
	DeprecatedAndHidden             bool

	ReferenceTo           []string // target objects of a reference; more than one: polymorphic
	RelationshipName      string   // "Account", "Owner", "Parent__r"; "" for none
	PolymorphicForeignKey bool

	PicklistValues     []PicklistValue
	RestrictedPicklist bool // only the listed values are accepted

	// DefaultValue is the describe's defaultValue as decoded JSON: nil, a
	// bool, a string or a json.Number. Default returns it in stored form.
	DefaultValue any

	// CompoundFieldName names the compound field this one is part of
	// ("BillingAddress" for BillingCity, "Name" for FirstName).
	CompoundFieldName string

	// ChildRelationshipName is the name the parent gives this relationship
	// ("Contacts" for Contact.AccountId on Account); "" when unnamed. It is
	// not a field describe property: Salesforce shows it on the parent's
	// childRelationships, and a Schema computes those from it.
	ChildRelationshipName string

	// DeleteRule says what deleting a referenced parent does to records
	// that point at it through this field. Reference fields only.
	DeleteRule DeleteRule

	// notChild marks a reference the parent does not list among its child
	// relationships (MasterRecordId).
	notChild bool

	extra map[string]json.RawMessage // describe properties not modelled above
}

// Required reports whether an insert must give the field a value: not
// nillable, createable and not defaulted by the server. This is how
// Salesforce decides REQUIRED_FIELD_MISSING.
func (f *Field) Required() bool {
	return !f.Nillable && f.Createable && !f.DefaultedOnCreate
}

// Storage returns how the store keeps the field's values.
func (f *Field) Storage() Storage { return f.Type.Storage() }

// MasterDetail reports whether the field is the master side of a
// master-detail relationship: a reference with a relationshipOrder, or a
// custom reference that cascades deletes.
func (f *Field) MasterDetail() bool {
	if f.Type != TypeReference {
		return false
	}
	if raw, ok := f.extra["relationshipOrder"]; ok && string(raw) != "null" {
		return true
	}
	return f.Custom && f.CascadeDelete
}

// PicklistValue is one entry of a picklist or multipicklist field.
type PicklistValue struct {
	Value        string
	Label        string
	Active       bool
	DefaultValue bool   // the value a new record gets
	ValidFor     string // dependent picklists: base64 bitmap; "" for none
}

// ChildRelationship is a reference from another object's field to this one,
// as the parent's describe lists it.
type ChildRelationship struct {
	ChildSObject     string // the object holding the reference field
	Field            string // the reference field
	RelationshipName string // "Contacts"; "" when unnamed (no subqueries)
	CascadeDelete    bool   // deleting the parent deletes the child
	RestrictedDelete bool   // a parent with such children cannot be deleted

	DeprecatedAndHidden bool
	JunctionIDListNames []string
	JunctionReferenceTo []string
}

// MasterRecordTypeID is the Id of the master record type every object with
// record types has.
const MasterRecordTypeID = "012000000000000AAA"

// RecordTypeInfo is one record type available on an object.
type RecordTypeInfo struct {
	Name          string // "Master"
	DeveloperName string // "Master"
	RecordTypeID  string // 18-character Id
	Active        bool
	Available     bool
	// DefaultRecordTypeMapping marks the record type new records get.
	DefaultRecordTypeMapping bool
	Master                   bool
}

// masterRecordType is the record type every object with record types lists.
func masterRecordType() RecordTypeInfo {
	return RecordTypeInfo{
		Name: "Master", DeveloperName: "Master", RecordTypeID: MasterRecordTypeID,
		Active: true, Available: true, DefaultRecordTypeMapping: true, Master: true,
	}
}
