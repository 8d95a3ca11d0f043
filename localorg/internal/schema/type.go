package schema

import "fmt"

// FieldType is a describe field type ("string", "reference", …). The zero
// value is invalid.
type FieldType int

// The field types of the REST describe, spelled as String returns them.
const (
	_ FieldType = iota
	TypeID
	TypeString
	TypeTextArea
	TypeEmail
	TypePhone
	TypeURL
	TypePicklist
	TypeMultiPicklist
	TypeCombobox
	TypeEncryptedString
	TypeBoolean
	TypeInt
	TypeLong
	TypeDouble
	TypeCurrency
	TypePercent
	TypeDate
	TypeDateTime
	TypeTime
	TypeReference
	TypeBase64
	TypeAnyType
	TypeAddress
	TypeLocation
	TypeJSON
)

// typeInfo is what a field type implies: its REST spelling, the soapType a
// describe gives it and how the store keeps it.
type typeInfo struct {
	name     string
	soapType string
	storage  Storage
}

var typeInfos = [...]typeInfo{
	TypeID:              {"id", "tns:ID", TextColumn},
	TypeString:          {"string", "xsd:string", TextColumn},
	TypeTextArea:        {"textarea", "xsd:string", TextColumn},
	TypeEmail:           {"email", "xsd:string", TextColumn},
	TypePhone:           {"phone", "xsd:string", TextColumn},
	TypeURL:             {"url", "xsd:string", TextColumn},
	TypePicklist:        {"picklist", "xsd:string", TextColumn},
	TypeMultiPicklist:   {"multipicklist", "xsd:string", TextColumn},
	TypeCombobox:        {"combobox", "xsd:string", TextColumn},
	TypeEncryptedString: {"encryptedstring", "xsd:string", TextColumn},
	TypeBoolean:         {"boolean", "xsd:boolean", IntegerColumn},
	TypeInt:             {"int", "xsd:int", IntegerColumn},
	TypeLong:            {"long", "xsd:long", IntegerColumn},
	TypeDouble:          {"double", "xsd:double", RealColumn},
	TypeCurrency:        {"currency", "xsd:double", RealColumn},
	TypePercent:         {"percent", "xsd:double", RealColumn},
	TypeDate:            {"date", "xsd:date", TextColumn},
	TypeDateTime:        {"datetime", "xsd:dateTime", TextColumn},
	TypeTime:            {"time", "xsd:time", TextColumn},
	TypeReference:       {"reference", "tns:ID", TextColumn},
	TypeBase64:          {"base64", "xsd:base64Binary", TextColumn},
	TypeAnyType:         {"anyType", "xsd:anyType", TextColumn},
	TypeAddress:         {"address", "urn:address", NoColumn},
	TypeLocation:        {"location", "urn:location", NoColumn},
	TypeJSON:            {"json", "urn:JsonNode", TextColumn},
}

// String returns the type as the REST describe spells it ("datetime",
// "anyType").
func (t FieldType) String() string {
	if t <= 0 || int(t) >= len(typeInfos) {
		return fmt.Sprintf("FieldType(%d)", int(t))
	}
	return typeInfos[t].name
}

// SOAPType returns the soapType a describe gives fields of this type
// ("xsd:double" for currency).
func (t FieldType) SOAPType() string {
	if t <= 0 || int(t) >= len(typeInfos) {
		return ""
	}
	return typeInfos[t].soapType
}

// Storage returns how the store keeps values of this type (see the storage
// table in the project brief).
func (t FieldType) Storage() Storage {
	if t <= 0 || int(t) >= len(typeInfos) {
		return 0
	}
	return typeInfos[t].storage
}

// isText reports whether values of the type are character data limited by the
// field's length.
func (t FieldType) isText() bool {
	switch t {
	case TypeString, TypeTextArea, TypeEmail, TypePhone, TypeURL, TypePicklist,
		TypeMultiPicklist, TypeCombobox, TypeEncryptedString:
		return true
	}
	return false
}

// isNumber reports whether the type is a decimal number (double, currency,
// percent), the types with precision and scale.
func (t FieldType) isNumber() bool {
	return t == TypeDouble || t == TypeCurrency || t == TypePercent
}

// parseFieldType accepts the REST spelling of a type, and the SOAP spelling
// "ID" of the id type that Salesforce documents.
func parseFieldType(s string) (FieldType, bool) {
	if s == "ID" {
		return TypeID, true
	}
	for t := TypeID; int(t) < len(typeInfos); t++ {
		if typeInfos[t].name == s {
			return t, true
		}
	}
	return 0, false
}

// Storage is how the store keeps a field's values. The zero value is invalid.
type Storage int

// The storage classes of the localorg storage encoding.
const (
	_ Storage = iota
	// NoColumn: compound fields (address, location) are not stored; their
	// components are.
	NoColumn
	// TextColumn: a string (Ids, text, dates, datetimes, times).
	TextColumn
	// IntegerColumn: an int64 (booleans as 0/1, int, long).
	IntegerColumn
	// RealColumn: a float64 (double, currency, percent).
	RealColumn
)

func (s Storage) String() string {
	switch s {
	case NoColumn:
		return "none"
	case TextColumn:
		return "TEXT"
	case IntegerColumn:
		return "INTEGER"
	case RealColumn:
		return "REAL"
	}
	return fmt.Sprintf("Storage(%d)", int(s))
}

// DeleteRule is what deleting a parent record does to the records that point
// at it through a reference field. The zero value is invalid.
type DeleteRule int

// Delete rules, named as the Metadata API names a lookup's deleteConstraint.
const (
	_ DeleteRule = iota
	// SetNull clears the reference (a plain lookup).
	SetNull
	// Restrict refuses to delete a parent that still has such children
	// (Case.AccountId: an Account with Cases cannot be deleted).
	Restrict
	// Cascade deletes the children with the parent (Contact.AccountId,
	// master-detail fields).
	Cascade
)

func (r DeleteRule) String() string {
	switch r {
	case SetNull:
		return "SetNull"
	case Restrict:
		return "Restrict"
	case Cascade:
		return "Cascade"
	}
	return fmt.Sprintf("DeleteRule(%d)", int(r))
}

func parseDeleteRule(s string) (DeleteRule, bool) {
	for r := SetNull; r <= Cascade; r++ {
		if r.String() == s {
			return r, true
		}
	}
	return 0, false
}
