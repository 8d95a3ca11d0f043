package soql_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sfsync/sfsync/internal/conformance"
	"github.com/sfsync/sfsync/localorg/internal/soql"
)

// check parses and compiles src and returns the *Error it must fail with.
func check(t *testing.T, src string, opts soql.Options) *soql.Error {
	t.Helper()
	q, err := soql.Parse(src)
	if err == nil {
		_, err = soql.Compile(q, newCatalog(), opts)
	}
	if err == nil {
		t.Fatalf("%q: no error", src)
	}
	var serr *soql.Error
	if !errors.As(err, &serr) {
		t.Fatalf("%q: %T %v, want *soql.Error", src, err, err)
	}
	return serr
}

// at is the end of the message Salesforce gives for an error at the first
// occurrence of marker in a one-line query: the row and column, then text.
// The caret block before it is checked by checkCaret.
func at(src, marker, text string) string {
	i := strings.Index(src, marker)
	if marker == "<EOF>" {
		i = len(src)
	}
	return fmt.Sprintf("ERROR at Row:1:Column:%d\n%s", utf8.RuneCountInString(src[:i])+1, text)
}

// checkCaret verifies the caret block that opens msg, if any — an excerpt
// of the query's line and a caret under the column the block names — and
// returns the rest of the message.
func checkCaret(t *testing.T, src, msg string) string {
	t.Helper()
	if !strings.HasPrefix(msg, "\n") {
		return msg
	}
	lines := strings.SplitN(msg, "\n", 4)
	if len(lines) < 4 {
		t.Fatalf("short caret block: %q", msg)
	}
	excerpt, caretLine, rest := lines[1], lines[2], lines[3]
	var row, col int
	if _, err := fmt.Sscanf(rest, "ERROR at Row:%d:Column:%d", &row, &col); err != nil {
		t.Fatalf("no row and column in %q: %v", msg, err)
	}
	line := []rune(strings.Split(src, "\n")[row-1])
	from := strings.Index(string(line), excerpt)
	if excerpt == "" || from < 0 {
		t.Fatalf("excerpt %q is not part of line %d %q", excerpt, row, string(line))
	}
	from = utf8.RuneCountInString(string(line)[:from])
	if strings.TrimLeft(caretLine, " ") != "^" || from+len(caretLine)-1 != col-1 {
		t.Errorf("caret %q under excerpt %q (from column %d) does not point at column %d", caretLine, excerpt, from+1, col)
	}
	if len(excerpt) > 2*32+40 {
		t.Errorf("excerpt %q is longer than the window", excerpt)
	}
	return rest
}

const (
	noSuchColumn = "No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
	noSuchRel    = "Didn't understand relationship '%s' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
	noSuchObject = "sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
)

// TestErrorsMatchRecordings compiles the queries behind recorded Salesforce
// errors and compares the messages byte for byte.
func TestErrorsMatchRecordings(t *testing.T) {
	var rest400 []struct{ Message, ErrorCode string }
	if err := json.Unmarshal(conformance.Read("rest/error-invalid-type-soql-v59.json"), &rest400); err != nil {
		t.Fatal(err)
	}
	var composite struct {
		CompositeResponse []struct {
			Body json.RawMessage
		}
	}
	if err := json.Unmarshal(conformance.Read("rest/composite-response-query-and-invalid-type-scrubbed.json"), &composite); err != nil {
		t.Fatal(err)
	}
	var sub []struct{ Message, ErrorCode string }
	if err := json.Unmarshal(composite.CompositeResponse[1].Body, &sub); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		src        string
		code, want string
	}{
		// The recorded message shows only part of the line: the window
		// around the error.
		{"SELECT Id,Name,BillingCity,IsDeleted FROM Accout", rest400[0].ErrorCode, rest400[0].Message},
		{"select count() from XYZZY", sub[0].ErrorCode, sub[0].Message},
	}
	for _, tt := range tests {
		e := check(t, tt.src, soql.Options{API: soql.REST})
		if e.Code != tt.code || e.Message != tt.want {
			t.Errorf("%q:\n got %s %q\nwant %s %q", tt.src, e.Code, e.Message, tt.code, tt.want)
		}
	}
}

