package soql

import (
	"strconv"
	"strings"
)

// MaxQueryLength is Salesforce's default limit on the length of a SOQL
// statement, in characters.
const MaxQueryLength = 100_000

// maxPathParts allows five parent relationships before the field.
const maxPathParts = 6

// Parse parses one SOQL statement. Its errors are *Error with code
// MALFORMED_QUERY. Names are not resolved here: unknown objects and fields
// are Compile's business.
func Parse(src string) (*Query, error) {
	if len(src) > MaxQueryLength {
		// UNCERTAIN: wording (older orgs said "SOQL statements can not be
		// longer than 20000 characters").
		return nil, &Error{Code: CodeMalformedQuery,
			Message: "SOQL statements cannot be longer than " + strconv.Itoa(MaxQueryLength) + " characters."}
	}
	toks, lerr := lex(src)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{src: src, toks: toks}
	q, err := p.query(false)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected(t)
	}
	return q, nil
}

type parser struct {
	src  string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) unexpected(t token) *Error { return errUnexpected(p.src, t.pos, t.display()) }

// isKeyword reports whether t is the identifier kw, case-insensitively.
func isKeyword(t token, kw string) bool { return t.kind == tokIdent && strings.EqualFold(t.text, kw) }

func isPunct(t token, s string) bool { return t.kind == tokPunct && t.text == s }

func (p *parser) expectKeyword(kw string) (token, *Error) {
	t := p.next()
	if !isKeyword(t, kw) {
		return t, p.unexpected(t)
	}
	return t, nil
}

func (p *parser) expectPunct(s string) (token, *Error) {
	t := p.next()
	if !isPunct(t, s) {
		return t, p.unexpected(t)
	}
	return t, nil
}

// reserved are SOQL's reserved words: they cannot name a field or an alias.
var reserved = map[string]bool{
	"AND": true, "ASC": true, "DESC": true, "EXCLUDES": true, "FIRST": true, "FROM": true,
	"GROUP": true, "HAVING": true, "IN": true, "INCLUDES": true, "LAST": true, "LIKE": true,
	"LIMIT": true, "NOT": true, "NULL": true, "NULLS": true, "OR": true, "SELECT": true,
	"WHERE": true, "WITH": true,
}

// clauseWords start a clause after FROM; they end an unsupported clause and
// are not taken as an object alias.
var clauseWords = map[string]bool{
	"WHERE": true, "WITH": true, "GROUP": true, "HAVING": true, "ORDER": true, "LIMIT": true,
	"OFFSET": true, "FOR": true, "USING": true, "UPDATE": true,
}

func isReserved(t token) bool { return t.kind == tokIdent && reserved[strings.ToUpper(t.text)] }

func isClauseWord(t token) bool { return t.kind == tokIdent && clauseWords[strings.ToUpper(t.text)] }

