package soql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Salesforce error codes this package returns.
const (
	CodeMalformedQuery          = "MALFORMED_QUERY"
	CodeInvalidType             = "INVALID_TYPE"
	CodeInvalidField            = "INVALID_FIELD"
	CodeInvalidFilterOperator   = "INVALID_QUERY_FILTER_OPERATOR"
	CodeFunctionalityNotEnabled = "FUNCTIONALITY_NOT_ENABLED"
	CodeInvalidTypeForOperation = "INVALID_TYPE_FOR_OPERATION"
	CodeNumberOutsideRange      = "NUMBER_OUTSIDE_VALID_RANGE"
	// CodeAPIError is what Bulk API 2.0 answers at job creation for a query
	// feature it does not run. UNCERTAIN: the recorded messages come without
	// their code; API_ERROR is the more common of the two candidates
	// (API_ERROR, INVALIDJOB) in client reports.
	CodeAPIError = "API_ERROR"
)

// Error is a query rejected the way Salesforce rejects it. Message is the
// text Salesforce puts in the error's "message", including, for compiler
// errors, the leading caret block:
//
//	"\n<query line>\n<spaces>^\nERROR at Row:1:Column:N\n<text>"
//
// How each API shows it:
//
//   - REST /query, and Bulk API 2.0 job creation: HTTP 400 with
//     [{"message": Message, "errorCode": Code}] (Bulk 2.0 writes errorCode
//     first).
//   - Bulk API 1.0: the batch fails with StateMessage().
type Error struct {
	Code    string
	Message string
	// Exception, when set, is the Bulk API 1.0 exception code that heads the
	// batch's stateMessage instead of the usual
	// "InvalidBatch : Failed to process query: CODE: message" (Salesforce
	// says "FeatureNotEnabled : Aggregate Relationships not supported…").
	Exception string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// StateMessage returns the Bulk API 1.0 batch stateMessage for the error, for
// example "InvalidBatch : Failed to process query: INVALID_FIELD: …".
func (e *Error) StateMessage() string {
	if e.Exception != "" {
		return e.Exception + " : " + e.Message
	}
	return "InvalidBatch : Failed to process query: " + e.Code + ": " + e.Message
}

// errorAt builds an error whose message carries Salesforce's caret block
// pointing at pos in src.
func errorAt(src string, pos Pos, code, format string, args ...any) *Error {
	return &Error{Code: code, Message: caret(src, pos) + fmt.Sprintf(format, args...)}
}

// The caret block shows the part of the query's line around the error.
// Salesforce cuts long lines: the recorded INVALID_TYPE message for
// "SELECT Id,Name,BillingCity,IsDeleted FROM Accout" shows only
// "Name,BillingCity,IsDeleted FROM Accout" with the caret under column 43,
// and other public reports show a window of about 32 characters either side
// of the error, widened to whole names and without spaces at either end.
// UNCERTAIN: that is the rule inferred from those reports, not a documented
// one.
const caretWindow = 32

// caret returns "\n<line excerpt>\n<spaces>^\nERROR at Row:R:Column:C\n".
// Rows and columns count from 1, columns in characters.
func caret(src string, pos Pos) string {
	p := int(pos)
	if p > len(src) {
		p = len(src)
	}
	if p < 0 {
		p = 0
	}
	lineStart := strings.LastIndexByte(src[:p], '\n') + 1
	lineEnd := strings.IndexByte(src[p:], '\n')
	if lineEnd < 0 {
		lineEnd = len(src)
	} else {
		lineEnd += p
	}
	row := strings.Count(src[:lineStart], "\n") + 1
	line := []rune(strings.TrimSuffix(src[lineStart:lineEnd], "\r"))
	col := utf8.RuneCountInString(src[lineStart:p])
	if col > len(line) {
		col = len(line)
	}

	from := max(col-caretWindow, 0)
	for from > 0 && from < len(line) && isWordRune(line[from-1]) && isWordRune(line[from]) {
		from--
	}
	to := min(col+caretWindow, len(line))
	for to < len(line) && to > 0 && isWordRune(line[to-1]) && isWordRune(line[to]) {
		to++
	}
	for from < col && line[from] == ' ' {
		from++
	}
	for to > col+1 && line[to-1] == ' ' {
		to--
	}
	var b strings.Builder
	b.WriteString("\n")
	b.WriteString(string(line[from:to]))
	b.WriteString("\n")
	b.WriteString(strings.Repeat(" ", col-from))
	fmt.Fprintf(&b, "^\nERROR at Row:%d:Column:%d\n", row, col+1)
	return b.String()
}

func isWordRune(r rune) bool {
	return r == '_' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
}

// The texts below are Salesforce's. Where no recording exists the comment
// says UNCERTAIN.

func errUnexpected(src string, pos Pos, token string) *Error {
	// Newer orgs quote the token ("unexpected token: '<EOF>'"); older ones
	// did not. UNCERTAIN: quoting and the absence of a trailing period.
	return errorAt(src, pos, CodeMalformedQuery, "unexpected token: '%s'", token)
}

func errUnknownObject(src string, pos Pos, name string) *Error {
	// Recorded (rest/error-invalid-type-soql-v59.json).
	return errorAt(src, pos, CodeInvalidType,
		"sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", name)
}

func errNoSuchColumn(src string, pos Pos, field, object string) *Error {
	// Real (reported in many client issues with the caret block).
	return errorAt(src, pos, CodeInvalidField,
		"No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", field, object)
}

func errNoSuchRelationship(src string, pos Pos, rel string) *Error {
	// Real wording for an unknown relationship in a field path.
	return errorAt(src, pos, CodeInvalidField,
		"Didn't understand relationship '%s' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.", rel)
}
