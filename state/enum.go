package state

import "fmt"

// API is the Bulk API a journaled job belongs to. The zero value is invalid.
type API int

const (
	_ API = iota
	// Bulk1 is Bulk API 1.0 (/services/async/…, jobs with batches).
	Bulk1
	// Bulk2 is Bulk API 2.0 (/services/data/vXX.X/jobs/ingest).
	Bulk2
	apiEnd
)

var apiNames = [...]string{Bulk1: "bulk1", Bulk2: "bulk2"}

func (a API) String() string {
	if a <= 0 || a >= apiEnd {
		return fmt.Sprintf("API(%d)", int(a))
	}
	return apiNames[a]
}

// MarshalText writes the API's name; an invalid API is an error.
func (a API) MarshalText() ([]byte, error) {
	if a <= 0 || a >= apiEnd {
		return nil, fmt.Errorf("invalid API %d", int(a))
	}
	return []byte(apiNames[a]), nil
}

// UnmarshalText reads an API's name.
func (a *API) UnmarshalText(b []byte) error {
	for v := Bulk1; v < apiEnd; v++ {
		if apiNames[v] == string(b) {
			*a = v
			return nil
		}
	}
	return fmt.Errorf("unknown Bulk API %q (want bulk1 or bulk2)", b)
}

// Operation is a Bulk job's operation. The zero value is invalid.
type Operation int

const (
	_ Operation = iota
	OpInsert
	OpUpdate
	OpUpsert
	OpDelete
	OpHardDelete
	operationEnd
)

// The names are Salesforce's own operation names.
var operationNames = [...]string{
	OpInsert:     "insert",
	OpUpdate:     "update",
	OpUpsert:     "upsert",
	OpDelete:     "delete",
	OpHardDelete: "hardDelete",
}

func (o Operation) String() string {
	if o <= 0 || o >= operationEnd {
		return fmt.Sprintf("Operation(%d)", int(o))
	}
	return operationNames[o]
}

// MarshalText writes Salesforce's name of the operation.
func (o Operation) MarshalText() ([]byte, error) {
	if o <= 0 || o >= operationEnd {
		return nil, fmt.Errorf("invalid operation %d", int(o))
	}
	return []byte(operationNames[o]), nil
}

// UnmarshalText reads Salesforce's name of an operation.
func (o *Operation) UnmarshalText(b []byte) error {
	for v := OpInsert; v < operationEnd; v++ {
		if operationNames[v] == string(b) {
			*o = v
			return nil
		}
	}
	return fmt.Errorf("unknown Bulk operation %q", b)
}