// query parses SELECT … up to the end of its clauses. inner is true for a
// subquery in parentheses, which ends at the closing parenthesis.
func (p *parser) query(inner bool) (*Query, *Error) {
	sel, err := p.expectKeyword("SELECT")
	if err != nil {
		return nil, err
	}
	q := &Query{Pos: sel.pos, Source: p.src}
	for {
		item, err := p.selectItem()
		if err != nil {
			return nil, err
		}
		q.Select = append(q.Select, item)
		if !isPunct(p.peek(), ",") {
			break
		}
		p.next()
	}
	if _, err := p.expectKeyword("FROM"); err != nil {
		return nil, err
	}
	obj := p.next()
	if obj.kind != tokIdent || isReserved(obj) {
		return nil, p.unexpected(obj)
	}
	q.From = Ident{Name: obj.text, Pos: obj.pos}
	if t := p.peek(); t.kind == tokIdent && !isReserved(t) && !isClauseWord(t) {
		p.next()
		q.Alias = &Ident{Name: t.text, Pos: t.pos}
	}
	if isKeyword(p.peek(), "USING") {
		q.Unsupported = append(q.Unsupported, Unsupported{Kind: FeatureUsingScope, Pos: p.peek().pos})
		p.skipClause()
	}
	if isKeyword(p.peek(), "WHERE") {
		p.next()
		c, err := p.condition()
		if err != nil {
			return nil, err
		}
		q.Where = c
	}
	for isKeyword(p.peek(), "WITH") {
		q.Unsupported = append(q.Unsupported, Unsupported{Kind: FeatureWith, Pos: p.peek().pos})
		p.skipClause()
	}
	if isKeyword(p.peek(), "GROUP") {
		q.Unsupported = append(q.Unsupported, Unsupported{Kind: FeatureGroupBy, Pos: p.peek().pos})
		p.skipClause()
	}
	if isKeyword(p.peek(), "HAVING") {
		q.Unsupported = append(q.Unsupported, Unsupported{Kind: FeatureHaving, Pos: p.peek().pos})
		p.skipClause()
	}
	if inner {
		// A semi-join's subquery takes no ORDER BY, LIMIT or OFFSET.
		// UNCERTAIN: Salesforce's error for them.
		if t := p.peek(); !isPunct(t, ")") {
			return nil, p.unexpected(t)
		}
		return q, nil
	}
	if isKeyword(p.peek(), "ORDER") {
		p.next()
		if _, err := p.expectKeyword("BY"); err != nil {
			return nil, err
		}
		for {
			item, err := p.orderItem()
			if err != nil {
				return nil, err
			}
			q.Order = append(q.Order, item)
			if !isPunct(p.peek(), ",") {
				break
			}
			p.next()
		}
	}
	if isKeyword(p.peek(), "LIMIT") {
		p.next()
		n, err := p.integer()
		if err != nil {
			return nil, err
		}
		q.Limit = n
	}
	if isKeyword(p.peek(), "OFFSET") {
		p.next()
		n, err := p.integer()
		if err != nil {
			return nil, err
		}
		q.Offset = n
	}
	if isKeyword(p.peek(), "FOR") || isKeyword(p.peek(), "UPDATE") {
		q.Unsupported = append(q.Unsupported, Unsupported{Kind: FeatureFor, Pos: p.peek().pos})
		p.skipClause()
	}
	return q, nil
}

// skipClause steps over an unsupported clause: its keyword and everything up
// to the next clause keyword, closing parenthesis or the end, outside
// parentheses.
func (p *parser) skipClause() {
	p.next()
	depth := 0
	for {
		t := p.peek()
		switch {
		case t.kind == tokEOF:
			return
		case isPunct(t, "("):
			depth++
		case isPunct(t, ")"):
			if depth == 0 {
				return
			}
			depth--
		case depth == 0 && isClauseWord(t) && !isKeyword(t, "UPDATE"):
			return
		}
		p.next()
	}
}

// skipParens steps over a balanced parenthesised group starting at "(".
func (p *parser) skipParens() *Error {
	p.next() // (
	depth := 1
	for depth > 0 {
		t := p.next()
		switch {
		case t.kind == tokEOF:
			return p.unexpected(t)
		case isPunct(t, "("):
			depth++
		case isPunct(t, ")"):
			depth--
		}
	}
	return nil
}

func (p *parser) selectItem() (SelectItem, *Error) {
	t := p.peek()
	switch {
	case isPunct(t, "("):
		if !isKeyword(p.peekAt(1), "SELECT") {
			return nil, p.unexpected(t)
		}
		if err := p.skipParens(); err != nil {
			return nil, err
		}
		return &UnsupportedItem{Kind: FeatureSubquery, Pos: t.pos}, nil
	case isKeyword(t, "TYPEOF") && p.peekAt(1).kind == tokIdent:
		p.next()
		for {
			u := p.next()
			if u.kind == tokEOF {
				return nil, p.unexpected(u)
			}
			if isKeyword(u, "END") {
				break
			}
		}
		return &UnsupportedItem{Kind: FeatureTypeOf, Pos: t.pos}, nil
	case t.kind == tokIdent && !isReserved(t) && isPunct(p.peekAt(1), "("):
		p.next()
		if strings.EqualFold(t.text, "COUNT") {
			return p.countItem(t)
		}
		if err := p.skipParens(); err != nil {
			return nil, err
		}
		kind := FeatureFunction
		if strings.EqualFold(t.text, "FIELDS") {
			kind = FeatureFields
		}
		if a := p.peek(); a.kind == tokIdent && !isReserved(a) {
			p.next() // alias
		}
		return &UnsupportedItem{Kind: kind, Name: t.text, Pos: t.pos}, nil
	}
	path, err := p.path()
	if err != nil {
		return nil, err
	}
	return &FieldItem{Path: path}, nil
}

