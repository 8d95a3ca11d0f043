package soql

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Compiled is a query bound to the catalog and translated to SQLite.
type Compiled struct {
	// Object is the canonical name of the FROM object.
	Object string
	// Columns are the SELECT items in order. Column i is result column
	// Columns[i].Index of the SQL.
	Columns []Column
	// Relationships are the parent records the SELECT list reaches, each
	// after the one it hangs from (Owner before Owner.Profile). REST nests
	// their fields in an object per relationship, or null when the lookup is
	// empty.
	Relationships []Relationship
	// IDIndex is the result column holding the root record's Id (for REST's
	// attributes.url), -1 for COUNT queries.
	IDIndex int
	// SQL and Args run the query. Result values are in the storage encoding
	// (TEXT, INTEGER, REAL or NULL), to be formatted by field type.
	SQL  string
	Args []any
	// Count is set for COUNT() and COUNT(field): the SQL returns one row.
	// For COUNT() it has one column, the number of matching records, and
	// Columns is empty (REST answers totalSize with no records); for
	// COUNT(field) Columns describes the aggregate columns (REST answers one
	// AggregateResult record keyed by alias, expr0, expr1, …).
	Count bool
}

// Column is one SELECT item.
type Column struct {
	// Header is the column's name as Salesforce prints it in a Bulk CSV
	// header: canonical casing, relationships joined by dots
	// ("Account.Name"), or the alias of an aggregate ("expr0").
	Header string
	// Path is Header split at the dots for a field; nil for an aggregate.
	Path []string
	// Type is the describe type of the field ("int" for an aggregate).
	Type string
	// Rel indexes Relationships for a parent's field; -1 for a field of the
	// root object or an aggregate.
	Rel int
	// Index is the column's position in the SQL result.
	Index int
}

// Relationship is a parent record reached through a path of lookups.
type Relationship struct {
	// Path holds the canonical relationship names from the root object.
	Path []string
	// Object is the parent's object (for REST's attributes.type).
	Object string
	// Parent indexes Relationships for the relationship this one hangs
	// from; -1 when it hangs from the root object.
	Parent int
	// IDIndex is the result column holding the parent's Id, NULL when the
	// lookup is empty.
	IDIndex int
}

// Compile binds q against cat and translates it to SQLite for the storage
// encoding of the BRIEF. Its errors are *Error, worded as Salesforce words
// them for opts.API.
func Compile(q *Query, cat Catalog, opts Options) (*Compiled, error) {
	if opts.API != REST && opts.API != Bulk1 && opts.API != Bulk2 {
		return nil, errors.New("soql: Options.API must be REST, Bulk1 or Bulk2")
	}
	c := &compiler{src: q.Source, cat: cat, opts: opts, now: opts.Now, loc: opts.Location}
	if c.now.IsZero() {
		c.now = time.Now()
	}
	if c.loc == nil {
		c.loc = time.UTC
	}
	out, err := c.compile(q)
	if err != nil {
		return nil, err
	}
	return out, nil
}

type compiler struct {
	src    string
	cat    Catalog
	opts   Options
	now    time.Time
	loc    *time.Location
	args   []any
	scopes int
}

// scope is one FROM: the root query or a semi-join.
type scope struct {
	prefix string
	object Object
	alias  string
	joins  []*join
	byKey  map[string]*join
	semi   bool
}

