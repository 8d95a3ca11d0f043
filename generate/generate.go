// Package generate writes configuration for records that already exist in
// an org, so that a team can bring them under sfsync without writing HCL by
// hand.
//
// It exists because the inverse of planning has rules of its own: the
// output must plan with no changes against the org it came from, so values
// are written in the form the planner reads them back as (numbers as
// numbers, multi-select picklists as lists, datetimes in UTC); it must be
// reviewable, so it is formatted, sorted and stable from run to run; and it
// must hold no org-specific Ids, because the same configuration is applied
// to a sandbox and to production. So a lookup becomes a reference to the
// generated (or already configured) record it points at, and RecordTypeId,
// OwnerId and the standard price book become data lookups by their
// developer name, username or IsStandard; a lookup that can be neither is
// left out (unmanaged) and reported.
//
// Generate reads the org through the same bulk client the planner uses and
// parses values with the planner's value rules; it knows nothing of state
// or of the command line. The command layer supplies the records that are
// already configured (Options.Known) and writes the result.
package generate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/agext/levenshtein"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/planner"
)

// Org is what generating needs of an org. *bulk.Client is one.
type Org interface {
	DescribeGlobal(ctx context.Context) (*bulk.GlobalDescribe, error)
	Describe(ctx context.Context, object string) (*bulk.SObject, error)
	Query(ctx context.Context, soql string, opt bulk.QueryOptions) *bulk.Rows
}

var _ Org = (*bulk.Client)(nil)

// Spec says which records of one object to generate.
type Spec struct {
	Object string
	// Where narrows the records (a SOQL condition); it is also written as
	// the object block's where. Empty: every record.
	Where string
	// Key are the fields the object block matches records by. Empty: an
	// external Id field that every record has and no two share, or, for
	// PricebookEntry, its price book and product.
	Key []string
	// Fields are the fields to write besides the key. Empty: every field
	// that can be written (createable or updateable) and read back, except
	// system, formula, auto-number and encrypted fields.
	Fields []string
}

// Options are the inputs of Generate.
type Options struct {
	Org     Org
	Objects []Spec
	// Known returns the address of a record the configuration already
	// declares (bound in state, or matched by a plan of the existing
	// configuration), so that a lookup to it becomes a reference. Nil:
	// none.
	Known func(id string) (hcl.Address, bool)
	// Data are the data lookups the configuration already declares: a
	// lookup generate needs that one of them already makes (same object,
	// same where) is referred to, not declared again, and new ones get
	// names none of them has.
	Data []*hcl.DataLookup
	// Header is written as comment lines at the top of the file.
	Header []string
}

// Result is the generated configuration.
type Result struct {
	// HCL is the formatted configuration.
	HCL []byte
	// Records counts the records generated per object, in Spec order.
	Records []ObjectCount
	// Addresses are the addresses of the generated records, sorted.
	Addresses []string
	// Notes are things the user should know: records left out, fields
	// left out of records. One line each, sorted.
	Notes []string
}

// ObjectCount is the number of records generated for one object.
type ObjectCount struct {
	Object  string
	Records int
}

// Generate reads the records the specs name and writes their
// configuration.
func Generate(ctx context.Context, opts Options) (*Result, error) {
	if opts.Org == nil || len(opts.Objects) == 0 {
		return nil, fmt.Errorf("generate: an org and at least one object are required")
	}
	g := &gen{opts: opts, byID: map[string]*rec{}, data: map[string]*dataRef{}, notes: map[string]bool{}}
	global, err := opts.Org.DescribeGlobal(ctx)
	if err != nil {
		return nil, err
	}
	g.global = global
	g.prefixes = map[string]string{}
	for _, o := range global.SObjects {
		if o.KeyPrefix != "" {
			g.prefixes[o.KeyPrefix] = o.Name
		}
	}
	seen := map[string]bool{}
	for _, s := range opts.Objects {
		if seen[strings.ToLower(s.Object)] {
			return nil, fmt.Errorf("-object %s is given twice", s.Object)
		}
		seen[strings.ToLower(s.Object)] = true
		og, err := g.prepare(ctx, s)
		if err != nil {
			return nil, err
		}
		g.objects = append(g.objects, og)
	}
	for _, og := range g.objects {
		if err := g.read(ctx, og); err != nil {
			return nil, err
		}
	}
	for _, og := range g.objects {
		if err := g.chooseKey(og); err != nil {
			return nil, err
		}
	}
	if err := g.resolve(ctx); err != nil {
		return nil, err
	}
	for _, og := range g.objects {
		g.keep(og)
		if len(og.recs) == 0 {
			g.note("%s: no records to generate", og.name)
		}
	}
	if err := g.label(); err != nil {
		return nil, err
	}
	return g.emit(), nil
}

