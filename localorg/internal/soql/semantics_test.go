package soql_test

import (
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/localorg/internal/soql"
)

var (
	user1 = id("005", 1)
	user2 = id("005", 2)
	prof1 = id("00e", 1)
	acct1 = id("001", 1)
	acct2 = id("001", 2)
	acct3 = id("001", 3)
	acct4 = id("001", 4)
	acct5 = id("001", 5)
	acct6 = id("001", 6)
	acct7 = id("001", 7)
	// acctMixed has letters in its 15-character Id, so that the same
	// letters in another case name a different record.
	acctMixed = sfid.To18("001xx000003DGb0")
	group1    = id("00G", 1)
)

// fixture is a small org in the storage encoding of the BRIEF.
func fixture(t *testing.T) (*sql.DB, *testCatalog) {
	cat := newCatalog()
	db := openDB(t, cat)
	insert(t, db, cat, "Profile", map[string]any{"Id": prof1, "Name": "System Administrator"})
	insert(t, db, cat, "User", map[string]any{"Id": user1, "Name": "Ursula", "ProfileId": prof1, "ManagerId": user2})
	insert(t, db, cat, "User", map[string]any{"Id": user2, "Name": "Victor"})
	accounts := []map[string]any{
		{"Id": acct1, "Name": "Acme", "Type": "Customer", "NumberOfEmployees": 100, "AnnualRevenue": 1500.5,
			"Regions__c": "North;East", "Founded__c": "2020-01-15", "LastActivity__c": "2024-01-31T23:30:00.000Z",
			"Active__c": 1, "External_Id__c": "EXT-1", "Code__c": "AbC", "OwnerId": user1},
		{"Id": acct2, "Name": "acme widgets", "Type": "Partner", "NumberOfEmployees": 5, "AnnualRevenue": 90000000.0,
			"Regions__c": "East", "Founded__c": "2024-01-31", "LastActivity__c": "2024-02-01T00:00:00.000Z",
			"Active__c": 0, "External_Id__c": "ext-2", "Code__c": "abc", "OwnerId": user2, "ParentId": acct1},
		{"Id": acct3, "Name": "Ångström AB", "Active__c": 0, "External_Id__c": "EXT-3"},
		{"Id": acct4, "Name": "Beta_Corp 100%", "Type": "Customer", "NumberOfEmployees": 2000, "AnnualRevenue": 1e7,
			"Regions__c": "West;North;South", "Founded__c": "2023-12-31", "LastActivity__c": "2024-01-31T00:00:00.000Z",
			"Active__c": 1, "Code__c": "ABC"},
		{"Id": acct5, "Name": "Zeta Deleted", "Type": "Customer", "IsDeleted": 1},
		{"Id": acct6, "Name": "ÅNGSTRÖM Labs", "Active__c": 0},
		{"Id": acct7, "Name": `C:\temp`, "Active__c": 0},
		{"Id": acctMixed, "Name": "Mixed Id", "Active__c": 0},
	}
	for _, a := range accounts {
		insert(t, db, cat, "Account", a)
	}
	contacts := []map[string]any{
		{"Id": id("003", 1), "LastName": "Smith", "AccountId": acct1, "OwnerId": user1, "Email": "s@example.com"},
		{"Id": id("003", 2), "LastName": "Jones", "AccountId": acct2, "OwnerId": group1},
		{"Id": id("003", 3), "LastName": "Orphan"},
		{"Id": id("003", 4), "LastName": "Gone", "AccountId": acct3, "IsDeleted": 1},
	}
	for _, c := range contacts {
		insert(t, db, cat, "Contact", c)
	}
	return db, cat
}

// query compiles and runs src and returns its rows, each value formatted
// with %v (nil for null), without the hidden Id columns.
func query(t *testing.T, db *sql.DB, cat *testCatalog, src string, opts soql.Options) [][]any {
	t.Helper()
	q, err := soql.Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	c, err := soql.Compile(q, cat, opts)
	if err != nil {
		t.Fatalf("Compile(%q): %v", src, err)
	}
	rows, err := db.Query(c.SQL, c.Args...)
	if err != nil {
		t.Fatalf("%q → %s %v: %v", src, c.SQL, c.Args, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		n := len(c.Columns)
		if c.Count && n == 0 {
			n = 1
		}
		out = append(out, vals[:n])
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// firsts returns the first column of each row as a string ("<nil>" for
// null).
func firsts(rows [][]any) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, fmt.Sprint(r[0]))
	}
	return out
}

