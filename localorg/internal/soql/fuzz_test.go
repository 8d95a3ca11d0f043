package soql_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sfsync/sfsync/internal/conformance"
	"github.com/sfsync/sfsync/localorg/internal/soql"
)

var fuzzSeeds = []string{
	"SELECT Id, Name FROM Account",
	"select id, account.name, Account.Owner.Profile.Name from contact c where c.LastName like 'a\\_%' order by LastName desc nulls last limit 10",
	"SELECT COUNT() FROM Account WHERE Type IN ('a', 'b') LIMIT 5 OFFSET 2",
	"SELECT COUNT(Id) cnt FROM Account",
	"SELECT Id FROM Account WHERE (Name = 'x' OR Name != null) AND NOT Active__c = true",
	"SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b' OR Type = 'c'",
	"SELECT Id FROM Account WHERE Regions__c INCLUDES ('a;b', 'c') AND Regions__c EXCLUDES ('d')",
	"SELECT Id FROM Account WHERE Founded__c = LAST_N_DAYS:30 AND LastActivity__c > 2024-01-31T10:00:00.000+05:00",
	"SELECT Id FROM Account WHERE LastActivity__c = 2024-01-31 AND NumberOfEmployees > -1.5e3",
	"SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE Email LIKE '%@x.com')",
	"SELECT Id FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact) AND OwnerId = '005000000000001'",
	"SELECT Name, (SELECT Id FROM Contacts) FROM Account",
	"SELECT TYPEOF Owner WHEN User THEN Name ELSE Id END FROM Account",
	"SELECT Type, COUNT(Id) FROM Account GROUP BY Type HAVING COUNT(Id) > 1",
	"SELECT Id FROM Account WHERE Name = 'it\\'s \\u00e9\\n'",
	"SELECT Id FROM Account WHERE Name = 'unterminated",
	"SELECT Id FROM Account WHERE Name = 'bad \\q escape'",
	"SELECT Id FROM Account WHERE CreatedDate = 2024-13-45",
	"SELECT * FROM Account",
	"SELECT Id FROM",
	"SELECT Id,Name,BillingCity,IsDeleted FROM Accout",
	"SELECT Id\nFROM Account\nWHERE Nme = 1",
	"SELECT BillingAddress FROM Account WITH SECURITY_ENFORCED FOR VIEW",
	"SELECT Id FROM Account WHERE CALENDAR_YEAR(LastActivity__c) = 2024",
	"((((",
	"",
}

// FuzzParse checks that no input makes the parser or the compiler panic,
// that every error they return is a *soql.Error, and that every compiled
// query is SQL SQLite accepts.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add(string(conformance.Read("bulk1/request-batch-query-soql.txt")))
	cat := newCatalog()
	db := openDB(f, cat)
	now := time.Date(2024, 2, 15, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, src string) {
		q, err := soql.Parse(src)
		var serr *soql.Error
		if err != nil {
			if !errors.As(err, &serr) {
				t.Fatalf("Parse(%q) returned %T %v", src, err, err)
			}
			return
		}
		for _, api := range []soql.API{soql.REST, soql.Bulk1, soql.Bulk2} {
			c, err := soql.Compile(q, cat, soql.Options{API: api, Now: now})
			if err != nil {
				if !errors.As(err, &serr) {
					t.Fatalf("Compile(%q) returned %T %v", src, err, err)
				}
				continue
			}
			stmt, err := db.Prepare(c.SQL)
			if err != nil {
				t.Fatalf("Compile(%q): SQLite rejects %s: %v", src, c.SQL, err)
			}
			stmt.Close()
		}
	})
}
