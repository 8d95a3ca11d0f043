package soql

import "time"

// Catalog is the schema the compiler binds names against. localorg
// implements it over its store; every lookup is case-insensitive and
// returns canonical (describe) names.
type Catalog interface {
	// Object looks an object up by name.
	Object(name string) (Object, bool)
	// Field looks a field of object (a canonical name) up by its API name.
	Field(object, name string) (Field, bool)
	// Relationship looks a reference field of object up by its
	// relationship name (Account for AccountId, Owner for OwnerId,
	// Parent__r for Parent__c).
	Relationship(object, name string) (Field, bool)
}

// Object is an sObject as the compiler needs it.
type Object struct {
	Name  string // canonical API name, for example "Account"
	Table string // the SQL table holding its rows
}

// Field is a field as the compiler needs it.
type Field struct {
	Name string // canonical API name, for example "External_Id__c"
	// Type is the describe type: id, reference, string, textarea, email,
	// phone, url, picklist, combobox, encryptedstring, multipicklist,
	// boolean, int, long, double, currency, percent, date, datetime, time,
	// address, location, base64.
	Type string
	// Column is the SQL column holding the value in the storage encoding of
	// the BRIEF; empty for compound fields (address, location).
	Column string
	// ReferenceTo and RelationshipName describe a reference field.
	ReferenceTo      []string
	RelationshipName string
	// CaseSensitive makes =, IN and ORDER BY compare text exactly (the
	// describe flag; unique fields created "case sensitive").
	CaseSensitive bool
	// Filterable and Sortable are the describe flags: a field that is not
	// filterable cannot appear in WHERE, one that is not sortable cannot
	// appear in ORDER BY.
	Filterable bool
	Sortable   bool
}

// API is the interface a query arrives through; each allows a different
// subset of SOQL and words its errors differently.
type API int

const (
	_     API = iota
	REST      // /query and /queryAll
	Bulk1     // Bulk API 1.0 query batches (CSV)
	Bulk2     // Bulk API 2.0 query jobs (CSV)
)

func (a API) String() string {
	switch a {
	case REST:
		return "REST"
	case Bulk1:
		return "Bulk API 1.0"
	case Bulk2:
		return "Bulk API 2.0"
	}
	return "API(?)"
}

// Options are the circumstances a query runs in.
type Options struct {
	API API // required
	// IncludeDeleted is queryAll: soft-deleted rows (IsDeleted = 1) are
	// returned too.
	IncludeDeleted bool
	// Now and Location anchor relative dates (TODAY, LAST_N_DAYS:n): "today"
	// is Now's date in Location, the running user's time zone. A zero Now
	// means time.Now(); a nil Location means UTC.
	Now      time.Time
	Location *time.Location
	// JobObject is the object of the Bulk API 1.0 job the query batch was
	// added to; a query on another object fails with
	// INVALID_TYPE_FOR_OPERATION. Empty skips the check.
	JobObject string
}
