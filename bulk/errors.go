package bulk

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// APIError is an error answer from Salesforce: an HTTP status with the code and
// message Salesforce put in the body (REST/Bulk 2.0 error arrays, Bulk 1.0
// <error> documents, SOAP faults, OAuth error objects).
type APIError struct {
	StatusCode int      // HTTP status, 0 when the error came from a job or batch state
	Code       string   // Salesforce's code: INVALID_SESSION_ID, InvalidBatch, INVALID_LOGIN, invalid_grant, ...
	Message    string   // Salesforce's message
	Fields     []string // fields named by the error, when Salesforce gives them
	Method     string   // the request, for context ("GET")
	Path       string   // the request path without query string
}

func (e *APIError) Error() string {
	var b strings.Builder
	if e.Method != "" {
		fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	}
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "%d ", e.StatusCode)
	}
	if e.Code != "" {
		b.WriteString(e.Code)
		if e.Message != "" {
			b.WriteString(": ")
		}
	}
	b.WriteString(e.Message)
	if len(e.Fields) > 0 {
		fmt.Fprintf(&b, " (fields %s)", strings.Join(e.Fields, ", "))
	}
	return b.String()
}

// ErrorCode returns the Salesforce error code carried by err (an *APIError,
// *JobError or *RecordError anywhere in its chain), or "".
func ErrorCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	var je *JobError
	if errors.As(err, &je) {
		return je.Code
	}
	var re *RecordError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return ""
}

// JobError reports a Bulk job or batch that Salesforce failed as a whole (state
// Failed, or a batch Failed/NotProcessed). Code and Message are split from
// Salesforce's "Code : message" form, for example "InvalidBatch" and
// "Field name not found : X".
type JobError struct {
	JobID   string
	BatchID string // Bulk 1.0 only
	State   string
	Code    string
	Message string
}

func (e *JobError) Error() string {
	where := "job " + e.JobID
	if e.BatchID != "" {
		where += " batch " + e.BatchID
	}
	msg := e.Message
	if e.Code != "" {
		msg = e.Code + " : " + e.Message
	}
	if msg == "" {
		return fmt.Sprintf("%s %s", where, strings.ToLower(e.State))
	}
	return fmt.Sprintf("%s %s: %s", where, strings.ToLower(e.State), msg)
}

// newJobError splits Salesforce's "Code : message" state message.
func newJobError(jobID, batchID, state, stateMessage string) *JobError {
	e := &JobError{JobID: jobID, BatchID: batchID, State: state, Message: stateMessage}
	if code, msg, ok := strings.Cut(stateMessage, " : "); ok && !strings.ContainsAny(code, " :") {
		e.Code, e.Message = code, msg
	}
	return e
}

// RecordError is one per-record error: Salesforce's status code, message and
// the fields involved.
type RecordError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

func (e *RecordError) Error() string {
	if len(e.Fields) == 0 {
		return e.StatusCode + ": " + e.Message
	}
	return fmt.Sprintf("%s: %s (%s)", e.StatusCode, e.Message, strings.Join(e.Fields, ", "))
}

// ParseRecordErrors parses the error cell of Bulk 1.0 and 2.0 CSV results:
// "CODE:message:Field1,Field2 --", or "CODE:message:--" when no field is
// involved. Messages may themselves contain colons ("…for the type
// xsd:date:CloseDate --"), so the fields are what follows the last colon.
// UNCERTAIN (reference §2.5): how several errors for one record are joined; a
// new error is assumed to start after " --" with another "CODE:".
func ParseRecordErrors(s string) []RecordError {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var out []RecordError
	for _, part := range splitErrorCell(s) {
		out = append(out, parseOneRecordError(part))
	}
	return out
}

func splitErrorCell(s string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "--")
		if j < 0 {
			break
		}
		end := i + j + 2
		rest := strings.TrimLeft(s[end:], " \n")
		if rest == "" || looksLikeCode(rest) {
			parts = append(parts, s[start:end])
			start = len(s) - len(rest)
		}
		i = end
	}
	if start < len(s) {
		parts = append(parts, s[start:])
	}
	return parts
}