// gen is one run of Generate.
type gen struct {
	opts     Options
	global   *bulk.GlobalDescribe
	prefixes map[string]string // key prefix → object
	objects  []*objGen
	byID     map[string]*rec            // generated records by 18-character Id
	data     map[string]*dataRef        // data lookups by object + "\x00" + Id
	dataName map[string]map[string]bool // names taken, by object (lower case)
	notes    map[string]bool
}

func (g *gen) note(format string, args ...any) { g.notes[fmt.Sprintf(format, args...)] = true }

// objGen is one object being generated.
type objGen struct {
	spec   Spec
	name   string // as describe spells it
	d      *bulk.SObject
	key    []*bulk.Field
	fields []*bulk.Field // the fields written (the key among them)
	// extra are fields queried only to choose the key from (external Id
	// fields not among fields, when -key is not given).
	extra  []*bulk.Field
	specs  map[string]planner.FieldSpec
	recs   []*rec
	labels map[string]*rec
}

// rec is one record being generated.
type rec struct {
	obj   *objGen
	id    string
	raw   map[string]string // field name → the org's text ("" null)
	refs  map[string]target // reference fields resolved
	omit  map[string]bool   // reference fields left out
	label string
}

// target is what a reference field refers to.
type target struct {
	rec  *rec
	addr hcl.Address
	data *dataRef
}

// dataRef is a data lookup the output uses.
type dataRef struct {
	object, name, where string
	label               string // what a record label takes from it
	existing            bool   // declared by the configuration already
}

// systemFields are writable fields that are not data: they belong to
// integrations (Data.com, duplicate rules) rather than to the records a
// team keeps in Git.
var systemFields = map[string]bool{"jigsaw": true, "cleanstatus": true, "jigsawcompanyid": true, "jigsawcontactid": true}

// prepare describes the object and picks its fields.
func (g *gen) prepare(ctx context.Context, s Spec) (*objGen, error) {
	if _, ok := g.global.Object(s.Object); !ok {
		names := make([]string, len(g.global.SObjects))
		for i, o := range g.global.SObjects {
			names[i] = o.Name
		}
		return nil, fmt.Errorf("object %s does not exist in the org%s", s.Object, didYouMean(s.Object, names))
	}
	d, err := g.opts.Org.Describe(ctx, s.Object)
	if err != nil {
		return nil, err
	}
	og := &objGen{spec: s, name: d.Name, d: d, specs: map[string]planner.FieldSpec{}}
	field := func(name, what string) (*bulk.Field, error) {
		f, ok := d.Field(name)
		if !ok {
			names := make([]string, len(d.Fields))
			for i := range d.Fields {
				names[i] = d.Fields[i].Name
			}
			return nil, fmt.Errorf("%s %s: %s has no field %s%s", what, name, d.Name, name, didYouMean(name, names))
		}
		if _, ok := planner.SpecOf(f); !ok {
			return nil, fmt.Errorf("%s %s: %s.%s is a %s field, which sfsync cannot write", what, name, d.Name, f.Name, f.Type)
		}
		if !f.Createable && !f.Updateable {
			return nil, fmt.Errorf("%s %s: %s.%s cannot be written (it is neither createable nor updateable)", what, name, d.Name, f.Name)
		}
		return f, nil
	}
	for _, k := range s.Key {
		f, err := field(k, "-key")
		if err != nil {
			return nil, err
		}
		og.key = append(og.key, f)
	}
	if len(og.key) == 0 {
		// An entry is one product in one price book.
		if strings.EqualFold(d.Name, "PricebookEntry") {
			for _, n := range []string{"Pricebook2Id", "Product2Id"} {
				if f, ok := d.Field(n); ok {
					og.key = append(og.key, f)
				}
			}
			if len(og.key) != 2 {
				og.key = nil
			}
		}
	}
	var fields []*bulk.Field
	if len(s.Fields) > 0 {
		for _, n := range s.Fields {
			f, err := field(n, "-fields")
			if err != nil {
				return nil, err
			}
			fields = append(fields, f)
		}
	} else {
		for i := range d.Fields {
			if f := &d.Fields[i]; defaultField(f) {
				fields = append(fields, f)
			}
		}
	}
	seen := map[string]bool{}
	for _, f := range fields {
		if !seen[f.Name] {
			seen[f.Name] = true
			og.fields = append(og.fields, f)
		}
	}
	for _, f := range og.key {
		if !seen[f.Name] {
			seen[f.Name] = true
			og.fields = append(og.fields, f)
		}
	}
	if len(og.key) == 0 {
		for i := range d.Fields {
			if f := &d.Fields[i]; f.ExternalID && defaultField(f) && !seen[f.Name] {
				og.extra = append(og.extra, f)
			}
		}
	}
	for _, f := range append(slices.Clone(og.fields), og.extra...) {
		og.specs[f.Name], _ = planner.SpecOf(f)
	}
	return og, nil
}