func TestErrors(t *testing.T) {
	restOpts := soql.Options{API: soql.REST}
	tests := []struct {
		name string
		src  string
		opts soql.Options
		code string
		want string
	}{
		// Syntax.
		{"eof", "SELECT Id FROM Account WHERE", restOpts, "MALFORMED_QUERY",
			at("SELECT Id FROM Account WHERE", "<EOF>", "unexpected token: '<EOF>'")},
		{"star", "SELECT * FROM Account", restOpts, "MALFORMED_QUERY",
			at("SELECT * FROM Account", "*", "unexpected token: '*'")},
		{"no fields", "SELECT FROM Account", restOpts, "MALFORMED_QUERY",
			at("SELECT FROM Account", "FROM", "unexpected token: 'FROM'")},
		{"trailing comma", "SELECT Id, FROM Account", restOpts, "MALFORMED_QUERY",
			at("SELECT Id, FROM Account", "FROM", "unexpected token: 'FROM'")},
		{"missing from", "SELECT Id Account", restOpts, "MALFORMED_QUERY",
			at("SELECT Id Account", "Account", "unexpected token: 'Account'")},
		{"and or mixed", "SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b' OR Type = 'c'", restOpts, "MALFORMED_QUERY",
			at("SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b' OR Type = 'c'", "OR", "unexpected token: 'OR'")},
		{"or and mixed", "SELECT Id FROM Account WHERE Name = 'a' or Type = 'b' and Type = 'c'", restOpts, "MALFORMED_QUERY",
			at("SELECT Id FROM Account WHERE Name = 'a' or Type = 'b' and Type = 'c'", "and", "unexpected token: 'and'")},
		{"is null", "SELECT Id FROM Lead WHERE SomeField__c IS NULL", restOpts, "MALFORMED_QUERY",
			at("SELECT Id FROM Lead WHERE SomeField__c IS NULL", "IS", "unexpected token: 'IS'")},
		{"bind variable", "SELECT Id FROM Account WHERE Name = :name", restOpts, "MALFORMED_QUERY",
			at("SELECT Id FROM Account WHERE Name = :name", ":", "unexpected token: ':'")},
		{"unknown date literal", "SELECT Id FROM Account WHERE CreatedDate = THIS_DECADE", restOpts, "MALFORMED_QUERY",
			at("SELECT Id FROM Account WHERE CreatedDate = THIS_DECADE", "THIS_DECADE", "unexpected token: 'THIS_DECADE'")},
		{"trailing garbage", "SELECT Id FROM Account LIMIT 5 5", restOpts, "MALFORMED_QUERY",
			"ERROR at Row:1:Column:32\nunexpected token: '5'"},
		{"negative limit", "SELECT Id FROM Account LIMIT -1", restOpts, "MALFORMED_QUERY",
			at("SELECT Id FROM Account LIMIT -1", "-1", "unexpected token: '-1'")},
		{"path too deep", "SELECT A.B.C.D.E.F.G FROM Account", restOpts, "MALFORMED_QUERY",
			at("SELECT A.B.C.D.E.F.G FROM Account", "A.", "SOQL statements cannot query more than 5 levels of child-to-parent relationships")},
		{"bad escape", `SELECT Id FROM Account WHERE Name = 'a\qb'`, restOpts, "MALFORMED_QUERY",
			at(`SELECT Id FROM Account WHERE Name = 'a\qb'`, "'a", `Invalid string literal 'a\qb'. Illegal character sequence '\q' in string literal.`)},
		{"unterminated string", "SELECT Id FROM Account WHERE Name = 'abc", restOpts, "MALFORMED_QUERY",
			"line 1:40 mismatched character '<EOF>' expecting '''"},
		{"unknown object", "SELECT Id FROM Acount", restOpts, "INVALID_TYPE",
			at("SELECT Id FROM Acount", "Acount", fmt.Sprintf(noSuchObject, "Acount"))},
		{"unknown field", "SELECT Id, Nme FROM Account", restOpts, "INVALID_FIELD",
			at("SELECT Id, Nme FROM Account", "Nme", fmt.Sprintf(noSuchColumn, "Nme", "Account"))},
		{"unknown field in where", "SELECT Id FROM Account WHERE Nme = 'x'", restOpts, "INVALID_FIELD",
			at("SELECT Id FROM Account WHERE Nme = 'x'", "Nme", fmt.Sprintf(noSuchColumn, "Nme", "Account"))},
		{"unknown field in order by", "SELECT Id FROM Account ORDER BY Nme", restOpts, "INVALID_FIELD",
			at("SELECT Id FROM Account ORDER BY Nme", "Nme", fmt.Sprintf(noSuchColumn, "Nme", "Account"))},
		{"unknown relationship", "SELECT Acount.Name FROM Contact", restOpts, "INVALID_FIELD",
			at("SELECT Acount.Name FROM Contact", "Acount", fmt.Sprintf(noSuchRel, "Acount"))},
		{"field used as relationship", "SELECT LastName.Foo FROM Contact", restOpts, "INVALID_FIELD",
			at("SELECT LastName.Foo FROM Contact", "LastName", fmt.Sprintf(noSuchRel, "LastName"))},
		{"relationship used as field", "SELECT Account FROM Contact", restOpts, "INVALID_FIELD",
			at("SELECT Account FROM Contact", "Account", fmt.Sprintf(noSuchColumn, "Account", "Contact"))},
		{"unknown parent field", "SELECT Account.Owner.Nme FROM Contact", restOpts, "INVALID_FIELD",
			at("SELECT Account.Owner.Nme FROM Contact", "Account", fmt.Sprintf(noSuchColumn, "Nme", "User"))},
		{"duplicate field", "SELECT Name, Id, name FROM Account", restOpts, "MALFORMED_QUERY",
			at("SELECT Name, Id, name FROM Account", "name", "duplicate field selected: Name")},
		// Types.
		{"string for integer", "SELECT Id FROM Account WHERE NumberOfEmployees = '5'", restOpts, "INVALID_FIELD",
			at("SELECT Id FROM Account WHERE NumberOfEmployees = '5'", "'5'",
				"value of filter criterion for field 'NumberOfEmployees' must be of type integer and should not be enclosed in quotes")},
		{"string for currency", "SELECT Id FROM Account WHERE AnnualRevenue > 'x'", restOpts, "INVALID_FIELD",
			at("SELECT Id FROM Account WHERE AnnualRevenue > 'x'", "'x'",
				"value of filter criterion for field 'AnnualRevenue' must be of type double and should not be enclosed in quotes")},
		{"number for string", "SELECT Id FROM Account WHERE Name = 5", restOpts, "INVALID_FIELD",
			at("SELECT Id FROM Account WHERE Name = 5", "5",
				"value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes")},
		{"string for boolean", "SELECT Id FROM Account WHERE Active__c = 'true'", restOpts, "INVALID_FIELD",
			at("SELECT Id FROM Account WHERE Active__c = 'true'", "'true'",
				"value of filter criterion for field 'Active__c' must be of type boolean and should not be enclosed in quotes")},
		{"datetime for date", "SELECT Id FROM Account WHERE Founded__c = 2024-01-31T00:00:00Z", restOpts, "INVALID_FIELD",
			at("SELECT Id FROM Account WHERE Founded__c = 2024-01-31T00:00:00Z", "2024",
				"value of filter criterion for field 'Founded__c' must be of type date and should not be enclosed in quotes")},
		{"string for datetime", "SELECT Id FROM Account WHERE LastActivity__c > '2024-01-31'", restOpts, "INVALID_FIELD",
			at("SELECT Id FROM Account WHERE LastActivity__c > '2024-01-31'", "'2024",
				"value of filter criterion for field 'LastActivity__c' must be of type dateTime and should not be enclosed in quotes")},
		{"string in number list", "SELECT Id FROM Account WHERE NumberOfEmployees IN (1, '2')", restOpts, "INVALID_FIELD",
			at("SELECT Id FROM Account WHERE NumberOfEmployees IN (1, '2')", "'2'",
				"value of filter criterion for field 'NumberOfEmployees' must be of type integer and should not be enclosed in quotes")},
		{"invalid id", "SELECT Id FROM Account WHERE Id = 'abc'", restOpts, "INVALID_QUERY_FILTER_OPERATOR",
			at("SELECT Id FROM Account WHERE Id = 'abc'", "'abc'", "invalid ID field: abc")},
		{"invalid reference id", "SELECT Id FROM Contact WHERE AccountId IN ('001000000000001', '001x')", restOpts, "INVALID_QUERY_FILTER_OPERATOR",
			at("SELECT Id FROM Contact WHERE AccountId IN ('001000000000001', '001x')", "'001x'", "invalid ID field: 001x")},
		{"number for id", "SELECT Id FROM Account WHERE Id = 1", restOpts, "INVALID_FIELD",
			at("SELECT Id FROM Account WHERE Id = 1", "1",
				"value of filter criterion for field 'Id' must be of type id and should be enclosed in quotes")},
		// Operators.
		{"includes on text", "SELECT Id FROM Account WHERE Name INCLUDES ('a')", restOpts, "INVALID_QUERY_FILTER_OPERATOR",
			at("SELECT Id FROM Account WHERE Name INCLUDES ('a')", "INCLUDES", "includes or excludes operator only valid on multipicklist field")},
		{"like on number", "SELECT Id FROM Account WHERE NumberOfEmployees LIKE '1%'", restOpts, "INVALID_QUERY_FILTER_OPERATOR",
			at("SELECT Id FROM Account WHERE NumberOfEmployees LIKE '1%'", "LIKE", "invalid operator on integer field: NumberOfEmployees")},
		{"like on id", "SELECT Id FROM Account WHERE Id LIKE '001%'", restOpts, "INVALID_QUERY_FILTER_OPERATOR",
			at("SELECT Id FROM Account WHERE Id LIKE '001%'", "LIKE", "invalid operator on id field: Id")},
		{"less than on boolean", "SELECT Id FROM Account WHERE Active__c < true", restOpts, "INVALID_QUERY_FILTER_OPERATOR",
			at("SELECT Id FROM Account WHERE Active__c < true", "<", "invalid operator on boolean field: Active__c")},
		{"not filterable", "SELECT Id FROM Account WHERE Description = 'x'", restOpts, "INVALID_FIELD",
			at("SELECT Id FROM Account WHERE Description = 'x'", "Description", "field 'Description' can not be filtered in a query call")},
		{"not sortable", "SELECT Id FROM Account ORDER BY Regions__c", restOpts, "INVALID_FIELD",
			at("SELECT Id FROM Account ORDER BY Regions__c", "Regions__c", "field 'Regions__c' can not be sorted in a query call")},
		// Semi-joins.
		{"semi-join on text field", "SELECT Id FROM Account WHERE Name IN (SELECT LastName FROM Contact)", restOpts, "INVALID_FIELD",
			at("SELECT Id FROM Account WHERE Name IN (SELECT LastName FROM Contact)", "Name", "Invalid field for semi/anti join: Name")},
		{"semi-join selects text", "SELECT Id FROM Account WHERE Id IN (SELECT LastName FROM Contact)", restOpts, "MALFORMED_QUERY",
			at("SELECT Id FROM Account WHERE Id IN (SELECT LastName FROM Contact)", "LastName", "The inner select field must be an Id or reference field")},
		{"semi-join other object", "SELECT Id FROM Account WHERE Id IN (SELECT OwnerId FROM Account)", restOpts, "INVALID_FIELD",
			at("SELECT Id FROM Account WHERE Id IN (SELECT OwnerId FROM Account)", "OwnerId",
				"The selected field 'OwnerId' in the subquery and the left operand field in the where expression in the outer query 'Id' should point to the same object type")},
		{"semi-join unknown object", "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contct)", restOpts, "INVALID_TYPE",
			at("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contct)", "Contct", fmt.Sprintf(noSuchObject, "Contct"))},
		{"nested semi-join", "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE OwnerId IN (SELECT Id FROM User))", restOpts, "MALFORMED_QUERY",
			at("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE OwnerId IN (SELECT Id FROM User))", "(SELECT Id FROM User",
				"Nesting of semi join sub-selects is not supported")},
		// COUNT.
		{"count with field", "SELECT Name, COUNT() FROM Account", restOpts, "MALFORMED_QUERY",
			at("SELECT Name, COUNT() FROM Account", "Name", "Field must be grouped or aggregated: Name")},
		{"count field with field", "SELECT COUNT(Id), Name FROM Account", restOpts, "MALFORMED_QUERY",
			at("SELECT COUNT(Id), Name FROM Account", "Name", "Field must be grouped or aggregated: Name")},
		{"count ordered", "SELECT COUNT() FROM Account ORDER BY Name", restOpts, "MALFORMED_QUERY",
			at("SELECT COUNT() FROM Account ORDER BY Name", "Name", "Ordered field must be grouped or aggregated: Name")},
		{"offset too large", "SELECT Id FROM Account OFFSET 2001", restOpts, "NUMBER_OUTSIDE_VALID_RANGE",
			at("SELECT Id FROM Account OFFSET 2001", "2001", "Maximum SOQL offset allowed is 2000")},
		// Constructs localorg does not run.
		{"rest subquery", "SELECT Id, (SELECT Id FROM Contacts) FROM Account", restOpts, "FUNCTIONALITY_NOT_ENABLED",
			at("SELECT Id, (SELECT Id FROM Contacts) FROM Account", "(", "parent-to-child subqueries not supported by localorg")},
		{"rest group by", "SELECT Type FROM Account GROUP BY Type", restOpts, "FUNCTIONALITY_NOT_ENABLED",
			at("SELECT Type FROM Account GROUP BY Type", "GROUP", "GROUP BY not supported by localorg")},
		{"rest sum", "SELECT SUM(AnnualRevenue) FROM Account", restOpts, "FUNCTIONALITY_NOT_ENABLED",
			at("SELECT SUM(AnnualRevenue) FROM Account", "SUM", "the function SUM() not supported by localorg")},
		{"rest typeof", "SELECT TYPEOF Owner WHEN User THEN Name END FROM Account", restOpts, "FUNCTIONALITY_NOT_ENABLED",
			at("SELECT TYPEOF Owner WHEN User THEN Name END FROM Account", "TYPEOF", "TYPEOF not supported by localorg")},
		{"rest compound", "SELECT BillingAddress FROM Account", restOpts, "FUNCTIONALITY_NOT_ENABLED",
			at("SELECT BillingAddress FROM Account", "Billing", "compound field BillingAddress not supported by localorg")},
		{"date function", "SELECT Id FROM Account WHERE CALENDAR_YEAR(LastActivity__c) = 2024", restOpts, "FUNCTIONALITY_NOT_ENABLED",
			at("SELECT Id FROM Account WHERE CALENDAR_YEAR(LastActivity__c) = 2024", "CALENDAR", "the function CALENDAR_YEAR() not supported by localorg")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := check(t, tt.src, tt.opts)
			if got := checkCaret(t, tt.src, e.Message); e.Code != tt.code || got != tt.want {
				t.Errorf("%q:\n got %s %q\nwant %s %q", tt.src, e.Code, e.Message, tt.code, tt.want)
			}
		})
	}
}