type join struct {
	alias  string
	path   []string // canonical relationship names
	object Object
	parent *join
	on     string
	rel    int // index in Compiled.Relationships, -1 if not selected
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func (c *compiler) newScope(obj Object, alias string, semi bool) *scope {
	c.scopes++
	prefix := "t"
	if semi {
		prefix = "s" + strconv.Itoa(c.scopes) + "_"
	}
	return &scope{prefix: prefix, object: obj, alias: alias, byKey: map[string]*join{}, semi: semi}
}

func (s *scope) rootAlias() string { return s.prefix + "0" }

func (s *scope) from() string {
	var b strings.Builder
	b.WriteString(quoteIdent(s.object.Table) + " AS " + s.rootAlias())
	for _, j := range s.joins {
		b.WriteString(" LEFT JOIN " + quoteIdent(j.object.Table) + " AS " + j.alias + " ON " + j.on)
	}
	return b.String()
}

// bound is a field reference resolved against the catalog.
type bound struct {
	field Field
	table string // SQL alias of the table holding the column
	join  *join  // nil for a field of the scope's object
	rels  []string
	pos   Pos
}

func (b bound) col() string { return b.table + "." + quoteIdent(b.field.Column) }

func (b bound) header() string {
	if len(b.rels) == 0 {
		return b.field.Name
	}
	return strings.Join(b.rels, ".") + "." + b.field.Name
}

// resolve binds a path: relationships through Catalog.Relationship (each
// becoming a LEFT JOIN), the last name through Catalog.Field. A
// polymorphic lookup (several referenceTo) joins the first target the
// catalog knows, so the parent's fields read null for records that point
// at another type.
func (c *compiler) resolve(s *scope, p Path) (bound, *Error) {
	parts := p.Parts
	if len(parts) > 1 && (strings.EqualFold(parts[0].Name, s.object.Name) ||
		s.alias != "" && strings.EqualFold(parts[0].Name, s.alias)) {
		parts = parts[1:]
	}
	cur := s.object
	table := s.rootAlias()
	var parent *join
	var rels []string
	for _, part := range parts[:len(parts)-1] {
		f, ok := c.cat.Relationship(cur.Name, part.Name)
		if !ok {
			return bound{}, errNoSuchRelationship(c.src, p.Pos(), part.Name)
		}
		var target Object
		found := false
		for _, name := range f.ReferenceTo {
			if target, found = c.cat.Object(name); found {
				break
			}
		}
		idField, hasID := c.cat.Field(target.Name, "Id")
		if !found || !hasID || f.Column == "" {
			return bound{}, errNoSuchRelationship(c.src, p.Pos(), part.Name)
		}
		relName := f.RelationshipName
		if relName == "" {
			relName = part.Name
		}
		rels = append(rels, relName)
		key := strings.ToLower(strings.Join(rels, "."))
		j := s.byKey[key]
		if j == nil {
			j = &join{
				alias:  s.prefix + strconv.Itoa(len(s.joins)+1),
				path:   append([]string(nil), rels...),
				object: target,
				parent: parent,
				rel:    -1,
			}
			j.on = j.alias + "." + quoteIdent(idField.Column) + " = " + table + "." + quoteIdent(f.Column)
			s.joins = append(s.joins, j)
			s.byKey[key] = j
		}
		parent = j
		cur = target
		table = j.alias
	}
	last := parts[len(parts)-1]
	f, ok := c.cat.Field(cur.Name, last.Name)
	if !ok {
		return bound{}, errNoSuchColumn(c.src, p.Pos(), last.Name, cur.Name)
	}
	return bound{field: f, table: table, join: parent, rels: rels, pos: p.Pos()}, nil
}

func (c *compiler) compile(q *Query) (*Compiled, error) {
	obj, ok := c.cat.Object(q.From.Name)
	if !ok {
		return nil, errUnknownObject(c.src, q.From.Pos, q.From.Name)
	}
	if c.opts.API == Bulk1 && c.opts.JobObject != "" && !strings.EqualFold(c.opts.JobObject, obj.Name) {
		// Recorded (simple-salesforce#502).
		return nil, &Error{Code: CodeInvalidTypeForOperation, Message: fmt.Sprintf(
			"The root entity of the requested query (%s) does not match the entity of the requested Bulk API Job (%s).",
			obj.Name, c.opts.JobObject)}
	}
	if err := c.checkFeatures(q); err != nil {
		return nil, err
	}
	alias := ""
	if q.Alias != nil {
		alias = q.Alias.Name
	}
	s := c.newScope(obj, alias, false)
	out := &Compiled{Object: obj.Name, IDIndex: -1}

	// SELECT list.
	var selects []string
	var countStar *CountItem
	seen := map[string]bool{}
	aggregates := 0
	for _, item := range q.Select {
		switch it := item.(type) {
		case *CountItem:
			if c.opts.API != REST {
				return nil, c.errBulkAggregate(it.Pos)
			}
			if it.Field == nil {
				if len(q.Select) > 1 {
					return nil, c.errMustBeAggregated(q.Select, it)
				}
				countStar = it
				continue
			}
			b, err := c.resolve(s, *it.Field)
			if err != nil {
				return nil, err
			}
			if b.field.Column == "" {
				return nil, c.errCompound(b)
			}
			header := "expr" + strconv.Itoa(aggregates)
			if it.Alias != nil {
				header = it.Alias.Name
			} else {
				aggregates++
			}
			out.Columns = append(out.Columns, Column{Header: header, Type: "int", Rel: -1, Index: len(selects)})
			selects = append(selects, "COUNT("+b.col()+")")
			out.Count = true
		case *FieldItem:
			b, err := c.resolve(s, it.Path)
			if err != nil {
				return nil, err
			}
			if b.field.Column == "" {
				return nil, c.errCompound(b)
			}
			h := b.header()
			if seen[strings.ToLower(h)] {
				// Real wording; UNCERTAIN: the code.
				return nil, errorAt(c.src, it.Path.Pos(), CodeMalformedQuery, "duplicate field selected: %s", h)
			}
			seen[strings.ToLower(h)] = true
			rel := -1
			if b.join != nil {
				rel = c.selectRelationship(out, b.join)
			}
			out.Columns = append(out.Columns, Column{
				Header: h,
				Path:   append(append([]string(nil), b.rels...), b.field.Name),
				Type:   b.field.Type,
				Rel:    rel,
				Index:  len(selects),
			})
			selects = append(selects, b.col())
		}
	}
	if out.Count {
		for _, item := range q.Select {
			if f, ok := item.(*FieldItem); ok {
				return nil, errorAt(c.src, f.Path.Pos(), CodeMalformedQuery,
					"Field must be grouped or aggregated: %s", f.Path.String())
			}
		}
	}
	if countStar != nil || out.Count {
		if len(q.Order) > 0 {
			return nil, errorAt(c.src, q.Order[0].Field.Pos(), CodeMalformedQuery,
				"Ordered field must be grouped or aggregated: %s", q.Order[0].Field.String())
		}
	}

	// WHERE.
	var where []string
	if !c.opts.IncludeDeleted {
		if f, ok := c.cat.Field(obj.Name, "IsDeleted"); ok && f.Column != "" {
			where = append(where, s.rootAlias()+"."+quoteIdent(f.Column)+" = 0")
		}
	}
	if q.Where != nil {
		w, err := c.condition(s, q.Where)
		if err != nil {
			return nil, err
		}
		where = append(where, w)
	}

	// ORDER BY.
	var order []string
	for _, o := range q.Order {
		b, err := c.resolve(s, o.Field)
		if err != nil {
			return nil, err
		}
		if !b.field.Sortable || b.field.Column == "" {
			// Real wording.
			return nil, errorAt(c.src, o.Field.Pos(), CodeInvalidField,
				"field '%s' can not be sorted in a query call", b.field.Name)
		}
		expr := b.col() + c.collate(b.field)
		if o.Desc {
			expr += " DESC"
		} else {
			expr += " ASC"
		}
		nullsFirst := !o.Desc
		switch o.Nulls {
		case NullsFirst:
			nullsFirst = true
		case NullsLast:
			nullsFirst = false
		}
		if nullsFirst {
			expr += " NULLS FIRST"
		} else {
			expr += " NULLS LAST"
		}
		order = append(order, expr)
	}

	if countStar == nil && !out.Count {
		// Hidden Id columns: the root record's, then each selected parent's.
		idField, ok := c.cat.Field(obj.Name, "Id")
		if !ok {
			return nil, errNoSuchColumn(c.src, q.From.Pos, "Id", obj.Name)
		}
		out.IDIndex = len(selects)
		selects = append(selects, s.rootAlias()+"."+quoteIdent(idField.Column))
		for i := range out.Relationships {
			r := &out.Relationships[i]
			j := s.byKey[strings.ToLower(strings.Join(r.Path, "."))]
			idf, _ := c.cat.Field(j.object.Name, "Id")
			r.IDIndex = len(selects)
			selects = append(selects, j.alias+"."+quoteIdent(idf.Column))
		}
	}

	var b strings.Builder
	switch {
	case countStar != nil && (q.Limit != nil || q.Offset != nil):
		b.WriteString("SELECT COUNT(*) FROM (SELECT 1 FROM ")
	case countStar != nil:
		b.WriteString("SELECT COUNT(*) FROM ")
	default:
		b.WriteString("SELECT " + strings.Join(selects, ", ") + " FROM ")
	}
	b.WriteString(s.from())
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	if len(order) > 0 {
		b.WriteString(" ORDER BY " + strings.Join(order, ", "))
	}
	if !out.Count {
		if q.Limit != nil || q.Offset != nil {
			limit := int64(-1)
			if q.Limit != nil {
				limit = q.Limit.Value
			}
			b.WriteString(" LIMIT " + c.arg(limit))
		}
		if q.Offset != nil {
			b.WriteString(" OFFSET " + c.arg(q.Offset.Value))
		}
	}
	if countStar != nil && (q.Limit != nil || q.Offset != nil) {
		b.WriteString(")")
	}
	if countStar != nil {
		out.Count = true
	}
	out.SQL = b.String()
	out.Args = c.args
	return out, nil
}

// selectRelationship registers j (and the relationships it hangs from) in
// out.Relationships and returns its index.
func (c *compiler) selectRelationship(out *Compiled, j *join) int {
	if j.rel >= 0 {
		return j.rel
	}
	parent := -1
	if j.parent != nil {
		parent = c.selectRelationship(out, j.parent)
	}
	j.rel = len(out.Relationships)
	out.Relationships = append(out.Relationships, Relationship{
		Path:   append([]string(nil), j.path...),
		Object: j.object.Name,
		Parent: parent,
	})
	return j.rel
}

// collate returns the COLLATE clause for comparing and sorting the field:
// text compares case-insensitively unless the field is case-sensitive; Ids
// and everything else compare exactly.
func (c *compiler) collate(f Field) string {
	if isText(f.Type) && !f.CaseSensitive {
		return " COLLATE " + Collation
	}
	return ""
}

func (c *compiler) errMustBeAggregated(items []SelectItem, count *CountItem) *Error {
	for _, item := range items {
		switch it := item.(type) {
		case *FieldItem:
			return errorAt(c.src, it.Path.Pos(), CodeMalformedQuery,
				"Field must be grouped or aggregated: %s", it.Path.String())
		case *CountItem:
			if it != count {
				return errUnexpected(c.src, it.Pos, "COUNT")
			}
		}
	}
	return errUnexpected(c.src, count.Pos, "COUNT")
}

// checkFeatures rejects the constructs the parser skipped, with the error
// the API gives (Bulk) or a plain "not supported by localorg" (REST, and
// constructs Salesforce runs but this engine does not).
func (c *compiler) checkFeatures(q *Query) *Error {
	for _, item := range q.Select {
		u, ok := item.(*UnsupportedItem)
		if !ok {
			continue
		}
		switch u.Kind {
		case FeatureSubquery:
			switch c.opts.API {
			case Bulk1:
				// Recorded (jsforce/jsforce#732).
				return &Error{Code: CodeFunctionalityNotEnabled, Exception: "FeatureNotEnabled",
					Message: "Aggregate Relationships not supported in Bulk Query with CSV content type"}
			case Bulk2:
				// Recorded (OpenFn/adaptors#395).
				return &Error{Code: CodeAPIError,
					Message: "Aggregate Relationships not supported in Bulk V2 Query with CSV content type."}
			}
			return c.errNotSupported(u.Pos, "parent-to-child subqueries")
		case FeatureFunction:
			if c.opts.API != REST && isAggregateFunction(u.Name) {
				return c.errBulkAggregate(u.Pos)
			}
			return c.errNotSupported(u.Pos, "the function "+strings.ToUpper(u.Name)+"()")
		case FeatureTypeOf:
			return c.errNotSupported(u.Pos, "TYPEOF")
		case FeatureFields:
			return c.errNotSupported(u.Pos, "FIELDS()")
		}
	}
	for _, u := range q.Unsupported {
		if (u.Kind == FeatureGroupBy || u.Kind == FeatureHaving) && c.opts.API != REST {
			return c.errBulkAggregate(u.Pos)
		}
		return c.errNotSupported(u.Pos, u.Kind.String())
	}
	if q.Offset != nil {
		switch c.opts.API {
		case Bulk1:
			// UNCERTAIN: wording; Salesforce documents OFFSET as unsupported in Bulk queries.
			return &Error{Code: CodeFunctionalityNotEnabled, Message: "OFFSET clause is not supported in Bulk Query"}
		case Bulk2:
			return &Error{Code: CodeAPIError, Message: "OFFSET clause is not supported in Bulk V2 Query"}
		}
		if q.Offset.Value > 2000 {
			// UNCERTAIN: wording (newer orgs name the API version).
			return errorAt(c.src, q.Offset.Pos, CodeNumberOutsideRange, "Maximum SOQL offset allowed is 2000")
		}
	}
	return nil
}

func isAggregateFunction(name string) bool {
	switch strings.ToUpper(name) {
	case "AVG", "COUNT", "COUNT_DISTINCT", "MIN", "MAX", "SUM":
		return true
	}
	return false
}

// errBulkAggregate is the Bulk APIs' refusal of COUNT(), other aggregate
// functions and GROUP BY. UNCERTAIN: wording and codes (Salesforce
// documents them as unsupported; no recorded answer).
func (c *compiler) errBulkAggregate(pos Pos) *Error {
	if c.opts.API == Bulk2 {
		return &Error{Code: CodeAPIError, Message: "Aggregate queries are not supported in Bulk V2 Query"}
	}
	return &Error{Code: CodeFunctionalityNotEnabled, Message: "Aggregate queries are not supported in Bulk Query"}
}

// errCompound refuses address and location fields, which have no column.
func (c *compiler) errCompound(b bound) *Error {
	switch c.opts.API {
	case Bulk1:
		// Recorded (xjsender/haoide#137).
		return &Error{Code: CodeFunctionalityNotEnabled, Message: "Selecting compound data not supported in Bulk Query"}
	case Bulk2:
		return &Error{Code: CodeAPIError, Message: "Selecting compound data not supported in Bulk Query"}
	}
	return c.errNotSupported(b.pos, "compound field "+b.field.Name)
}

// errNotSupported reports SOQL that Salesforce runs but localorg does not.
// It is not a Salesforce message: the text says which engine refused.
func (c *compiler) errNotSupported(pos Pos, what string) *Error {
	return errorAt(c.src, pos, CodeFunctionalityNotEnabled, "%s not supported by localorg", what)
}
