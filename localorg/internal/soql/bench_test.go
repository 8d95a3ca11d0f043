package soql_test

import (
	"database/sql"
	"strconv"
	"testing"

	"github.com/sfsync/sfsync/localorg/internal/soql"
)

const benchRows = 1_000_000

// BenchmarkQuery1M compiles and runs queries over 1,000,000 Accounts, indexed
// the way the store indexes them (Id; the case-insensitive external id with
// COLLATE soql.Collation). Run with -benchtime=1x for a quick figure: building
// the table takes a few seconds and is not timed.
func BenchmarkQuery1M(b *testing.B) {
	cat := newCatalog()
	db := openDB(b, cat)
	setup := []string{
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ` + strconv.Itoa(benchRows) + `)
		 INSERT INTO obj_account (c_id, c_isdeleted, c_name, c_type, c_numberofemployees, c_active__c, c_external_id__c)
		 SELECT printf('001%012dAAA', i), i % 100 = 0, 'Account ' || i, CASE i % 3 WHEN 0 THEN 'Customer' ELSE NULL END,
		        i % 5000, i % 2, 'EXT-' || i FROM n`,
		`CREATE UNIQUE INDEX acct_id ON obj_account (c_id)`,
		`CREATE UNIQUE INDEX acct_ext ON obj_account (c_external_id__c COLLATE ` + soql.Collation + `)`,
	}
	for _, s := range setup {
		if _, err := db.Exec(s); err != nil {
			b.Fatal(err)
		}
	}
	bench := func(name, src string, want int) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if n := runCount(b, db, cat, src); n != want {
					b.Fatalf("%s: %d rows, want %d", src, n, want)
				}
			}
		})
	}
	// Digits-only Ids have the checksum AAA, so the 15-character literal
	// finds the stored 18-character Id.
	bench("external-id", "SELECT Id, Name, Type FROM Account WHERE External_Id__c = 'ext-500001'", 1)
	bench("external-id-in", "SELECT Id FROM Account WHERE External_Id__c IN ('EXT-1', 'ext-2', 'Ext-3', 'EXT-1000001')", 3)
	bench("id", "SELECT Id, Name FROM Account WHERE Id = '001000000500001'", 1)
	bench("count-scan", "SELECT COUNT() FROM Account WHERE Type = 'customer' AND NumberOfEmployees < 100", 1)
}

// runCount compiles and runs src and returns the number of rows.
func runCount(b *testing.B, db *sql.DB, cat *testCatalog, src string) int {
	q, err := soql.Parse(src)
	if err != nil {
		b.Fatal(err)
	}
	c, err := soql.Compile(q, cat, soql.Options{API: soql.REST})
	if err != nil {
		b.Fatal(err)
	}
	rows, err := db.Query(c.SQL, c.Args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}