// defaultField reports whether a field is written when -fields is not
// given: one a team would manage as data.
func defaultField(f *bulk.Field) bool {
	if !f.Createable && !f.Updateable || f.Calculated || f.AutoNumber || f.DeprecatedAndHidden {
		return false
	}
	if _, ok := planner.SpecOf(f); !ok || strings.EqualFold(f.Type, "id") {
		return false
	}
	// An encrypted value reads back masked unless the user may see it: it
	// would never plan unchanged.
	if strings.EqualFold(f.Type, "encryptedstring") || systemFields[strings.ToLower(f.Name)] {
		return false
	}
	return true
}

// read queries the object's records. The standard price book is left
// out: every org has its own, which cannot be created, so it is never a
// record to generate; lookups to it become data.Pricebook2 lookups by
// IsStandard.
func (g *gen) read(ctx context.Context, og *objGen) error {
	cols := []string{"Id"}
	queried := append(slices.Clone(og.fields), og.extra...)
	for _, f := range queried {
		cols = append(cols, f.Name)
	}
	_, hasStandard := og.d.Field("IsStandard")
	hasStandard = hasStandard && strings.EqualFold(og.name, "Pricebook2")
	if hasStandard && !slices.ContainsFunc(queried, func(f *bulk.Field) bool { return strings.EqualFold(f.Name, "IsStandard") }) {
		cols = append(cols, "IsStandard")
	}
	soql := "SELECT " + strings.Join(cols, ", ") + " FROM " + og.name
	if og.spec.Where != "" {
		soql += " WHERE " + og.spec.Where
	}
	rows := g.opts.Org.Query(ctx, soql, bulk.QueryOptions{})
	defer rows.Close()
	for rows.Next() {
		row := rows.Row()
		id, _ := row.Get("Id")
		if !sfid.Valid(id) {
			return fmt.Errorf("query %s: a row has no valid Id (%q)", og.name, id)
		}
		if v, _ := row.Get("IsStandard"); hasStandard && strings.EqualFold(v, "true") {
			g.note("%s: the standard price book is left out: every org has its own, which cannot be created, so price book entries refer to it through a data lookup (IsStandard = true); -where 'IsStandard = false' leaves it out without this note", og.name)
			continue
		}
		r := &rec{obj: og, id: sfid.To18(id), raw: make(map[string]string, len(queried)), refs: map[string]target{}, omit: map[string]bool{}}
		for _, f := range queried {
			v, _ := row.Get(f.Name)
			r.raw[f.Name] = v
		}
		og.recs = append(og.recs, r)
		g.byID[r.id] = r
	}
	if err := rows.Err(); err != nil {
		if og.spec.Where != "" {
			if msg, col, ok := soqlError(err); ok {
				return whereError(og, msg, col-1-strings.Index(soql, " WHERE ")-len(" WHERE "))
			}
		}
		return err
	}
	slices.SortFunc(og.recs, func(a, b *rec) int { return cmp.Compare(a.id, b.id) })
	return nil
}

