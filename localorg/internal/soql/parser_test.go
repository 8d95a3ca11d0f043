package soql_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sfsync/sfsync/localorg/internal/soql"
)

// Helpers building AST nodes without positions (the comparison ignores
// them; the error tests check positions through the caret column).
func path(parts ...string) soql.Path {
	var p soql.Path
	for _, s := range parts {
		p.Parts = append(p.Parts, soql.Ident{Name: s})
	}
	return p
}

func field(parts ...string) *soql.FieldItem { return &soql.FieldItem{Path: path(parts...)} }

func cmpOp(f soql.Path, op soql.Op, v soql.Value) *soql.Comparison {
	return &soql.Comparison{Field: f, Op: op, Value: v}
}

func str(s string) *soql.String { return &soql.String{Value: s, Pattern: s} }

func num(s string) *soql.Number { return &soql.Number{Text: s} }

var ignorePos = cmp.Options{
	cmpopts.IgnoreTypes(soql.Pos(0)),
	cmpopts.IgnoreFields(soql.Query{}, "Source"),
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want *soql.Query
	}{
		{"fields", "SELECT Id, Name FROM Account", &soql.Query{
			Select: []soql.SelectItem{field("Id"), field("Name")},
			From:   soql.Ident{Name: "Account"},
		}},
		{"keywords in any case", "select id from account where name = 'x' order by name desc nulls last limit 5 offset 10", &soql.Query{
			Select: []soql.SelectItem{field("id")},
			From:   soql.Ident{Name: "account"},
			Where:  cmpOp(path("name"), soql.OpEq, str("x")),
			Order:  []soql.OrderItem{{Field: path("name"), Desc: true, Nulls: soql.NullsLast}},
			Limit:  &soql.Int{Value: 5},
			Offset: &soql.Int{Value: 10},
		}},
		{"parent paths", "SELECT Account.Name, Owner.Profile.Name, A.B.C.D.E.F FROM Contact", &soql.Query{
			Select: []soql.SelectItem{field("Account", "Name"), field("Owner", "Profile", "Name"), field("A", "B", "C", "D", "E", "F")},
			From:   soql.Ident{Name: "Contact"},
		}},
		{"count", "SELECT COUNT() FROM Account", &soql.Query{
			Select: []soql.SelectItem{&soql.CountItem{}},
			From:   soql.Ident{Name: "Account"},
		}},
		{"count field alias", "SELECT count(Id) cnt FROM Account", &soql.Query{
			Select: []soql.SelectItem{&soql.CountItem{Field: &soql.Path{Parts: []soql.Ident{{Name: "Id"}}}, Alias: &soql.Ident{Name: "cnt"}}},
			From:   soql.Ident{Name: "Account"},
		}},
		{"alias", "SELECT c.Name FROM Contact c WHERE c.Name != null", &soql.Query{
			Select: []soql.SelectItem{field("c", "Name")},
			From:   soql.Ident{Name: "Contact"},
			Alias:  &soql.Ident{Name: "c"},
			Where:  cmpOp(path("c", "Name"), soql.OpNe, &soql.Null{}),
		}},
		{"operators", "SELECT Id FROM A WHERE a = 1 AND b != 2 AND c <> 3 AND d < 4 AND e <= 5 AND f > 6 AND g >= 7 AND h LIKE 'x%' " +
			"AND i IN ('p', 'q') AND j NOT IN (1) AND k INCLUDES ('a;b', 'c') AND l EXCLUDES ('d')", &soql.Query{
			Select: []soql.SelectItem{field("Id")},
			From:   soql.Ident{Name: "A"},
			Where: &soql.And{Terms: []soql.Condition{
				cmpOp(path("a"), soql.OpEq, num("1")),
				cmpOp(path("b"), soql.OpNe, num("2")),
				cmpOp(path("c"), soql.OpNe, num("3")),
				cmpOp(path("d"), soql.OpLt, num("4")),
				cmpOp(path("e"), soql.OpLe, num("5")),
				cmpOp(path("f"), soql.OpGt, num("6")),
				cmpOp(path("g"), soql.OpGe, num("7")),
				cmpOp(path("h"), soql.OpLike, str("x%")),
				cmpOp(path("i"), soql.OpIn, &soql.List{Values: []soql.Value{str("p"), str("q")}}),
				cmpOp(path("j"), soql.OpNotIn, &soql.List{Values: []soql.Value{num("1")}}),
				cmpOp(path("k"), soql.OpIncludes, &soql.List{Values: []soql.Value{str("a;b"), str("c")}}),
				cmpOp(path("l"), soql.OpExcludes, &soql.List{Values: []soql.Value{str("d")}}),
			}},
		}},
		{"logic", "SELECT Id FROM A WHERE (a = 1 OR b = 2) AND NOT c = 3 AND NOT (d = 4 AND e = 5)", &soql.Query{
			Select: []soql.SelectItem{field("Id")},
			From:   soql.Ident{Name: "A"},
			Where: &soql.And{Terms: []soql.Condition{
				&soql.Or{Terms: []soql.Condition{cmpOp(path("a"), soql.OpEq, num("1")), cmpOp(path("b"), soql.OpEq, num("2"))}},
				&soql.Not{X: cmpOp(path("c"), soql.OpEq, num("3"))},
				&soql.Not{X: &soql.And{Terms: []soql.Condition{cmpOp(path("d"), soql.OpEq, num("4")), cmpOp(path("e"), soql.OpEq, num("5"))}}},
			}},
		}},
		{"literals", "SELECT Id FROM A WHERE a IN (null, TRUE, false, -1.5, 1e3, 2024-01-31, 2024-01-31T10:00:00Z, " +
			"2024-01-31T10:00:00.123+05:30, 2024-01-31T10:00:00-0800, today, LAST_N_DAYS:30, N_DAYS_AGO:2)", &soql.Query{
			Select: []soql.SelectItem{field("Id")},
			From:   soql.Ident{Name: "A"},
			Where: cmpOp(path("a"), soql.OpIn, &soql.List{Values: []soql.Value{
				&soql.Null{}, &soql.Bool{Value: true}, &soql.Bool{Value: false}, num("-1.5"), num("1e3"),
				&soql.Date{Text: "2024-01-31", Time: time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)},
				&soql.DateTime{Text: "2024-01-31T10:00:00Z", Time: time.Date(2024, 1, 31, 10, 0, 0, 0, time.UTC)},
				&soql.DateTime{Text: "2024-01-31T10:00:00.123+05:30",
					Time: time.Date(2024, 1, 31, 10, 0, 0, 123e6, time.FixedZone("", 5*3600+1800))},
				&soql.DateTime{Text: "2024-01-31T10:00:00-0800", Time: time.Date(2024, 1, 31, 18, 0, 0, 0, time.UTC)},
				&soql.DateLiteral{Name: "TODAY"},
				&soql.DateLiteral{Name: "LAST_N_DAYS", N: 30},
				&soql.DateLiteral{Name: "N_DAYS_AGO", N: 2},
			}}),
		}},
		{"string escapes", `SELECT Id FROM A WHERE a = 'it\'s \"q\" \\ \n\t\r\b\f \u00e9' AND b LIKE '50\% \_x\\%_'`, &soql.Query{
			Select: []soql.SelectItem{field("Id")},
			From:   soql.Ident{Name: "A"},
			Where: &soql.And{Terms: []soql.Condition{
				cmpOp(path("a"), soql.OpEq, &soql.String{Value: "it's \"q\" \\ \n\t\r\b\f é", Pattern: "it's \"q\" \\\\ \n\t\r\b\f é"}),
				cmpOp(path("b"), soql.OpLike, &soql.String{Value: `50\% \_x\%_`, Pattern: `50\% \_x\\%_`}),
			}},
		}},
		{"semi-join", "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName = 'x') AND OwnerId NOT IN (SELECT Id FROM User)", &soql.Query{
			Select: []soql.SelectItem{field("Id")},
			From:   soql.Ident{Name: "Account"},
			Where: &soql.And{Terms: []soql.Condition{
				cmpOp(path("Id"), soql.OpIn, &soql.SemiJoin{Query: &soql.Query{
					Select: []soql.SelectItem{field("AccountId")},
					From:   soql.Ident{Name: "Contact"},
					Where:  cmpOp(path("LastName"), soql.OpEq, str("x")),
				}}),
				cmpOp(path("OwnerId"), soql.OpNotIn, &soql.SemiJoin{Query: &soql.Query{
					Select: []soql.SelectItem{field("Id")},
					From:   soql.Ident{Name: "User"},
				}}),
			}},
		}},
		{"order by keys", "SELECT Id FROM A ORDER BY a, b ASC, c DESC, d NULLS FIRST, e.f DESC NULLS LAST", &soql.Query{
			Select: []soql.SelectItem{field("Id")},
			From:   soql.Ident{Name: "A"},
			Order: []soql.OrderItem{
				{Field: path("a")}, {Field: path("b")}, {Field: path("c"), Desc: true},
				{Field: path("d"), Nulls: soql.NullsFirst}, {Field: path("e", "f"), Desc: true, Nulls: soql.NullsLast},
			},
		}},
		{"multi-line", "SELECT Id\n  FROM A\n WHERE\n a = 1", &soql.Query{
			Select: []soql.SelectItem{field("Id")},
			From:   soql.Ident{Name: "A"},
			Where:  cmpOp(path("a"), soql.OpEq, num("1")),
		}},
		{"unsupported select items", "SELECT Id, (SELECT Id FROM Contacts WHERE (a = 1)), TYPEOF What WHEN Account THEN Name ELSE Id END, " +
			"SUM(Amount) total, FIELDS(ALL), toLabel(Type) FROM Account", &soql.Query{
			Select: []soql.SelectItem{
				field("Id"),
				&soql.UnsupportedItem{Kind: soql.FeatureSubquery},
				&soql.UnsupportedItem{Kind: soql.FeatureTypeOf},
				&soql.UnsupportedItem{Kind: soql.FeatureFunction, Name: "SUM"},
				&soql.UnsupportedItem{Kind: soql.FeatureFields, Name: "FIELDS"},
				&soql.UnsupportedItem{Kind: soql.FeatureFunction, Name: "toLabel"},
			},
			From: soql.Ident{Name: "Account"},
		}},
		{"unsupported clauses", "SELECT Type FROM Account USING SCOPE mine WHERE a = 1 WITH SECURITY_ENFORCED GROUP BY Type HAVING COUNT(Id) > 1 " +
			"ORDER BY Type LIMIT 3 FOR VIEW", &soql.Query{
			Select: []soql.SelectItem{field("Type")},
			From:   soql.Ident{Name: "Account"},
			Where:  cmpOp(path("a"), soql.OpEq, num("1")),
			Order:  []soql.OrderItem{{Field: path("Type")}},
			Limit:  &soql.Int{Value: 3},
			Unsupported: []soql.Unsupported{
				{Kind: soql.FeatureUsingScope}, {Kind: soql.FeatureWith}, {Kind: soql.FeatureGroupBy},
				{Kind: soql.FeatureHaving}, {Kind: soql.FeatureFor},
			},
		}},
		{"date function in where", "SELECT Id FROM A WHERE CALENDAR_YEAR(CreatedDate) = 2024", &soql.Query{
			Select: []soql.SelectItem{field("Id")},
			From:   soql.Ident{Name: "A"},
			Where:  &soql.Comparison{Func: &soql.Ident{Name: "CALENDAR_YEAR"}, Field: path("CreatedDate"), Op: soql.OpEq, Value: num("2024")},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := soql.Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.src, err)
			}
			if diff := cmp.Diff(tt.want, got, ignorePos); diff != "" {
				t.Errorf("Parse(%q) (-want +got)\n%s", tt.src, diff)
			}
		})
	}
}

// TestParsePositions checks the offsets the error carets are built from.
func TestParsePositions(t *testing.T) {
	src := "SELECT Id, Account.Name FROM Contact WHERE Name = 'x'"
	q, err := soql.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	item := q.Select[1].(*soql.FieldItem)
	cmpn := q.Where.(*soql.Comparison)
	got := []soql.Pos{q.Pos, item.Path.Pos(), item.Path.Parts[1].Pos, q.From.Pos, cmpn.Field.Pos(), cmpn.OpPos, cmpn.Value.Position()}
	want := []soql.Pos{0, 11, 19, 29, 43, 48, 50}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got)\n%s", diff)
	}
	if q.Source != src {
		t.Errorf("Source = %q", q.Source)
	}
}
