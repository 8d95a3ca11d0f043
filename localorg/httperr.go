package localorg

import (
	"net/http"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
)

// Content types as Salesforce writes them (no space before charset).
const (
	ctJSON = "application/json;charset=UTF-8"
	ctCSV  = "text/csv"
	ctXML  = "application/xml"
	ctSOAP = "text/xml; charset=utf-8"
)

// apiError is an error answered in the shape of the API that was called.
type apiError struct {
	Status int
	Code   string
	Msg    string
	// Fields, when non-nil, adds "fields" (DML errors carry it).
	Fields []string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Msg }

// Errors Salesforce answers on every REST resource.
var (
	errNotFound = &apiError{Status: http.StatusNotFound, Code: "NOT_FOUND", Msg: "The requested resource does not exist"}
	errSession  = &apiError{Status: http.StatusUnauthorized, Code: "INVALID_SESSION_ID", Msg: "Session expired or invalid"}
	errInternal = &apiError{Status: http.StatusInternalServerError, Code: "UNKNOWN_EXCEPTION", Msg: "An unexpected error occurred. Please include this ErrorId if you contact support: 0-0 (localorg)"}
)

func badRequest(code, msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Msg: msg}
}

// restErrorBody renders a REST error array. NOT_FOUND puts errorCode first
// (recorded: [{"errorCode":"NOT_FOUND","message":...}]); other errors put
// message first, with fields when the error concerns fields.
func restErrorBody(e *apiError) jsonw.Object {
	var o jsonw.Object
	if e.Code == "NOT_FOUND" {
		o = o.Add("errorCode", e.Code).Add("message", e.Msg)
	} else {
		o = o.Add("message", e.Msg).Add("errorCode", e.Code)
	}
	if e.Fields != nil {
		o = o.Add("fields", e.Fields)
	}
	return o
}

// bulk2ErrorBody renders a Bulk 2.0 error array: errorCode, then message
// (recorded for INVALIDJOBSTATE).
func bulk2ErrorBody(e *apiError) jsonw.Object {
	return jsonw.Object{}.Add("errorCode", e.Code).Add("message", e.Msg)
}