// didYouMean returns "; did you mean X?" for the name closest to given
// (case-insensitively, at most a third of its length away), or "". A
// custom name given without its __c suffix is found too.
func didYouMean(given string, names []string) string {
	best, bestD := "", max(2, len(given)/3)+1
	for _, n := range names {
		d := levenshtein.Distance(strings.ToLower(given), strings.ToLower(n), nil)
		if strings.EqualFold(given+"__c", n) {
			d = 1
		}
		if d < bestD || d == bestD && n < best {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return "; did you mean " + best + "?"
}

// soqlError returns Salesforce's message for an error the org gave a
// query it could not run (a 400 answer, or a Bulk 1.0 batch that failed),
// without the location part, and the column the location names (1 for
// the query's first character; 0: none). Salesforce's form is
//
//	<a part of the query>
//	<spaces>^
//	ERROR at Row:1:Column:37
//	<the message>
func soqlError(err error) (msg string, col int, ok bool) {
	var ae *bulk.APIError
	var je *bulk.JobError
	switch {
	case errors.As(err, &ae) && ae.StatusCode == 400:
		msg = ae.Message
		if ae.Code != "" {
			defer func() { msg = ae.Code + ": " + msg }()
		}
	case errors.As(err, &je):
		msg = je.Message
		if je.Code != "" {
			defer func() { msg = je.Code + ": " + msg }()
		}
	default:
		return "", 0, false
	}
	i := strings.Index(msg, "ERROR at Row:")
	if i < 0 {
		return strings.TrimSpace(msg), 0, true
	}
	loc, rest, _ := strings.Cut(msg[i:], "\n")
	var row int
	if n, _ := fmt.Sscanf(loc, "ERROR at Row:%d:Column:%d", &row, &col); n != 2 || row != 1 {
		col = 0
	}
	return strings.TrimSpace(rest), col, true
}

// whereError says that the org rejected -where, with Salesforce's message
// and, when the error's column falls inside it (offset, from 0), the
// condition with a caret under that column; the query around it is
// generate's, not the user's, so it is not shown.
func whereError(og *objGen, msg string, offset int) error {
	where := og.spec.Where
	var b strings.Builder
	fmt.Fprintf(&b, "-where of -object %s is not a condition the org accepts: %s", og.spec.Object, msg)
	if offset >= 0 && offset <= len(where) && !strings.ContainsAny(where, "\n\r") {
		fmt.Fprintf(&b, "\n  -where %s\n         %s^", where, strings.Repeat(" ", utf8.RuneCountInString(where[:offset])))
	}
	return errors.New(b.String())
}

// chooseKey picks the key when -key was not given (and the object has
// no natural one): the first external Id field, in describe order, that
// every record has and no two records share.
func (g *gen) chooseKey(og *objGen) error {
	if len(og.key) > 0 {
		return nil
	}
	for i := range og.d.Fields {
		f := &og.d.Fields[i]
		if !f.ExternalID || !defaultField(f) {
			continue
		}
		if og.uniqueAndSet(f) {
			og.key = []*bulk.Field{f}
			if !slices.Contains(og.fields, f) {
				og.fields = append(og.fields, f)
			}
			return nil
		}
	}
	return fmt.Errorf("%s: name the key with -key FIELD[,FIELD]: no external Id field has a value on every record and a different one on each (the key is how sfsync finds each record in the org, e.g. -key AccountNumber)", og.name)
}

// uniqueAndSet reports whether every record has a value of f and no two
// have the same one, as keys compare.
func (og *objGen) uniqueAndSet(f *bulk.Field) bool {
	seen := map[string]bool{}
	for _, r := range og.recs {
		v, err := planner.ParseOrg(og.specs[f.Name], r.raw[f.Name])
		if err != nil || v.IsNull() {
			return false
		}
		k := v.Key(f.CaseSensitive)
		if seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}

// specialLookups are the objects whose records are referred to through a
// data lookup by a name that is the same in every org: the SOQL fields to
// read and how to make the lookup.
var specialLookups = map[string]struct {
	fields string
	lookup func(get func(string) string) (where, name string, ok bool)
}{
	"RecordType": {"SobjectType, DeveloperName", func(get func(string) string) (string, string, bool) {
		return "SobjectType = " + bulk.QuoteSOQL(get("SobjectType")) + " AND DeveloperName = " + bulk.QuoteSOQL(get("DeveloperName")),
			get("SobjectType") + "_" + get("DeveloperName"), get("DeveloperName") != ""
	}},
	"User": {"Username", func(get func(string) string) (string, string, bool) {
		return "Username = " + bulk.QuoteSOQL(get("Username")), get("Username"), get("Username") != ""
	}},
	"Group": {"Type, DeveloperName", func(get func(string) string) (string, string, bool) {
		return "Type = " + bulk.QuoteSOQL(get("Type")) + " AND DeveloperName = " + bulk.QuoteSOQL(get("DeveloperName")),
			get("Type") + "_" + get("DeveloperName"), get("DeveloperName") != ""
	}},
	"Pricebook2": {"IsStandard", func(get func(string) string) (string, string, bool) {
		// Only the standard price book is the same in every org; others
		// are records to generate.
		return "IsStandard = true", "standard", strings.EqualFold(get("IsStandard"), "true")
	}},
}

// resolve decides what every reference field refers to.
func (g *gen) resolve(ctx context.Context) error {
	pending := map[string]map[string]bool{} // object → Ids to look up
	for _, og := range g.objects {
		for _, f := range og.fields {
			if !strings.EqualFold(f.Type, "reference") {
				continue
			}
			for _, r := range og.recs {
				id := r.raw[f.Name]
				if id == "" {
					continue
				}
				if !sfid.Valid(id) {
					return fmt.Errorf("%s %s: %s is %q, not an Id", og.name, r.id, f.Name, id)
				}
				id = sfid.To18(id)
				if t, ok := g.byID[id]; ok {
					r.refs[f.Name] = target{rec: t}
					continue
				}
				// The standard price book is always a data lookup, even
				// when the configuration has a record bound to it.
				obj := g.prefixes[id[:3]]
				if g.opts.Known != nil && obj != "Pricebook2" {
					if a, ok := g.opts.Known(id); ok {
						r.refs[f.Name] = target{addr: a}
						continue
					}
				}
				if _, ok := specialLookups[obj]; ok {
					if pending[obj] == nil {
						pending[obj] = map[string]bool{}
					}
					pending[obj][id] = true
				}
			}
		}
	}
	g.dataName = map[string]map[string]bool{}
	for _, d := range g.opts.Data {
		o := strings.ToLower(d.Object)
		if g.dataName[o] == nil {
			g.dataName[o] = map[string]bool{}
		}
		g.dataName[o][d.Name] = true
	}
	objs := make([]string, 0, len(pending))
	for o := range pending {
		objs = append(objs, o)
	}
	slices.Sort(objs)
	for _, obj := range objs {
		if err := g.lookupData(ctx, obj, pending[obj]); err != nil {
			return err
		}
	}
	for _, og := range g.objects {
		for _, f := range og.fields {
			if !strings.EqualFold(f.Type, "reference") {
				continue
			}
			n := 0
			for _, r := range og.recs {
				id := r.raw[f.Name]
				if id == "" {
					continue
				}
				if _, ok := r.refs[f.Name]; ok {
					continue
				}
				if d, ok := g.data[g.prefixes[id[:3]]+"\x00"+sfid.To18(id)]; ok {
					r.refs[f.Name] = target{data: d}
					continue
				}
				if g.opts.Known != nil {
					if a, ok := g.opts.Known(sfid.To18(id)); ok {
						r.refs[f.Name] = target{addr: a}
						continue
					}
				}
				r.omit[f.Name] = true
				n++
			}
			if n > 0 && !slices.Contains(og.key, f) {
				g.note("%s.%s: %s to %s that %s neither generated nor configured, so the field is left out of %s (unmanaged); add -object %s to generate %s too",
					og.name, f.Name, plural(n, "1 record refers", fmt.Sprintf("%d records refer", n)), describeTargets(f, n), plural(n, "is", "are"),
					plural(n, "it", "them"), strings.Join(f.ReferenceTo, " or -object "), plural(n, "that record", "those records"))
			}
		}
	}
	return nil
}

func describeTargets(f *bulk.Field, n int) string {
	what := strings.Join(f.ReferenceTo, " or ")
	if what == "" {
		return plural(n, "a record", "records")
	}
	article := "a "
	if strings.ContainsRune("AEIOU", rune(what[0])) {
		article = "an "
	}
	return plural(n, article+what+" record", what+" records")
}

// lookupData reads the records of a special object that generated records
// refer to and makes a data lookup for each.
func (g *gen) lookupData(ctx context.Context, obj string, ids map[string]bool) error {
	sl := specialLookups[obj]
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	slices.Sort(list)
	type found struct{ id, where, name string }
	var all []found
	for chunk := range slices.Chunk(list, 200) {
		quoted := make([]string, len(chunk))
		for i, id := range chunk {
			quoted[i] = bulk.QuoteSOQL(id)
		}
		soql := "SELECT Id, " + sl.fields + " FROM " + obj + " WHERE Id IN (" + strings.Join(quoted, ", ") + ")"
		rows := g.opts.Org.Query(ctx, soql, bulk.QueryOptions{API: bulk.REST})
		for rows.Next() {
			row := rows.Row()
			get := func(n string) string { v, _ := row.Get(n); return v }
			if where, name, ok := sl.lookup(get); ok {
				all = append(all, found{sfid.To18(get("Id")), where, name})
			}
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return err
		}
		rows.Close()
	}
	// Names are given in Id order, whatever order the org answered in, so
	// that clashing names get the same suffixes on every run.
	slices.SortFunc(all, func(a, b found) int { return cmp.Compare(a.id, b.id) })
	for _, f := range all {
		g.data[obj+"\x00"+f.id] = g.dataRefFor(obj, f.where, f.name)
	}
	return nil
}

// dataRefFor returns the data lookup for (obj, where): the configuration's
// own when it has one, else a new one with a name derived from name.
func (g *gen) dataRefFor(obj, where, name string) *dataRef {
	for _, d := range g.data {
		if d.object == obj && d.where == where {
			return d
		}
	}
	for _, d := range g.opts.Data {
		if strings.EqualFold(d.Object, obj) && strings.TrimSpace(d.Where) == where {
			return &dataRef{object: d.Object, name: d.Name, where: where, label: d.Name, existing: true}
		}
	}
	base := sanitize(name, strings.ToLower(obj))
	o := strings.ToLower(obj)
	if g.dataName[o] == nil {
		g.dataName[o] = map[string]bool{}
	}
	n := base
	for i := 2; g.dataName[o][n]; i++ {
		n = fmt.Sprintf("%s_%d", base, i)
	}
	g.dataName[o][n] = true
	return &dataRef{object: obj, name: n, where: where, label: n}
}

// keep drops the records that cannot be written: no key value, or a key
// that refers to a record it cannot name.
func (g *gen) keep(og *objGen) {
	var kept []*rec
	noKey, unnamed := 0, map[string]int{} // unnamed: by key field
	for _, r := range og.recs {
		ok := true
		for _, f := range og.key {
			switch {
			case r.raw[f.Name] == "":
				if ok {
					noKey++
				}
				ok = false
			case r.omit[f.Name]:
				if ok {
					unnamed[f.Name]++
				}
				ok = false
			}
		}
		if ok {
			kept = append(kept, r)
			continue
		}
		delete(g.byID, r.id)
	}
	if noKey > 0 {
		names := make([]string, len(og.key))
		for i, f := range og.key {
			names[i] = f.Name
		}
		g.note("%s: %s left out: %s no value for the key (%s)", og.name, countRecords(noKey), plural(noKey, "it has", "they have"), strings.Join(names, ", "))
	}
	for _, f := range og.key {
		if n := unnamed[f.Name]; n > 0 {
			g.note("%s: %s left out: %s key field %s refers to %s that %s neither generated nor configured; add -object %s to generate %s too",
				og.name, countRecords(n), plural(n, "its", "their"), f.Name, describeTargets(f, n), plural(n, "is", "are"),
				strings.Join(f.ReferenceTo, " or -object "), plural(n, "it", "them"))
		}
	}
	og.recs = kept
	// A reference to a dropped record cannot be written either.
	for _, other := range g.objects {
		for _, r := range other.recs {
			for f, t := range r.refs {
				if t.rec != nil && g.byID[t.rec.id] == nil {
					delete(r.refs, f)
					r.omit[f] = true
				}
			}
		}
	}
}

// label gives every record a label derived from its key, unique within
// its object, and checks that no two records share a key.
func (g *gen) label() error {
	for _, og := range g.objects {
		og.labels = map[string]*rec{}
		keys := map[string]*rec{}
		for _, r := range og.recs {
			k, err := r.keyNorm()
			if err != nil {
				return err
			}
			if other, dup := keys[k]; dup {
				return fmt.Errorf("%s records %s and %s have the same key (%s): choose a key whose values differ on every record with -key", og.name, other.id, r.id, r.keyFieldNames())
			}
			keys[k] = r
		}
	}
	for _, og := range g.objects {
		// Give labels in the order of their bases, then Ids, so that the
		// suffixes of clashing labels are the same on every run.
		type cand struct {
			r    *rec
			base string
		}
		cands := make([]cand, len(og.recs))
		for i, r := range og.recs {
			cands[i] = cand{r, g.labelBase(r, 0)}
		}
		slices.SortFunc(cands, func(a, b cand) int {
			return cmp.Or(cmp.Compare(a.base, b.base), cmp.Compare(a.r.id, b.r.id))
		})
		for _, c := range cands {
			l := c.base
			for i := 2; og.labels[l] != nil; i++ {
				l = fmt.Sprintf("%s_%d", c.base, i)
			}
			og.labels[l] = c.r
			c.r.label = l
		}
	}
	return nil
}

// keyNorm is the record's key as keys are compared.
func (r *rec) keyNorm() (string, error) {
	var parts []string
	for _, f := range r.obj.key {
		v, err := planner.ParseOrg(r.obj.specs[f.Name], r.raw[f.Name])
		if err != nil {
			return "", fmt.Errorf("%s %s: key %s: %w", r.obj.name, r.id, f.Name, err)
		}
		parts = append(parts, v.Key(f.CaseSensitive))
	}
	return strings.Join(parts, "\x00"), nil
}

func (r *rec) keyFieldNames() string {
	var parts []string
	for _, f := range r.obj.key {
		parts = append(parts, f.Name+" = "+r.raw[f.Name])
	}
	return strings.Join(parts, ", ")
}

// labelBase is the label a record's key suggests: its key values, a
// reference replaced by the label of the record (or data lookup) it names.
func (g *gen) labelBase(r *rec, depth int) string {
	var parts []string
	for _, f := range r.obj.key {
		if t, ok := r.refs[f.Name]; ok {
			switch {
			case t.rec != nil && depth < 3:
				parts = append(parts, g.labelBase(t.rec, depth+1))
			case t.rec != nil:
				// Keys that refer to records whose keys refer to records...
				// (or a cycle of them): name the object only.
				parts = append(parts, t.rec.obj.name)
			case t.data != nil:
				parts = append(parts, t.data.label)
			default:
				parts = append(parts, t.addr.Label, t.addr.Key)
			}
			continue
		}
		v, err := planner.ParseOrg(r.obj.specs[f.Name], r.raw[f.Name])
		if err != nil {
			parts = append(parts, r.raw[f.Name])
			continue
		}
		parts = append(parts, v.Canonical())
	}
	return sanitize(strings.Join(parts, "_"), strings.ToLower(r.obj.name))
}

// maxLabel bounds label length; longer keys are cut.
const maxLabel = 64

// sanitize turns text into a record label or data lookup name: lower
// case ASCII letters, digits and single underscores, starting with a
// letter (prefixed with prefix when it would not), never "csv".
func sanitize(s, prefix string) string {
	var b strings.Builder
	under := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			under = false
			continue
		}
		if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	out := strings.TrimRight(b.String(), "_")
	prefix = strings.Trim(sanitizePrefix(prefix), "_")
	if out == "" {
		return cmp.Or(prefix, "record")
	}
	if out[0] < 'a' || out[0] > 'z' || out == hcl.CSVLabel {
		out = cmp.Or(prefix, "r") + "_" + out
	}
	if len(out) > maxLabel {
		out = strings.TrimRight(out[:maxLabel], "_")
	}
	return out
}

func sanitizePrefix(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' {
			b.WriteRune(c)
		}
	}
	out := b.String()
	for out != "" && (out[0] < 'a' || out[0] > 'z') {
		out = out[1:]
	}
	return out
}