var rest = soql.Options{API: soql.REST, Now: time.Date(2024, 2, 15, 12, 0, 0, 0, time.UTC)}

func TestSemantics(t *testing.T) {
	db, cat := fixture(t)
	pst := time.FixedZone("PST", -8*3600)
	tests := []struct {
		name string
		soql string
		opts *soql.Options
		want []string // names; sorted before comparing unless the query orders
	}{
		// Text comparisons ignore case, Unicode included.
		{"eq ignores case", "SELECT Name FROM Account WHERE Name = 'ACME'", nil, []string{"Acme"}},
		{"eq unicode case", "SELECT Name FROM Account WHERE Name = 'ångström ab'", nil, []string{"Ångström AB"}},
		{"in ignores case", "SELECT Name FROM Account WHERE Name IN ('ACME', 'beta_corp 100%')", nil, []string{"Acme", "Beta_Corp 100%"}},
		{"lt ignores case", "SELECT Name FROM Account WHERE Name < 'B'", nil, []string{"Acme", "acme widgets"}},
		{"case-insensitive external id", "SELECT Name FROM Account WHERE External_Id__c = 'ext-1'", nil, []string{"Acme"}},
		{"case-sensitive field eq", "SELECT Name FROM Account WHERE Code__c = 'abc'", nil, []string{"acme widgets"}},
		{"case-sensitive field in", "SELECT Name FROM Account WHERE Code__c IN ('ABC', 'x')", nil, []string{"Beta_Corp 100%"}},
		// != and NOT IN match null.
		{"ne matches null", "SELECT Name FROM Account WHERE Type != 'customer'", nil,
			[]string{"acme widgets", "Ångström AB", "ÅNGSTRÖM Labs", `C:\temp`, "Mixed Id"}},
		{"<> is !=", "SELECT Name FROM Account WHERE Type <> 'Customer' AND Name LIKE 'a%'", nil, []string{"acme widgets"}},
		{"not in matches null", "SELECT Name FROM Account WHERE Type NOT IN ('CUSTOMER', 'partner')", nil,
			[]string{"Ångström AB", "ÅNGSTRÖM Labs", `C:\temp`, "Mixed Id"}},
		{"in with null", "SELECT Name FROM Account WHERE Type IN ('Partner', null)", nil,
			[]string{"acme widgets", "Ångström AB", "ÅNGSTRÖM Labs", `C:\temp`, "Mixed Id"}},
		{"eq null", "SELECT Name FROM Account WHERE NumberOfEmployees = null", nil,
			[]string{"Ångström AB", "ÅNGSTRÖM Labs", `C:\temp`, "Mixed Id"}},
		{"ne null", "SELECT Name FROM Account WHERE NumberOfEmployees != null", nil, []string{"Acme", "acme widgets", "Beta_Corp 100%"}},
		{"empty string is null", "SELECT Name FROM Account WHERE Type = ''", nil,
			[]string{"Ångström AB", "ÅNGSTRÖM Labs", `C:\temp`, "Mixed Id"}},
		{"not is two-valued", "SELECT Name FROM Account WHERE NOT Type = 'Customer'", nil,
			[]string{"acme widgets", "Ångström AB", "ÅNGSTRÖM Labs", `C:\temp`, "Mixed Id"}},
		{"not of or", "SELECT Name FROM Account WHERE NOT (Type = 'Customer' OR Type = 'Partner') AND Name LIKE '%ö%'", nil,
			[]string{"Ångström AB", "ÅNGSTRÖM Labs"}},
		{"and or with parentheses", "SELECT Name FROM Account WHERE (Type = 'Partner' OR NumberOfEmployees > 1000) AND Active__c = true", nil,
			[]string{"Beta_Corp 100%"}},
		// LIKE.
		{"like prefix", "SELECT Name FROM Account WHERE Name LIKE 'acme%'", nil, []string{"Acme", "acme widgets"}},
		{"like no wildcard", "SELECT Name FROM Account WHERE Name LIKE 'ACME'", nil, []string{"Acme"}},
		{"like underscore", "SELECT Name FROM Account WHERE Name LIKE 'b_ta%'", nil, []string{"Beta_Corp 100%"}},
		{"like escaped percent", `SELECT Name FROM Account WHERE Name LIKE '%100\%'`, nil, []string{"Beta_Corp 100%"}},
		{"like escaped percent does not wildcard", `SELECT Name FROM Account WHERE Name LIKE 'Acme\%'`, nil, []string{}},
		{"like escaped underscore", `SELECT Name FROM Account WHERE Name LIKE '%\_corp%'`, nil, []string{"Beta_Corp 100%"}},
		{"like escaped underscore is literal", `SELECT Name FROM Account WHERE Name LIKE 'Acme\_%'`, nil, []string{}},
		{"like backslash then wildcard", `SELECT Name FROM Account WHERE Name LIKE 'c:\\%'`, nil, []string{`C:\temp`}},
		{"like unicode case", "SELECT Name FROM Account WHERE Name LIKE 'ångström%'", nil, []string{"Ångström AB", "ÅNGSTRÖM Labs"}},
		// Multi-select picklists.
		{"includes one", "SELECT Name FROM Account WHERE Regions__c INCLUDES ('north')", nil, []string{"Acme", "Beta_Corp 100%"}},
		{"includes both", "SELECT Name FROM Account WHERE Regions__c INCLUDES ('North;East')", nil, []string{"Acme"}},
		{"includes either", "SELECT Name FROM Account WHERE Regions__c INCLUDES ('North;East', 'west')", nil, []string{"Acme", "Beta_Corp 100%"}},
		{"excludes matches null", "SELECT Name FROM Account WHERE Regions__c EXCLUDES ('East')", nil,
			[]string{"Beta_Corp 100%", "Ångström AB", "ÅNGSTRÖM Labs", `C:\temp`, "Mixed Id"}},
		{"multipicklist set equality", "SELECT Name FROM Account WHERE Regions__c = 'east;NORTH'", nil, []string{"Acme"}},
		{"multipicklist ne", "SELECT Name FROM Account WHERE Regions__c != 'East' AND Active__c = true", nil, []string{"Acme", "Beta_Corp 100%"}},
		// Booleans.
		{"bool true", "SELECT Name FROM Account WHERE Active__c = TRUE", nil, []string{"Acme", "Beta_Corp 100%"}},
		{"bool ne true", "SELECT Name FROM Account WHERE Active__c != true AND Name LIKE 'a%'", nil, []string{"acme widgets"}},
		{"bool false", "SELECT Name FROM Account WHERE Active__c = false AND Name LIKE '%Ö%'", nil, []string{"Ångström AB", "ÅNGSTRÖM Labs"}},
		// Numbers, INTEGER and REAL columns alike.
		{"int gt", "SELECT Name FROM Account WHERE NumberOfEmployees > 50", nil, []string{"Acme", "Beta_Corp 100%"}},
		{"int eq decimal literal", "SELECT Name FROM Account WHERE NumberOfEmployees = 100.0", nil, []string{"Acme"}},
		{"real ge decimal", "SELECT Name FROM Account WHERE AnnualRevenue >= 1500.5", nil, []string{"Acme", "acme widgets", "Beta_Corp 100%"}},
		{"real lt excludes null", "SELECT Name FROM Account WHERE AnnualRevenue < 2000", nil, []string{"Acme"}},
		{"real eq integer literal", "SELECT Name FROM Account WHERE AnnualRevenue = 90000000", nil, []string{"acme widgets"}},
		{"real gt exponent", "SELECT Name FROM Account WHERE AnnualRevenue > 1e7", nil, []string{"acme widgets"}},
		{"number in", "SELECT Name FROM Account WHERE NumberOfEmployees IN (5, 100)", nil, []string{"Acme", "acme widgets"}},
		{"negative number", "SELECT Name FROM Account WHERE NumberOfEmployees > -1 AND NumberOfEmployees < 10", nil, []string{"acme widgets"}},
		// Dates.
		{"date eq", "SELECT Name FROM Account WHERE Founded__c = 2024-01-31", nil, []string{"acme widgets"}},
		{"date lt", "SELECT Name FROM Account WHERE Founded__c < 2024-01-01", nil, []string{"Acme", "Beta_Corp 100%"}},
		{"date this year", "SELECT Name FROM Account WHERE Founded__c = THIS_YEAR", nil, []string{"acme widgets"}},
		{"date last year", "SELECT Name FROM Account WHERE Founded__c = LAST_YEAR", nil, []string{"Beta_Corp 100%"}},
		{"date last n days", "SELECT Name FROM Account WHERE Founded__c = LAST_N_DAYS:30", nil, []string{"acme widgets"}},
		{"date before this month", "SELECT Name FROM Account WHERE Founded__c < THIS_MONTH", nil, []string{"Acme", "acme widgets", "Beta_Corp 100%"}},
		{"date after last month", "SELECT Name FROM Account WHERE Founded__c > LAST_MONTH", nil, []string{}},
		{"date in constants", "SELECT Name FROM Account WHERE Founded__c IN (LAST_YEAR, 2020-01-15)", nil, []string{"Acme", "Beta_Corp 100%"}},
		{"date ne constant", "SELECT Name FROM Account WHERE Founded__c != LAST_MONTH AND Active__c = true", nil, []string{"Acme", "Beta_Corp 100%"}},
		// Datetimes.
		{"date literal on datetime is the UTC day", "SELECT Name FROM Account WHERE LastActivity__c = 2024-01-31", nil, []string{"Acme", "Beta_Corp 100%"}},
		{"date literal on datetime gt", "SELECT Name FROM Account WHERE LastActivity__c > 2024-01-31", nil, []string{"acme widgets"}},
		{"date literal on datetime le", "SELECT Name FROM Account WHERE LastActivity__c <= 2024-01-31", nil, []string{"Acme", "Beta_Corp 100%"}},
		{"datetime with offset", "SELECT Name FROM Account WHERE LastActivity__c = 2024-02-01T01:00:00+01:00", nil, []string{"acme widgets"}},
		{"datetime with millis", "SELECT Name FROM Account WHERE LastActivity__c >= 2024-01-31T23:30:00.000Z", nil, []string{"Acme", "acme widgets"}},
		{"datetime yesterday in UTC", "SELECT Name FROM Account WHERE LastActivity__c = YESTERDAY", &soql.Options{API: soql.REST,
			Now: time.Date(2024, 2, 1, 10, 0, 0, 0, time.UTC)}, []string{"Acme", "Beta_Corp 100%"}},
		{"datetime yesterday in PST", "SELECT Name FROM Account WHERE LastActivity__c = YESTERDAY", &soql.Options{API: soql.REST,
			Now: time.Date(2024, 2, 1, 10, 0, 0, 0, time.UTC), Location: pst}, []string{"Acme", "acme widgets"}},
		{"datetime today in PST", "SELECT Name FROM Account WHERE LastActivity__c = TODAY", &soql.Options{API: soql.REST,
			Now: time.Date(2024, 2, 1, 10, 0, 0, 0, time.UTC), Location: pst}, []string{}},
		// Ids: 15 or 18 characters, compared exactly.
		{"id 15", "SELECT Name FROM Account WHERE Id = '" + acct1[:15] + "'", nil, []string{"Acme"}},
		{"id 18", "SELECT Name FROM Account WHERE Id = '" + acct1 + "'", nil, []string{"Acme"}},
		{"id 18 lower-case suffix", "SELECT Name FROM Account WHERE Id = '" + acct1[:15] + strings.ToLower(acct1[15:]) + "'", nil, []string{"Acme"}},
		{"id in mixed", "SELECT Name FROM Account WHERE Id IN ('" + acct1[:15] + "', '" + acct2 + "')", nil, []string{"Acme", "acme widgets"}},
		{"id is case-sensitive", "SELECT Name FROM Account WHERE Id = '001xx000003DGb0'", nil, []string{"Mixed Id"}},
		{"id other case is another record", "SELECT Name FROM Account WHERE Id = '001XX000003DGB0'", nil, []string{}},
		{"reference 15", "SELECT Name FROM Account WHERE OwnerId = '" + user1[:15] + "'", nil, []string{"Acme"}},
		{"reference ne matches null", "SELECT Name FROM Account WHERE OwnerId != '" + user1 + "' AND Active__c = false AND Name LIKE 'a%'", nil, []string{"acme widgets"}},
		// Deleted rows.
		{"deleted left out", "SELECT Name FROM Account WHERE Type = 'Customer'", nil, []string{"Acme", "Beta_Corp 100%"}},
		{"queryAll includes deleted", "SELECT Name FROM Account WHERE Type = 'Customer'", &soql.Options{API: soql.REST, IncludeDeleted: true},
			[]string{"Acme", "Beta_Corp 100%", "Zeta Deleted"}},
		// Parent paths.
		{"where on parent", "SELECT LastName FROM Contact WHERE Account.Name = 'ACME'", nil, []string{"Smith"}},
		{"where on grandparent", "SELECT LastName FROM Contact WHERE Account.Owner.Name = 'ursula'", nil, []string{"Smith"}},
		{"where ne on parent matches empty lookup", "SELECT LastName FROM Contact WHERE Account.Name != 'Acme'", nil, []string{"Jones", "Orphan"}},
		{"object name prefix", "SELECT Contact.LastName FROM Contact WHERE Contact.LastName = 'smith'", nil, []string{"Smith"}},
		{"alias prefix", "SELECT c.LastName FROM Contact c WHERE c.Account.Name = 'acme'", nil, []string{"Smith"}},
		// Semi-joins.
		{"semi-join", "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact)", nil, []string{"Acme", "acme widgets"}},
		{"semi-join queryAll", "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact)", &soql.Options{API: soql.REST, IncludeDeleted: true},
			[]string{"Acme", "acme widgets", "Ångström AB"}},
		{"semi-join with where", "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName = 'jones')", nil, []string{"acme widgets"}},
		{"anti-join ignores inner nulls", "SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact) AND Active__c = true", nil, []string{"Beta_Corp 100%"}},
		{"semi-join on reference", "SELECT LastName FROM Contact WHERE AccountId IN (SELECT Id FROM Account WHERE Type = 'partner')", nil, []string{"Jones"}},
		// ORDER BY.
		{"order ignores case", "SELECT Name FROM Account WHERE Name LIKE '%a%' AND Name != 'Mixed Id' ORDER BY Name", nil,
			[]string{"Acme", "acme widgets", "Beta_Corp 100%", "Ångström AB", "ÅNGSTRÖM Labs"}},
		{"order case-sensitive field", "SELECT Code__c FROM Account WHERE Code__c != null ORDER BY Code__c", nil, []string{"ABC", "AbC", "abc"}},
		{"order asc nulls first", "SELECT NumberOfEmployees FROM Account WHERE Name LIKE '%a%' ORDER BY NumberOfEmployees", nil,
			[]string{"<nil>", "<nil>", "5", "100", "2000"}},
		{"order desc nulls last", "SELECT NumberOfEmployees FROM Account WHERE Name LIKE '%a%' ORDER BY NumberOfEmployees DESC", nil,
			[]string{"2000", "100", "5", "<nil>", "<nil>"}},
		{"order asc nulls last", "SELECT NumberOfEmployees FROM Account WHERE Name LIKE '%a%' ORDER BY NumberOfEmployees ASC NULLS LAST", nil,
			[]string{"5", "100", "2000", "<nil>", "<nil>"}},
		{"order desc nulls first", "SELECT NumberOfEmployees FROM Account WHERE Name LIKE '%a%' ORDER BY NumberOfEmployees DESC NULLS FIRST", nil,
			[]string{"<nil>", "<nil>", "2000", "100", "5"}},
		{"order several keys", "SELECT Name FROM Account WHERE Type != null ORDER BY Type DESC, Name DESC", nil,
			[]string{"acme widgets", "Beta_Corp 100%", "Acme"}},
		{"order by parent field", "SELECT LastName FROM Contact ORDER BY Account.Name DESC", nil, []string{"Jones", "Smith", "Orphan"}},
		{"order by boolean", "SELECT Name FROM Account WHERE Name LIKE 'a%' ORDER BY Active__c, Name", nil, []string{"acme widgets", "Acme"}},
		{"order by date", "SELECT Founded__c FROM Account WHERE Founded__c != null ORDER BY Founded__c DESC", nil,
			[]string{"2024-01-31", "2023-12-31", "2020-01-15"}},
		{"limit offset", "SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 1", nil, []string{"acme widgets", "Beta_Corp 100%"}},
		{"limit", "SELECT Name FROM Account ORDER BY Name LIMIT 1", nil, []string{"Acme"}},
		// COUNT.
		{"count", "SELECT COUNT() FROM Account", nil, []string{"7"}},
		{"count where", "SELECT count() FROM Account WHERE Type = 'customer'", nil, []string{"2"}},
		{"count limit", "SELECT COUNT() FROM Account LIMIT 3", nil, []string{"3"}},
		{"count id", "SELECT COUNT(Id) FROM Account", nil, []string{"7"}},
		{"count field counts non-null", "SELECT COUNT(Type) cnt FROM Account", nil, []string{"3"}},
		{"count queryAll", "SELECT COUNT() FROM Account", &soql.Options{API: soql.REST, IncludeDeleted: true}, []string{"8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := rest
			if tt.opts != nil {
				opts = *tt.opts
			}
			got := firsts(query(t, db, cat, tt.soql, opts))
			want := append([]string{}, tt.want...)
			if !strings.Contains(strings.ToUpper(tt.soql), "ORDER BY") {
				sort.Strings(got)
				sort.Strings(want)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: (-want +got)\n%s", tt.soql, diff)
			}
		})
	}
}