// TestCaretWindow checks the excerpt Salesforce shows for long and
// multi-line queries (the recorded cases are in TestErrorsMatchRecordings).
func TestCaretWindow(t *testing.T) {
	long := "SELECT Id, Name, Type, NumberOfEmployees, AnnualRevenue, Nme, Active__c, External_Id__c, Code__c FROM Account"
	tests := []struct{ src, want string }{
		{long, "\nNumberOfEmployees, AnnualRevenue, Nme, Active__c, External_Id__c,\n" + strings.Repeat(" ", 34) +
			"^\nERROR at Row:1:Column:58\n" + fmt.Sprintf(noSuchColumn, "Nme", "Account")},
		{"SELECT Id\nFROM Account\nWHERE Nme = 1", "\nWHERE Nme = 1\n      ^\nERROR at Row:3:Column:7\n" + fmt.Sprintf(noSuchColumn, "Nme", "Account")},
		{"SELECT Id, Nme FROM Account", "\nSELECT Id, Nme FROM Account\n           ^\nERROR at Row:1:Column:12\n" + fmt.Sprintf(noSuchColumn, "Nme", "Account")},
		{"SELECT Id FROM Account WHERE", "\nSELECT Id FROM Account WHERE\n                            ^\nERROR at Row:1:Column:29\nunexpected token: '<EOF>'"},
		{"SELECT Id FROM Account WHERE Name = 'Åsa' AND Nme = 1", "\nAccount WHERE Name = 'Åsa' AND Nme = 1\n" + strings.Repeat(" ", 31) +
			"^\nERROR at Row:1:Column:47\n" + fmt.Sprintf(noSuchColumn, "Nme", "Account")},
	}
	for _, tt := range tests {
		e := check(t, tt.src, soql.Options{API: soql.REST})
		if e.Message != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.src, e.Message, tt.want)
		}
	}
}