// emit writes the configuration.
func (g *gen) emit() *Result {
	res := &Result{}
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	for _, h := range g.opts.Header {
		body.AppendUnstructuredTokens(hclwrite.Tokens{
			{Type: hclsyntax.TokenComment, Bytes: []byte(strings.TrimRight("# "+h, " ") + "\n")},
		})
	}
	if len(g.opts.Header) > 0 {
		body.AppendNewline()
	}
	var datas []*dataRef
	seen := map[*dataRef]bool{}
	for _, og := range g.objects {
		for _, r := range og.recs {
			for _, t := range r.refs {
				if t.data != nil && !t.data.existing && !seen[t.data] {
					seen[t.data] = true
					datas = append(datas, t.data)
				}
			}
		}
	}
	slices.SortFunc(datas, func(a, b *dataRef) int { return cmp.Or(cmp.Compare(a.object, b.object), cmp.Compare(a.name, b.name)) })
	for _, d := range datas {
		blk := body.AppendNewBlock("data", []string{d.object, d.name})
		blk.Body().SetAttributeValue("where", cty.StringVal(d.where))
		body.AppendNewline()
	}
	objs := slices.Clone(g.objects)
	slices.SortFunc(objs, func(a, b *objGen) int { return cmp.Compare(a.name, b.name) })
	for i, og := range objs {
		blk := body.AppendNewBlock("object", []string{og.name})
		ob := blk.Body()
		keys := make([]cty.Value, len(og.key))
		for i, k := range og.key {
			keys[i] = cty.StringVal(k.Name)
		}
		ob.SetAttributeValue("key", cty.ListVal(keys))
		if og.spec.Where != "" {
			ob.SetAttributeValue("where", cty.StringVal(og.spec.Where))
		}
		recs := slices.Clone(og.recs)
		slices.SortFunc(recs, func(a, b *rec) int { return cmp.Compare(a.label, b.label) })
		for _, r := range recs {
			ob.AppendNewline()
			rb := ob.AppendNewBlock("record", []string{r.label}).Body()
			for _, fld := range og.ordered() {
				g.writeField(rb, r, fld)
			}
			res.Addresses = append(res.Addresses, og.name+"."+r.label)
		}
		if i < len(objs)-1 {
			body.AppendNewline()
		}
	}
	for _, s := range g.opts.Objects {
		for _, og := range g.objects {
			if og.spec.Object == s.Object {
				res.Records = append(res.Records, ObjectCount{Object: og.name, Records: len(og.recs)})
			}
		}
	}
	slices.Sort(res.Addresses)
	for n := range g.notes {
		res.Notes = append(res.Notes, n)
	}
	slices.Sort(res.Notes)
	res.HCL = hclwrite.Format(f.Bytes())
	return res
}