// TestParentRows checks whole rows with parent paths, including empty and
// polymorphic lookups, and the hidden Id columns REST needs.
func TestParentRows(t *testing.T) {
	db, cat := fixture(t)
	got := query(t, db, cat,
		"SELECT LastName, Account.Name, Account.Owner.Name, account.owner.profile.name, Owner.Name FROM Contact ORDER BY LastName", rest)
	want := [][]any{
		{"Jones", "acme widgets", "Victor", nil, nil}, // Owner is a Group the catalog does not know
		{"Orphan", nil, nil, nil, nil},
		{"Smith", "Acme", "Ursula", "System Administrator", "Ursula"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}

	q, err := soql.Parse("SELECT Name, Parent.Name, Parent.Owner.Manager.Name FROM Account WHERE Parent.Name != null")
	if err != nil {
		t.Fatal(err)
	}
	c, err := soql.Compile(q, cat, rest)
	if err != nil {
		t.Fatal(err)
	}
	var name, parent, mgr, rootID, parentID, ownerID, managerID sql.NullString
	if err := db.QueryRow(c.SQL, c.Args...).Scan(&name, &parent, &mgr, &rootID, &parentID, &ownerID, &managerID); err != nil {
		t.Fatal(err)
	}
	gotRow := []string{name.String, parent.String, mgr.String, rootID.String, parentID.String, ownerID.String, managerID.String}
	wantRow := []string{"acme widgets", "Acme", "Victor", acct2, acct1, user1, user2}
	if diff := cmp.Diff(wantRow, gotRow); diff != "" {
		t.Errorf("self-relationship row (-want +got)\n%s", diff)
	}
}

func TestCompiledShape(t *testing.T) {
	cat := newCatalog()
	q, err := soql.Parse("select LASTNAME, account.name, Account.Owner.Profile.NAME, account.owner.email from contact")
	if err != nil {
		t.Fatal(err)
	}
	c, err := soql.Compile(q, cat, soql.Options{API: soql.Bulk2})
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []soql.Column{
		{Header: "LastName", Path: []string{"LastName"}, Type: "string", Rel: -1, Index: 0},
		{Header: "Account.Name", Path: []string{"Account", "Name"}, Type: "string", Rel: 0, Index: 1},
		{Header: "Account.Owner.Profile.Name", Path: []string{"Account", "Owner", "Profile", "Name"}, Type: "string", Rel: 2, Index: 2},
		{Header: "Account.Owner.Email", Path: []string{"Account", "Owner", "Email"}, Type: "email", Rel: 1, Index: 3},
	}
	if diff := cmp.Diff(wantCols, c.Columns); diff != "" {
		t.Errorf("Columns (-want +got)\n%s", diff)
	}
	wantRels := []soql.Relationship{
		{Path: []string{"Account"}, Object: "Account", Parent: -1, IDIndex: 5},
		{Path: []string{"Account", "Owner"}, Object: "User", Parent: 0, IDIndex: 6},
		{Path: []string{"Account", "Owner", "Profile"}, Object: "Profile", Parent: 1, IDIndex: 7},
	}
	if diff := cmp.Diff(wantRels, c.Relationships); diff != "" {
		t.Errorf("Relationships (-want +got)\n%s", diff)
	}
	if c.Object != "Contact" || c.IDIndex != 4 || c.Count {
		t.Errorf("Object %q IDIndex %d Count %v, want Contact 4 false", c.Object, c.IDIndex, c.Count)
	}

	q, _ = soql.Parse("SELECT COUNT(Id), COUNT(Name) n, COUNT(Type) FROM Account")
	c, err = soql.Compile(q, cat, rest)
	if err != nil {
		t.Fatal(err)
	}
	var headers []string
	for _, col := range c.Columns {
		headers = append(headers, col.Header)
	}
	if diff := cmp.Diff([]string{"expr0", "n", "expr1"}, headers); diff != "" || !c.Count || c.IDIndex != -1 {
		t.Errorf("aggregate headers (-want +got)\n%s; Count %v IDIndex %d", diff, c.Count, c.IDIndex)
	}

	q, _ = soql.Parse("SELECT COUNT() FROM Account")
	c, err = soql.Compile(q, cat, rest)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Count || len(c.Columns) != 0 {
		t.Errorf("COUNT(): Count %v Columns %v, want true and none", c.Count, c.Columns)
	}
}

func TestCompileRequiresAPI(t *testing.T) {
	q, _ := soql.Parse("SELECT Id FROM Account")
	_, err := soql.Compile(q, newCatalog(), soql.Options{})
	var serr *soql.Error
	if err == nil || errors.As(err, &serr) {
		t.Errorf("Compile without API: %v, want a programming error", err)
	}
}

func TestRegisterTwice(t *testing.T) {
	if err := soql.Register(); err != nil {
		t.Fatal(err)
	}
	if err := soql.Register(); err != nil {
		t.Fatalf("second Register: %v", err)
	}
}

// TestIndexUsed checks that an index created with COLLATE soql.Collation
// serves the case-insensitive comparisons the compiler writes.
func TestIndexUsed(t *testing.T) {
	cat := newCatalog()
	db := openDB(t, cat)
	if _, err := db.Exec(`CREATE INDEX ext ON obj_account (c_external_id__c COLLATE ` + soql.Collation + `)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE INDEX ids ON obj_account (c_id)`); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{
		"SELECT Id FROM Account WHERE External_Id__c = 'x'",
		"SELECT Id FROM Account WHERE External_Id__c IN ('x', 'y')",
		"SELECT Id FROM Account WHERE Id = '" + acct1[:15] + "'",
	} {
		q, err := soql.Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		c, err := soql.Compile(q, cat, rest)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query("EXPLAIN QUERY PLAN "+c.SQL, c.Args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var a, b, cc int
			var detail string
			if err := rows.Scan(&a, &b, &cc, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if !strings.Contains(strings.Join(plan, "\n"), "USING INDEX") {
			t.Errorf("%s: plan does not use the index:\n%s", src, strings.Join(plan, "\n"))
		}
	}
}