// TestBulkErrors checks the Bulk APIs' refusals and the Bulk API 1.0
// stateMessage they become.
func TestBulkErrors(t *testing.T) {
	bulk1 := soql.Options{API: soql.Bulk1}
	bulk2 := soql.Options{API: soql.Bulk2}
	tests := []struct {
		name  string
		src   string
		opts  soql.Options
		code  string
		want  string // Message
		state string // StateMessage, for Bulk 1.0
	}{
		{"bulk1 subquery", "SELECT Name, (SELECT Id FROM Contacts) FROM Account", bulk1, "FUNCTIONALITY_NOT_ENABLED",
			"Aggregate Relationships not supported in Bulk Query with CSV content type",
			"FeatureNotEnabled : Aggregate Relationships not supported in Bulk Query with CSV content type"},
		{"bulk2 subquery", "SELECT Name, (SELECT Id FROM Contacts) FROM Account", bulk2, "API_ERROR",
			"Aggregate Relationships not supported in Bulk V2 Query with CSV content type.", ""},
		{"bulk1 compound", "SELECT Id, BillingAddress FROM Account", bulk1, "FUNCTIONALITY_NOT_ENABLED",
			"Selecting compound data not supported in Bulk Query",
			"InvalidBatch : Failed to process query: FUNCTIONALITY_NOT_ENABLED: Selecting compound data not supported in Bulk Query"},
		{"bulk2 compound", "SELECT Id, BillingAddress FROM Account", bulk2, "API_ERROR",
			"Selecting compound data not supported in Bulk Query", ""},
		{"bulk1 count", "SELECT COUNT() FROM Account", bulk1, "FUNCTIONALITY_NOT_ENABLED",
			"Aggregate queries are not supported in Bulk Query",
			"InvalidBatch : Failed to process query: FUNCTIONALITY_NOT_ENABLED: Aggregate queries are not supported in Bulk Query"},
		{"bulk2 count id", "SELECT COUNT(Id) FROM Account", bulk2, "API_ERROR", "Aggregate queries are not supported in Bulk V2 Query", ""},
		{"bulk2 group by", "SELECT Type FROM Account GROUP BY Type", bulk2, "API_ERROR", "Aggregate queries are not supported in Bulk V2 Query", ""},
		{"bulk1 max", "SELECT MAX(AnnualRevenue) FROM Account", bulk1, "FUNCTIONALITY_NOT_ENABLED",
			"Aggregate queries are not supported in Bulk Query",
			"InvalidBatch : Failed to process query: FUNCTIONALITY_NOT_ENABLED: Aggregate queries are not supported in Bulk Query"},
		{"bulk1 offset", "SELECT Id FROM Account OFFSET 5", bulk1, "FUNCTIONALITY_NOT_ENABLED",
			"OFFSET clause is not supported in Bulk Query",
			"InvalidBatch : Failed to process query: FUNCTIONALITY_NOT_ENABLED: OFFSET clause is not supported in Bulk Query"},
		{"bulk2 offset", "SELECT Id FROM Account OFFSET 5", bulk2, "API_ERROR", "OFFSET clause is not supported in Bulk V2 Query", ""},
		{"bulk1 job object", "SELECT Id FROM Contact", soql.Options{API: soql.Bulk1, JobObject: "Account"}, "INVALID_TYPE_FOR_OPERATION",
			"The root entity of the requested query (Contact) does not match the entity of the requested Bulk API Job (Account).",
			// Recorded (reference §2.4).
			"InvalidBatch : Failed to process query: INVALID_TYPE_FOR_OPERATION: The root entity of the requested query (Contact) does not match the entity of the requested Bulk API Job (Account)."},
		{"bulk1 unknown field", "SELECT Nme FROM Account", bulk1, "INVALID_FIELD",
			"\nSELECT Nme FROM Account\n       ^\n" + at("SELECT Nme FROM Account", "Nme", fmt.Sprintf(noSuchColumn, "Nme", "Account")),
			"InvalidBatch : Failed to process query: INVALID_FIELD: \nSELECT Nme FROM Account\n       ^\n" +
				at("SELECT Nme FROM Account", "Nme", fmt.Sprintf(noSuchColumn, "Nme", "Account"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := check(t, tt.src, tt.opts)
			if e.Code != tt.code || e.Message != tt.want {
				t.Errorf("%q:\n got %s %q\nwant %s %q", tt.src, e.Code, e.Message, tt.code, tt.want)
			}
			if tt.state != "" && e.StateMessage() != tt.state {
				t.Errorf("StateMessage:\n got %q\nwant %q", e.StateMessage(), tt.state)
			}
		})
	}

	// What Bulk allows: parent paths, ORDER BY, LIMIT, and a job on the
	// query's object in any case.
	for _, src := range []string{
		"SELECT Id, Account.Name, Account.Owner.Name FROM Contact ORDER BY LastName LIMIT 10",
		"SELECT Id FROM Contact WHERE AccountId IN (SELECT Id FROM Account)",
	} {
		for _, opts := range []soql.Options{bulk2, {API: soql.Bulk1, JobObject: "contact"}} {
			q, err := soql.Parse(src)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := soql.Compile(q, newCatalog(), opts); err != nil {
				t.Errorf("%s %q: %v", opts.API, src, err)
			}
		}
	}
}

func TestErrorString(t *testing.T) {
	e := &soql.Error{Code: "INVALID_FIELD", Message: "m"}
	if e.Error() != "INVALID_FIELD: m" {
		t.Errorf("Error() = %q", e.Error())
	}
}