// ordered is the order fields are written in: the key, then the others by
// name.
func (og *objGen) ordered() []*bulk.Field {
	out := slices.Clone(og.key)
	var rest []*bulk.Field
	for _, f := range og.fields {
		if !slices.Contains(og.key, f) {
			rest = append(rest, f)
		}
	}
	slices.SortFunc(rest, func(a, b *bulk.Field) int { return cmp.Compare(a.Name, b.Name) })
	return append(out, rest...)
}

// writeField writes one field of a record: a reference as a traversal,
// another value as a literal; null values and left-out references are not
// written.
func (g *gen) writeField(b *hclwrite.Body, r *rec, f *bulk.Field) {
	if t, ok := r.refs[f.Name]; ok {
		var trav hclv2.Traversal
		switch {
		case t.rec != nil:
			trav = hclv2.Traversal{hclv2.TraverseRoot{Name: t.rec.obj.name}, hclv2.TraverseAttr{Name: t.rec.label}}
		case t.data != nil:
			trav = hclv2.Traversal{hclv2.TraverseRoot{Name: "data"}, hclv2.TraverseAttr{Name: t.data.object}, hclv2.TraverseAttr{Name: t.data.name}}
		default:
			trav = hclv2.Traversal{hclv2.TraverseRoot{Name: t.addr.Object}, hclv2.TraverseAttr{Name: t.addr.Label}}
			if t.addr.Keyed {
				trav = append(trav, hclv2.TraverseIndex{Key: cty.StringVal(t.addr.Key)})
			}
		}
		b.SetAttributeTraversal(f.Name, append(trav, hclv2.TraverseAttr{Name: "Id"}))
		return
	}
	if r.omit[f.Name] {
		return
	}
	spec := r.obj.specs[f.Name]
	v, err := planner.ParseOrg(spec, r.raw[f.Name])
	if err != nil {
		g.note("%s %s: %s has a value sfsync cannot read (%v), so it is left out", r.obj.name, r.label, f.Name, err)
		return
	}
	if v.IsNull() {
		return
	}
	b.SetAttributeValue(f.Name, ctyOf(v))
}

// ctyOf is the HCL value the planner reads back as v.
func ctyOf(v planner.Value) cty.Value {
	s := v.Canonical()
	switch v.Type() {
	case planner.TypeBoolean:
		return cty.BoolVal(s == "true")
	case planner.TypeInteger, planner.TypeNumber:
		if n, err := cty.ParseNumberVal(s); err == nil {
			return n
		}
	case planner.TypeMultiPicklist:
		var vals []cty.Value
		for _, p := range strings.Split(s, ";") {
			vals = append(vals, cty.StringVal(p))
		}
		return cty.ListVal(vals)
	}
	return cty.StringVal(s)
}

func countRecords(n int) string {
	if n == 1 {
		return "1 record"
	}
	return fmt.Sprintf("%d records", n)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