func looksLikeCode(s string) bool {
	code, _, ok := strings.Cut(s, ":")
	if !ok || code == "" {
		return false
	}
	for _, r := range code {
		if !(r >= 'A' && r <= 'Z' || r == '_' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func parseOneRecordError(s string) RecordError {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "--")
	s = strings.TrimRight(s, " ")
	code, rest, ok := strings.Cut(s, ":")
	if !ok || !looksLikeCode(s) {
		return RecordError{Message: s}
	}
	e := RecordError{StatusCode: code, Message: rest}
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		fields := rest[i+1:]
		if !strings.ContainsAny(fields, " []'\"") {
			e.Message = rest[:i]
			for _, f := range strings.Split(fields, ",") {
				if f = strings.TrimSpace(f); f != "" {
					e.Fields = append(e.Fields, f)
				}
			}
		}
	}
	return e
}

// parseErrorBody extracts Salesforce's code and message from an error
// response body of any of its shapes. It returns false when the body has none.
func parseErrorBody(body []byte) (code, message string, fields []string, ok bool) {
	b := strings.TrimSpace(string(body))
	switch {
	case strings.HasPrefix(b, "["):
		var arr []struct {
			ErrorCode string   `json:"errorCode"`
			Message   string   `json:"message"`
			Fields    []string `json:"fields"`
		}
		if json.Unmarshal(body, &arr) == nil && len(arr) > 0 {
			msgs := make([]string, 0, len(arr))
			for _, e := range arr {
				msgs = append(msgs, strings.TrimSpace(e.Message))
				fields = append(fields, e.Fields...)
			}
			return arr[0].ErrorCode, strings.Join(msgs, "; "), fields, arr[0].ErrorCode != "" || arr[0].Message != ""
		}
	case strings.HasPrefix(b, "{"):
		var obj struct {
			ExceptionCode    string `json:"exceptionCode"`
			ExceptionMessage string `json:"exceptionMessage"`
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
			ErrorCode        string `json:"errorCode"`
			Message          string `json:"message"`
		}
		if json.Unmarshal(body, &obj) == nil {
			switch {
			case obj.ExceptionCode != "":
				return obj.ExceptionCode, obj.ExceptionMessage, nil, true
			case obj.Error != "":
				return obj.Error, obj.ErrorDescription, nil, true
			case obj.ErrorCode != "":
				return obj.ErrorCode, obj.Message, nil, true
			}
		}
	case strings.HasPrefix(b, "<"):
		if strings.Contains(b, "Envelope") {
			if f, err := parseSOAPFault(body); err == nil && f.code != "" {
				return f.code, f.message, nil, true
			}
			return "", "", nil, false
		}
		var x struct {
			ExceptionCode    string `xml:"exceptionCode"`
			ExceptionMessage string `xml:"exceptionMessage"`
		}
		if xml.Unmarshal(body, &x) == nil && x.ExceptionCode != "" {
			return x.ExceptionCode, x.ExceptionMessage, nil, true
		}
	}
	return "", "", nil, false
}

type soapFault struct{ code, message string }

// parseSOAPFault reads a SOAP fault: the LoginFault detail when present (its
// exceptionCode and exceptionMessage), else faultcode/faultstring with the
// "sf:" prefix removed.
func parseSOAPFault(body []byte) (soapFault, error) {
	var env struct {
		Body struct {
			Fault *struct {
				FaultCode   string `xml:"faultcode"`
				FaultString string `xml:"faultstring"`
				Detail      struct {
					Inner []struct {
						ExceptionCode    string `xml:"exceptionCode"`
						ExceptionMessage string `xml:"exceptionMessage"`
					} `xml:",any"`
				} `xml:"detail"`
			} `xml:"Fault"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		return soapFault{}, err
	}
	f := env.Body.Fault
	if f == nil {
		return soapFault{}, errors.New("no SOAP fault in body")
	}
	for _, d := range f.Detail.Inner {
		if d.ExceptionCode != "" {
			return soapFault{code: d.ExceptionCode, message: d.ExceptionMessage}, nil
		}
	}
	code := f.FaultCode
	if i := strings.LastIndex(code, ":"); i >= 0 {
		code = code[i+1:]
	}
	msg := f.FaultString
	msg = strings.TrimPrefix(msg, code+": ")
	return soapFault{code: code, message: msg}, nil
}