func (p *parser) countItem(name token) (SelectItem, *Error) {
	p.next() // (
	item := &CountItem{Pos: name.pos}
	if !isPunct(p.peek(), ")") {
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		item.Field = &path
	}
	if _, err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	if a := p.peek(); a.kind == tokIdent && !isReserved(a) {
		p.next()
		item.Alias = &Ident{Name: a.text, Pos: a.pos}
	}
	return item, nil
}

// path reads name(.name)*.
func (p *parser) path() (Path, *Error) {
	var path Path
	for {
		t := p.next()
		if t.kind != tokIdent || isReserved(t) {
			return Path{}, p.unexpected(t)
		}
		path.Parts = append(path.Parts, Ident{Name: t.text, Pos: t.pos})
		if !isPunct(p.peek(), ".") {
			break
		}
		p.next()
	}
	if len(path.Parts) > maxPathParts {
		// UNCERTAIN: Salesforce's wording for a path deeper than five
		// relationships.
		return Path{}, errorAt(p.src, path.Pos(), CodeMalformedQuery,
			"SOQL statements cannot query more than 5 levels of child-to-parent relationships")
	}
	return path, nil
}

func (p *parser) integer() (*Int, *Error) {
	t := p.next()
	if t.kind != tokNumber || strings.ContainsAny(t.text, ".eE+-") {
		return nil, p.unexpected(t)
	}
	n, err := strconv.ParseInt(t.text, 10, 64)
	if err != nil {
		return nil, p.unexpected(t)
	}
	return &Int{Value: n, Pos: t.pos}, nil
}

func (p *parser) orderItem() (OrderItem, *Error) {
	path, err := p.path()
	if err != nil {
		return OrderItem{}, err
	}
	item := OrderItem{Field: path}
	if isKeyword(p.peek(), "ASC") {
		p.next()
	} else if isKeyword(p.peek(), "DESC") {
		p.next()
		item.Desc = true
	}
	if isKeyword(p.peek(), "NULLS") {
		p.next()
		t := p.next()
		switch {
		case isKeyword(t, "FIRST"):
			item.Nulls = NullsFirst
		case isKeyword(t, "LAST"):
			item.Nulls = NullsLast
		default:
			return OrderItem{}, p.unexpected(t)
		}
	}
	return item, nil
}

// condition parses terms joined by AND or by OR. SOQL does not rank AND
// above OR: mixing them without parentheses is a syntax error, reported at
// the first connective that differs.
func (p *parser) condition() (Condition, *Error) {
	first, err := p.conditionTerm()
	if err != nil {
		return nil, err
	}
	terms := []Condition{first}
	conn := ""
	for {
		t := p.peek()
		var kw string
		switch {
		case isKeyword(t, "AND"):
			kw = "AND"
		case isKeyword(t, "OR"):
			kw = "OR"
		}
		if kw == "" {
			break
		}
		if conn != "" && kw != conn {
			return nil, p.unexpected(t)
		}
		conn = kw
		p.next()
		c, err := p.conditionTerm()
		if err != nil {
			return nil, err
		}
		terms = append(terms, c)
	}
	switch conn {
	case "AND":
		return &And{Terms: terms}, nil
	case "OR":
		return &Or{Terms: terms}, nil
	}
	return first, nil
}

