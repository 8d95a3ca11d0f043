package soql_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/localorg/internal/soql"

	_ "modernc.org/sqlite"
)

// testCatalog is a small schema whose table and column names differ from
// the API names, so that a compiler assuming a naming scheme fails.
type testCatalog struct {
	objects map[string]soql.Object
	fields  map[string][]soql.Field // by canonical object name
}

func (c *testCatalog) Object(name string) (soql.Object, bool) {
	for k, o := range c.objects {
		if strings.EqualFold(k, name) {
			return o, true
		}
	}
	return soql.Object{}, false
}

func (c *testCatalog) Field(object, name string) (soql.Field, bool) {
	for _, f := range c.fields[object] {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return soql.Field{}, false
}

func (c *testCatalog) Relationship(object, name string) (soql.Field, bool) {
	for _, f := range c.fields[object] {
		if f.RelationshipName != "" && strings.EqualFold(f.RelationshipName, name) {
			return f, true
		}
	}
	return soql.Field{}, false
}

var _ soql.Catalog = (*testCatalog)(nil)

func fld(name, typ string) soql.Field {
	return soql.Field{Name: name, Type: typ, Column: "c_" + strings.ToLower(name), Filterable: true, Sortable: true}
}

func ref(name, rel string, to ...string) soql.Field {
	f := fld(name, "reference")
	f.RelationshipName = rel
	f.ReferenceTo = to
	return f
}

func newCatalog() *testCatalog {
	code := fld("Code__c", "string")
	code.CaseSensitive = true
	regions := fld("Regions__c", "multipicklist")
	regions.Sortable = false
	desc := fld("Description", "textarea")
	desc.Filterable, desc.Sortable = false, false
	return &testCatalog{
		objects: map[string]soql.Object{
			"Account": {Name: "Account", Table: "obj_account"},
			"Contact": {Name: "Contact", Table: "obj_contact"},
			"User":    {Name: "User", Table: "obj_user"},
			"Profile": {Name: "Profile", Table: "obj_profile"},
		},
		fields: map[string][]soql.Field{
			"Account": {
				fld("Id", "id"), fld("IsDeleted", "boolean"), fld("Name", "string"),
				fld("Type", "picklist"), fld("NumberOfEmployees", "int"), fld("AnnualRevenue", "currency"),
				regions, fld("Founded__c", "date"), fld("LastActivity__c", "datetime"),
				fld("Active__c", "boolean"), fld("External_Id__c", "string"), code, desc,
				ref("OwnerId", "Owner", "User"), ref("ParentId", "Parent", "Account"),
				{Name: "BillingAddress", Type: "address"},
			},
			"Contact": {
				fld("Id", "id"), fld("IsDeleted", "boolean"), fld("LastName", "string"), fld("Email", "email"),
				ref("AccountId", "Account", "Account"),
				// Polymorphic; the catalog knows no Group, so Owner joins User.
				ref("OwnerId", "Owner", "Group", "User"),
			},
			"User": {
				fld("Id", "id"), fld("Name", "string"), fld("Email", "email"),
				ref("ProfileId", "Profile", "Profile"), ref("ManagerId", "Manager", "User"),
			},
			"Profile": {fld("Id", "id"), fld("Name", "string")},
		},
	}
}

// id returns a valid 18-character Id with the given key prefix and number.
func id(prefix string, n int) string {
	return sfid.To18(fmt.Sprintf("%s%012d", prefix, n))
}

// openDB creates the catalog's tables in a fresh database.
func openDB(t testing.TB, cat *testCatalog) *sql.DB {
	t.Helper()
	if err := soql.Register(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "org.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for name, obj := range cat.objects {
		var cols []string
		for _, f := range cat.fields[name] {
			if f.Column == "" {
				continue
			}
			typ := "TEXT"
			switch f.Type {
			case "boolean", "int", "long":
				typ = "INTEGER"
			case "double", "currency", "percent":
				typ = "REAL"
			}
			col := `"` + f.Column + `" ` + typ
			if f.Type == "boolean" {
				col += " NOT NULL DEFAULT 0"
			}
			cols = append(cols, col)
		}
		if _, err := db.Exec(`CREATE TABLE "` + obj.Table + `" (` + strings.Join(cols, ", ") + `)`); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// insert adds a row given by API field name.
func insert(t testing.TB, db *sql.DB, cat *testCatalog, object string, values map[string]any) {
	t.Helper()
	obj := cat.objects[object]
	var cols, marks []string
	var args []any
	for name, v := range values {
		f, ok := cat.Field(object, name)
		if !ok {
			t.Fatalf("no field %s.%s", object, name)
		}
		cols = append(cols, `"`+f.Column+`"`)
		marks = append(marks, "?")
		args = append(args, v)
	}
	_, err := db.Exec(`INSERT INTO "`+obj.Table+`" (`+strings.Join(cols, ", ")+`) VALUES (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		t.Fatal(err)
	}
}