func (p *parser) conditionTerm() (Condition, *Error) {
	t := p.peek()
	if isKeyword(t, "NOT") {
		p.next()
		x, err := p.conditionTerm()
		if err != nil {
			return nil, err
		}
		return &Not{X: x, Pos: t.pos}, nil
	}
	if isPunct(t, "(") {
		p.next()
		c, err := p.condition()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return c, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (Condition, *Error) {
	cmp := &Comparison{}
	t := p.peek()
	if t.kind == tokIdent && !isReserved(t) && isPunct(p.peekAt(1), "(") {
		// CALENDAR_YEAR(CreatedDate) = 2024 and friends.
		p.next()
		p.next()
		cmp.Func = &Ident{Name: t.text, Pos: t.pos}
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		cmp.Field = path
		if _, err := p.expectPunct(")"); err != nil {
			return nil, err
		}
	} else {
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		cmp.Field = path
	}
	op := p.next()
	cmp.OpPos = op.pos
	switch {
	case isPunct(op, "="):
		cmp.Op = OpEq
	case isPunct(op, "!="), isPunct(op, "<>"):
		cmp.Op = OpNe
	case isPunct(op, "<"):
		cmp.Op = OpLt
	case isPunct(op, "<="):
		cmp.Op = OpLe
	case isPunct(op, ">"):
		cmp.Op = OpGt
	case isPunct(op, ">="):
		cmp.Op = OpGe
	case isKeyword(op, "LIKE"):
		cmp.Op = OpLike
	case isKeyword(op, "IN"):
		cmp.Op = OpIn
	case isKeyword(op, "NOT"):
		if in := p.next(); !isKeyword(in, "IN") {
			return nil, p.unexpected(in)
		}
		cmp.Op = OpNotIn
	case isKeyword(op, "INCLUDES"):
		cmp.Op = OpIncludes
	case isKeyword(op, "EXCLUDES"):
		cmp.Op = OpExcludes
	default:
		return nil, p.unexpected(op)
	}
	switch cmp.Op {
	case OpIn, OpNotIn, OpIncludes, OpExcludes:
		open := p.peek()
		if !isPunct(open, "(") {
			return nil, p.unexpected(open)
		}
		if (cmp.Op == OpIn || cmp.Op == OpNotIn) && isKeyword(p.peekAt(1), "SELECT") {
			p.next()
			sub, err := p.query(true)
			if err != nil {
				return nil, err
			}
			p.next() // )
			cmp.Value = &SemiJoin{Query: sub, Pos: open.pos}
			return cmp, nil
		}
		p.next()
		list := &List{Pos: open.pos}
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			list.Values = append(list.Values, v)
			t := p.next()
			if isPunct(t, ")") {
				break
			}
			if !isPunct(t, ",") {
				return nil, p.unexpected(t)
			}
		}
		cmp.Value = list
	default:
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		cmp.Value = v
	}
	return cmp, nil
}

// dateLiterals are the relative dates this engine knows; the value says
// whether the literal takes ":n".
var dateLiterals = map[string]bool{
	"YESTERDAY": false, "TODAY": false, "TOMORROW": false,
	"LAST_WEEK": false, "THIS_WEEK": false, "NEXT_WEEK": false,
	"LAST_MONTH": false, "THIS_MONTH": false, "NEXT_MONTH": false,
	"LAST_90_DAYS": false, "NEXT_90_DAYS": false,
	"LAST_QUARTER": false, "THIS_QUARTER": false, "NEXT_QUARTER": false,
	"LAST_YEAR": false, "THIS_YEAR": false, "NEXT_YEAR": false,
	"LAST_N_DAYS": true, "NEXT_N_DAYS": true, "N_DAYS_AGO": true,
	"LAST_N_WEEKS": true, "NEXT_N_WEEKS": true, "N_WEEKS_AGO": true,
	"LAST_N_MONTHS": true, "NEXT_N_MONTHS": true, "N_MONTHS_AGO": true,
	"LAST_N_QUARTERS": true, "NEXT_N_QUARTERS": true, "N_QUARTERS_AGO": true,
	"LAST_N_YEARS": true, "NEXT_N_YEARS": true, "N_YEARS_AGO": true,
}

func (p *parser) value() (Value, *Error) {
	t := p.next()
	switch t.kind {
	case tokString:
		return &String{Value: t.value, Pattern: t.pattern, Pos: t.pos}, nil
	case tokNumber:
		return &Number{Text: t.text, Pos: t.pos}, nil
	case tokDate:
		return &Date{Text: t.text, Time: t.time, Pos: t.pos}, nil
	case tokDateTime:
		return &DateTime{Text: t.text, Time: t.time, Pos: t.pos}, nil
	case tokIdent:
		up := strings.ToUpper(t.text)
		switch up {
		case "NULL":
			return &Null{Pos: t.pos}, nil
		case "TRUE":
			return &Bool{Value: true, Pos: t.pos}, nil
		case "FALSE":
			return &Bool{Value: false, Pos: t.pos}, nil
		}
		takesN, ok := dateLiterals[up]
		if !ok {
			return nil, p.unexpected(t)
		}
		lit := &DateLiteral{Name: up, Pos: t.pos}
		if takesN {
			if _, err := p.expectPunct(":"); err != nil {
				return nil, err
			}
			n := p.next()
			if n.kind != tokNumber || strings.ContainsAny(n.text, ".eE+-") {
				return nil, p.unexpected(n)
			}
			v, err := strconv.Atoi(n.text)
			if err != nil {
				return nil, p.unexpected(n)
			}
			lit.N = v
		}
		return lit, nil
	}
	return nil, p.unexpected(t)
}
