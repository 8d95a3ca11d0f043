package localorg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/localorg/internal/schema"
	"github.com/sfsync/sfsync/localorg/internal/soql"
)

// rowError is a per-record failure: Salesforce's status code, message and
// the fields concerned.
type rowError struct {
	Code   string
	Msg    string
	Fields []string
}

// bulkString renders the error the way Bulk results do:
// "CODE:message:Field1,Field2 --", or "CODE:message:--" without fields.
func (e *rowError) bulkString() string {
	if len(e.Fields) == 0 {
		return e.Code + ":" + e.Msg + ":--"
	}
	return e.Code + ":" + e.Msg + ":" + strings.Join(e.Fields, ",") + " --"
}

func rowErr(code, msg string, fields ...string) *rowError {
	return &rowError{Code: code, Msg: msg, Fields: fields}
}

// Per-record errors with Salesforce's wording. UNCERTAIN where no body was
// recorded: the wording follows error strings users report (§8.2).
var (
	errEntityDeleted = rowErr("ENTITY_IS_DELETED", "entity is deleted") // recorded
	errBadCrossRef   = rowErr("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
)

func errRequired(fields []string) *rowError {
	return rowErr("REQUIRED_FIELD_MISSING", "Required fields are missing: ["+strings.Join(fields, ", ")+"]", fields...)
}

func errNotWritable(fields []string) *rowError {
	return rowErr("INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: "+strings.Join(fields, ", ")+
		". Please check the security settings of this field and verify that it is read/write for your profile or permission set.", fields...)
}

func errMalformed(obj *schema.Object, f *schema.Field, v string) *rowError {
	label := f.Label
	if f.Name == "Id" {
		label = obj.Label + " ID"
	}
	return rowErr("MALFORMED_ID", label+": id value of incorrect type: "+v, f.Name)
}

// dmlOp is a write operation. The zero value is invalid.
type dmlOp int

const (
	_ dmlOp = iota
	opInsert
	opUpdate
	opUpsert
	opDelete
	opHardDelete
)

func parseOp(s string) dmlOp {
	switch s {
	case "insert":
		return opInsert
	case "update":
		return opUpdate
	case "upsert":
		return opUpsert
	case "delete":
		return opDelete
	case "hardDelete":
		return opHardDelete
	}
	return 0
}

func (op dmlOp) String() string {
	return [...]string{"", "insert", "update", "upsert", "delete", "hardDelete"}[op]
}

// recordInput is one record to write, its values already parsed.
type recordInput struct {
	id   string // the Id as given, "" when none
	vals []fieldValue
	rels []relValue
	err  *rowError // a problem found while reading the input
}

// fieldValue sets a field; v nil sets it to null.
type fieldValue struct {
	f *schema.Field
	v any
}

// relValue sets a reference field by a key of its parent
// (Account.External_Id__c); value "" sets the reference to null.
type relValue struct {
	ref    *schema.Field  // the reference field (AccountId)
	target *schema.Object // the parent object
	key    *schema.Field  // the parent's lookup field
	value  string
}

// dmlResult is what happened to one record.
type dmlResult struct {
	ok      bool
	created bool
	id      string
	err     *rowError
}

// dmlWriter applies records inside one transaction. It keeps the
// statements it prepares (SQLite spends more time parsing SQL than running
// these small statements), reserves Ids in blocks and remembers which
// parents it found.
type dmlWriter struct {
	o     *Org
	ctx   context.Context
	tx    *sql.Tx
	user  string
	stamp string
	stmts map[string]*sql.Stmt
	ids   map[string]*idBlock
	refs  map[string]*rowError // reference checks done: Id → result
}

// idBlock is a run of reserved Id numbers.
type idBlock struct{ next, end int64 }

// idBlockSize is how many Ids a writer reserves at once; what it does not
// use is given back when it closes.
const idBlockSize = 200

func (o *Org) newWriter(ctx context.Context, tx *sql.Tx, user string) *dmlWriter {
	return &dmlWriter{o: o, ctx: ctx, tx: tx, user: user, stamp: formatStamp(o.stamp()),
		stmts: map[string]*sql.Stmt{}, ids: map[string]*idBlock{}, refs: map[string]*rowError{}}
}

// newReader returns a writer for reads only (no stamp, no Ids).
func (o *Org) newReader(ctx context.Context, tx *sql.Tx) *dmlWriter {
	return &dmlWriter{o: o, ctx: ctx, tx: tx, stmts: map[string]*sql.Stmt{}, ids: map[string]*idBlock{}, refs: map[string]*rowError{}}
}

// close gives back unused Ids and closes the statements. It runs inside
// the transaction, before the commit.
func (w *dmlWriter) close() {
	for prefix, b := range w.ids {
		if b.next < b.end {
			w.tx.ExecContext(w.ctx, `UPDATE _counters SET next = ? WHERE prefix = ? AND next = ?`, b.next, prefix, b.end)
		}
	}
	for _, s := range w.stmts {
		s.Close()
	}
}

// newID returns the next Id for an object's key prefix.
func (w *dmlWriter) newID(prefix string) (string, error) {
	b := w.ids[prefix]
	if b == nil || b.next == b.end {
		first, err := nextIDs(w.ctx, w.tx, prefix, idBlockSize)
		if err != nil {
			return "", err
		}
		b = &idBlock{next: first, end: first + idBlockSize}
		w.ids[prefix] = b
	}
	id := makeID(prefix, b.next)
	b.next++
	return id, nil
}

// prep returns a prepared statement for q, preparing it once.
func (w *dmlWriter) prep(q string) (*sql.Stmt, error) {
	if s, ok := w.stmts[q]; ok {
		return s, nil
	}
	s, err := w.tx.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, err
	}
	w.stmts[q] = s
	return s, nil
}

func (w *dmlWriter) queryRow(q string, args ...any) *sql.Row {
	s, err := w.prep(q)
	if err != nil {
		return w.tx.QueryRowContext(w.ctx, q, args...) // reports the same error
	}
	return s.QueryRowContext(w.ctx, args...)
}

func (w *dmlWriter) query(q string, args ...any) (*sql.Rows, error) {
	s, err := w.prep(q)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(w.ctx, args...)
}

func (w *dmlWriter) exec(q string, args ...any) (sql.Result, error) {
	s, err := w.prep(q)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(w.ctx, args...)
}

// apply writes one record. keyField is the upsert key.
func (w *dmlWriter) apply(obj *schema.Object, op dmlOp, keyField *schema.Field, rec *recordInput) dmlResult {
	res, err := w.applyErr(obj, op, keyField, rec)
	if err != nil {
		// A store failure is not the record's fault, but it is reported on
		// the record rather than failing the whole chunk.
		w.o.log.Error("write record", "object", obj.Name, "op", op, "err", err)
		return dmlResult{id: res.id, err: rowErr("UNKNOWN_EXCEPTION", "An unexpected error occurred: "+err.Error())}
	}
	return res
}

func (w *dmlWriter) applyErr(obj *schema.Object, op dmlOp, keyField *schema.Field, rec *recordInput) (dmlResult, error) {
	id := ""
	if rec.id != "" && sfid.Valid(rec.id) {
		id = sfid.To18(rec.id)
	}
	if rec.err != nil {
		return dmlResult{id: id, err: rec.err}, nil
	}
	switch op {
	case opInsert:
		if rec.id != "" {
			return dmlResult{err: rowErr("INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call", "Id")}, nil
		}
		return w.insert(obj, rec)
	case opUpdate:
		target, rerr, err := w.target(obj, rec.id)
		if rerr != nil || err != nil {
			return dmlResult{id: id, err: rerr}, err
		}
		return w.update(obj, target, rec)
	case opUpsert:
		return w.upsert(obj, keyField, rec)
	case opDelete, opHardDelete:
		target, rerr, err := w.target(obj, rec.id)
		if rerr != nil || err != nil {
			if op == opHardDelete && rerr == errEntityDeleted {
				// hardDelete also purges records already deleted.
				return w.delete(obj, sfid.To18(rec.id), true)
			}
			return dmlResult{id: id, err: rerr}, err
		}
		return w.delete(obj, target, op == opHardDelete)
	}
	return dmlResult{}, fmt.Errorf("unknown operation %v", op)
}

// target checks the Id of an update or delete and returns it in 18
// characters.
func (w *dmlWriter) target(obj *schema.Object, id string) (string, *rowError, error) {
	if id == "" {
		return "", rowErr("MISSING_ARGUMENT", "Id not specified in an update call"), nil
	}
	if !sfid.Valid(id) || sfid.Prefix(id) != obj.KeyPrefix {
		return "", errMalformed(obj, obj.Field("Id"), id), nil
	}
	id = sfid.To18(id)
	deleted, found, err := w.deleted(obj, id)
	if err != nil {
		return "", nil, err
	}
	if !found {
		return "", errBadCrossRef, nil
	}
	if deleted {
		return "", errEntityDeleted, nil
	}
	return id, nil, nil
}

// deleted reports whether a record exists and is soft-deleted.
func (w *dmlWriter) deleted(obj *schema.Object, id string) (deleted, found bool, err error) {
	if obj.Field("IsDeleted") == nil {
		var x string
		err := w.queryRow(`SELECT Id FROM `+quoteIdent(obj.Name)+` WHERE Id = ?`, id).Scan(&x)
		if errors.Is(err, sql.ErrNoRows) {
			return false, false, nil
		}
		return false, err == nil, err
	}
	var d int64
	err = w.queryRow(`SELECT IsDeleted FROM `+quoteIdent(obj.Name)+` WHERE Id = ?`, id).Scan(&d)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	return d != 0, err == nil, err
}

// values collects a record's given values into a map by field name,
// resolving relationship columns; it reports the fields that may not be
// written.
func (w *dmlWriter) values(obj *schema.Object, rec *recordInput, creating bool, skip *schema.Field) (map[string]any, *rowError, error) {
	vals := map[string]any{}
	var notWritable []string
	for _, fv := range rec.vals {
		if fv.f == skip || fv.f.Name == "Id" {
			continue
		}
		if creating && !fv.f.Createable || !creating && !fv.f.Updateable {
			notWritable = append(notWritable, fv.f.Name)
			continue
		}
		vals[fv.f.Name] = fv.v
	}
	for _, rv := range rec.rels {
		if creating && !rv.ref.Createable || !creating && !rv.ref.Updateable {
			notWritable = append(notWritable, rv.ref.Name)
			continue
		}
		if rv.value == "" {
			vals[rv.ref.Name] = nil
			continue
		}
		id, rerr, err := w.lookup(rv)
		if rerr != nil || err != nil {
			return nil, rerr, err
		}
		vals[rv.ref.Name] = id
	}
	if len(notWritable) > 0 {
		return nil, errNotWritable(notWritable), nil
	}
	return vals, nil, nil
}

// lookup finds the parent a relationship column names.
func (w *dmlWriter) lookup(rv relValue) (string, *rowError, error) {
	notFound := rowErr("INVALID_FIELD", fmt.Sprintf("Foreign key external ID: %s not found for field %s in entity %s", rv.value, rv.key.Name, rv.target.Name))
	if rv.key.Name == "Id" {
		if !sfid.Valid(rv.value) {
			return "", notFound, nil
		}
		id := sfid.To18(rv.value)
		deleted, found, err := w.deleted(rv.target, id)
		if err != nil || !found || deleted {
			return "", notFound, err
		}
		return id, nil, nil
	}
	ids, err := w.findBy(rv.target, rv.key, rv.value, 2)
	if err != nil {
		return "", nil, err
	}
	switch len(ids) {
	case 0:
		return "", notFound, nil
	case 1:
		return ids[0], nil, nil
	}
	return "", rowErr("DUPLICATE_EXTERNAL_ID", fmt.Sprintf("Foreign key external ID: %s matched more than one record for field %s in entity %s", rv.value, rv.key.Name, rv.target.Name)), nil
}

// findBy returns up to limit live records whose field equals value,
// compared as the field compares (case-insensitively unless
// caseSensitive).
func (w *dmlWriter) findBy(obj *schema.Object, f *schema.Field, value any, limit int) ([]string, error) {
	q := `SELECT Id FROM ` + quoteIdent(obj.Name) + ` WHERE ` + quoteIdent(f.Name) + ` = ?`
	if !f.CaseSensitive && f.Storage() == schema.TextColumn && f.Type != schema.TypeID && f.Type != schema.TypeReference {
		q += ` COLLATE ` + soql.Collation
	}
	if obj.Field("IsDeleted") != nil {
		q += ` AND IsDeleted = 0`
	}
	q += fmt.Sprintf(` ORDER BY Id LIMIT %d`, limit)
	rows, err := w.query(q, value)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// current reads a record's stored values.
func (w *dmlWriter) current(obj *schema.Object, id string) (map[string]any, error) {
	fields := storedFields(obj)
	cols := make([]string, len(fields))
	dst := make([]any, len(fields))
	ptrs := make([]any, len(fields))
	for i, f := range fields {
		cols[i] = quoteIdent(f.Name)
		ptrs[i] = &dst[i]
	}
	err := w.queryRow(`SELECT `+strings.Join(cols, ", ")+` FROM `+quoteIdent(obj.Name)+` WHERE Id = ?`, id).Scan(ptrs...)
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, len(fields))
	for i, f := range fields {
		m[f.Name] = dst[i]
	}
	return m, nil
}

func (w *dmlWriter) insert(obj *schema.Object, rec *recordInput) (dmlResult, error) {
	if !obj.Createable {
		return dmlResult{err: rowErr("INVALID_TYPE_FOR_OPERATION", "entity type "+obj.Name+" does not support insert")}, nil
	}
	vals, rerr, err := w.values(obj, rec, true, nil)
	if rerr != nil || err != nil {
		return dmlResult{err: rerr}, err
	}
	given := make(map[string]bool, len(vals))
	for k := range vals {
		given[k] = true
	}
	w.defaults(obj, vals)
	if rerr, err := w.rules(obj, opInsert, vals, nil); rerr != nil || err != nil {
		return dmlResult{err: rerr}, err
	}
	var missing []string
	for _, f := range obj.Fields {
		if f.Required() && f.Storage() != schema.NoColumn && vals[f.Name] == nil {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return dmlResult{err: errRequired(missing)}, nil
	}
	if rerr, err := w.validate(obj, vals, "", given); rerr != nil || err != nil {
		return dmlResult{err: rerr}, err
	}
	id, err := w.newID(obj.KeyPrefix)
	if err != nil {
		return dmlResult{}, err
	}
	vals["Id"] = id
	if err := w.insertRow(obj, vals); err != nil {
		return dmlResult{}, err
	}
	return dmlResult{ok: true, created: true, id: id}, nil
}

// insertRow writes a new row with every stored column.
func (w *dmlWriter) insertRow(obj *schema.Object, vals map[string]any) error {
	fields := storedFields(obj)
	cols := make([]string, len(fields))
	marks := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = quoteIdent(f.Name)
		marks[i] = "?"
	}
	stmt, err := w.prep(`INSERT INTO ` + quoteIdent(obj.Name) + ` (` + strings.Join(cols, ", ") + `) VALUES (` + strings.Join(marks, ", ") + `)`)
	if err != nil {
		return err
	}
	args := make([]any, len(fields))
	for i, f := range fields {
		v := vals[f.Name]
		if v == nil && f.Type == schema.TypeBoolean {
			v = int64(0)
		}
		args[i] = v
	}
	_, err = stmt.ExecContext(w.ctx, args...)
	return err
}

// defaults fills in what the server sets on insert.
func (w *dmlWriter) defaults(obj *schema.Object, vals map[string]any) {
	for _, f := range obj.Fields {
		if _, given := vals[f.Name]; given && vals[f.Name] != nil {
			continue
		}
		switch f.Name {
		case "OwnerId", "CreatedById", "LastModifiedById":
			if f.Type == schema.TypeReference {
				vals[f.Name] = w.user
			}
			continue
		case "CreatedDate", "LastModifiedDate", "SystemModstamp":
			vals[f.Name] = w.stamp
			continue
		case "IsDeleted":
			vals[f.Name] = int64(0)
			continue
		}
		if _, given := vals[f.Name]; given {
			continue // explicitly null
		}
		if d := defaultValue(f); d != nil {
			vals[f.Name] = d
		}
	}
}

// validate checks what the codec cannot check on a value alone:
// references to live records of the right object, and unique values. self
// is the record being updated ("" on insert); only, when not nil, limits
// the checks to the fields the client gave (what the server fills in, such
// as OwnerId, needs no check).
func (w *dmlWriter) validate(obj *schema.Object, vals map[string]any, self string, only map[string]bool) (*rowError, error) {
	for _, f := range obj.Fields {
		v, ok := vals[f.Name]
		if !ok || v == nil || only != nil && !only[f.Name] {
			continue
		}
		if f.Type == schema.TypeReference {
			s, _ := v.(string)
			if rerr, err := w.checkReference(obj, f, s); rerr != nil || err != nil {
				return rerr, err
			}
		}
		if (f.Unique || f.ExternalID && f.Unique) && f.Name != "Id" {
			ids, err := w.findBy(obj, f, v, 2)
			if err != nil {
				return nil, err
			}
			for _, other := range ids {
				if other != self {
					return rowErr("DUPLICATE_VALUE", fmt.Sprintf("duplicate value found: %s duplicates value on record with id: %s", f.Name, other)), nil
				}
			}
		}
	}
	return nil, nil
}

// checkReference checks that a lookup names a live record of an object
// the field may point to.
func (w *dmlWriter) checkReference(obj *schema.Object, f *schema.Field, id string) (*rowError, error) {
	key := f.Name + "\x00" + id
	if rerr, ok := w.refs[key]; ok {
		return rerr, nil
	}
	rerr, err := w.checkReferenceOnce(f, id)
	if err == nil {
		w.refs[key] = rerr
	}
	return rerr, err
}

func (w *dmlWriter) checkReferenceOnce(f *schema.Field, id string) (*rowError, error) {
	target := w.o.Schema().ObjectByKeyPrefix(sfid.Prefix(id))
	allowed := false
	if target != nil {
		for _, r := range f.ReferenceTo {
			if strings.EqualFold(r, target.Name) {
				allowed = true
			}
		}
	}
	if !allowed {
		return rowErr("FIELD_INTEGRITY_EXCEPTION", f.Label+": id value of incorrect type: "+id, f.Name), nil
	}
	if !storable(target) {
		return nil, nil
	}
	deleted, found, err := w.deleted(target, id)
	if err != nil {
		return nil, err
	}
	if deleted {
		return errEntityDeleted, nil
	}
	if !found {
		return errBadCrossRef, nil
	}
	return nil, nil
}

func (w *dmlWriter) update(obj *schema.Object, id string, rec *recordInput) (dmlResult, error) {
	if !obj.Updateable {
		return dmlResult{id: id, err: rowErr("INVALID_TYPE_FOR_OPERATION", "entity type "+obj.Name+" does not support update")}, nil
	}
	vals, rerr, err := w.values(obj, rec, false, nil)
	if rerr != nil || err != nil {
		return dmlResult{id: id, err: rerr}, err
	}
	return w.updateVals(obj, id, vals)
}

func (w *dmlWriter) updateVals(obj *schema.Object, id string, vals map[string]any) (dmlResult, error) {
	cur, err := w.current(obj, id)
	if err != nil {
		return dmlResult{id: id}, err
	}
	if rerr, err := w.rules(obj, opUpdate, vals, cur); rerr != nil || err != nil {
		return dmlResult{id: id, err: rerr}, err
	}
	var missing []string
	for name, v := range vals {
		if f := obj.Field(name); v == nil && f != nil && !f.Nillable && f.Type != schema.TypeBoolean {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return dmlResult{id: id, err: errRequired(missing)}, nil
	}
	if rerr, err := w.validate(obj, vals, id, nil); rerr != nil || err != nil {
		return dmlResult{id: id, err: rerr}, err
	}
	for _, name := range []string{"LastModifiedDate", "SystemModstamp"} {
		if obj.Field(name) != nil {
			vals[name] = w.stamp
		}
	}
	if obj.Field("LastModifiedById") != nil {
		vals["LastModifiedById"] = w.user
	}
	if err := w.setFields(obj, id, vals); err != nil {
		return dmlResult{id: id}, err
	}
	return dmlResult{ok: true, id: id}, nil
}

func (w *dmlWriter) setFields(obj *schema.Object, id string, vals map[string]any) error {
	sets := make([]string, 0, len(vals))
	args := make([]any, 0, len(vals)+1)
	for name, v := range vals {
		f := obj.Field(name)
		if f == nil {
			continue
		}
		if v == nil && f.Type == schema.TypeBoolean {
			v = int64(0)
		}
		sets = append(sets, quoteIdent(f.Name)+" = ?")
		args = append(args, v)
	}
	if len(sets) == 0 {
		return nil
	}
	args = append(args, id)
	_, err := w.exec(`UPDATE `+quoteIdent(obj.Name)+` SET `+strings.Join(sets, ", ")+` WHERE Id = ?`, args...)
	return err
}

func (w *dmlWriter) upsert(obj *schema.Object, key *schema.Field, rec *recordInput) (dmlResult, error) {
	if key == nil || key.Name == "Id" {
		if rec.id == "" {
			return w.insert(obj, rec)
		}
		target, rerr, err := w.target(obj, rec.id)
		if rerr != nil || err != nil {
			return dmlResult{err: rerr}, err
		}
		return w.update(obj, target, rec)
	}
	var keyVal any
	for _, fv := range rec.vals {
		if fv.f == key {
			keyVal = fv.v
		}
	}
	if keyVal == nil {
		return dmlResult{err: rowErr("MISSING_ARGUMENT", key.Name+" not specified")}, nil
	}
	ids, err := w.findBy(obj, key, keyVal, 10)
	if err != nil {
		return dmlResult{}, err
	}
	switch len(ids) {
	case 0:
		return w.insert(obj, rec)
	case 1:
		vals, rerr, err := w.values(obj, rec, false, key)
		if rerr != nil || err != nil {
			return dmlResult{id: ids[0], err: rerr}, err
		}
		return w.updateVals(obj, ids[0], vals)
	}
	return dmlResult{err: rowErr("DUPLICATE_EXTERNAL_ID", fmt.Sprintf("%s: more than one record found for external id field: [%s]", key.Label, strings.Join(ids, ", ")), key.Name)}, nil
}

func (w *dmlWriter) delete(obj *schema.Object, id string, hard bool) (dmlResult, error) {
	if !obj.Deletable {
		return dmlResult{id: id, err: rowErr("INVALID_TYPE_FOR_OPERATION", "entity type "+obj.Name+" does not support delete")}, nil
	}
	if rerr, err := w.deleteRules(obj, id); rerr != nil || err != nil {
		return dmlResult{id: id, err: rerr}, err
	}
	if rerr, err := w.deleteTree(obj, id, hard, 0); rerr != nil || err != nil {
		return dmlResult{id: id, err: rerr}, err
	}
	return dmlResult{ok: true, id: id}, nil
}

// deleteTree deletes a record and, where Salesforce cascades, its
// children; it clears plain lookups to it and refuses when a restricting
// child exists.
func (w *dmlWriter) deleteTree(obj *schema.Object, id string, hard bool, depth int) (*rowError, error) {
	if depth > 16 {
		return rowErr("DELETE_FAILED", "cascade too deep"), nil
	}
	for _, cr := range obj.ChildRelationships {
		child := w.o.Schema().Object(cr.ChildSObject)
		if child == nil || !storable(child) {
			continue
		}
		f := child.Field(cr.Field)
		if f == nil || f.Storage() == schema.NoColumn {
			continue
		}
		live := ""
		if child.Field("IsDeleted") != nil {
			live = " AND IsDeleted = 0"
		}
		switch f.DeleteRule {
		case schema.Restrict:
			var n int
			if err := w.queryRow(`SELECT count(*) FROM `+quoteIdent(child.Name)+` WHERE `+quoteIdent(f.Name)+` = ?`+live, id).Scan(&n); err != nil {
				return nil, err
			}
			if n > 0 {
				return rowErr("DELETE_FAILED", fmt.Sprintf("Your attempt to delete %s could not be completed because it is associated with %d %s records", id, n, child.Label)), nil
			}
		case schema.Cascade:
			kids, err := w.childIDs(child, f, id, hard)
			if err != nil {
				return nil, err
			}
			for _, k := range kids {
				if rerr, err := w.deleteTree(child, k, hard, depth+1); rerr != nil || err != nil {
					return rerr, err
				}
			}
		default:
			if f.Nillable {
				set := quoteIdent(f.Name) + " = NULL"
				if child.Field("SystemModstamp") != nil {
					set += ", SystemModstamp = '" + w.stamp + "'"
				}
				if _, err := w.exec(`UPDATE `+quoteIdent(child.Name)+` SET `+set+` WHERE `+quoteIdent(f.Name)+` = ?`+live, id); err != nil {
					return nil, err
				}
			}
		}
	}
	table := quoteIdent(obj.Name)
	if hard || obj.Field("IsDeleted") == nil {
		_, err := w.exec(`DELETE FROM `+table+` WHERE Id = ?`, id)
		return nil, err
	}
	sets := []string{"IsDeleted = 1"}
	args := []any{}
	for _, name := range []string{"LastModifiedDate", "SystemModstamp"} {
		if obj.Field(name) != nil {
			sets = append(sets, quoteIdent(name)+" = ?")
			args = append(args, w.stamp)
		}
	}
	if obj.Field("LastModifiedById") != nil {
		sets = append(sets, "LastModifiedById = ?")
		args = append(args, w.user)
	}
	args = append(args, id)
	_, err := w.exec(`UPDATE `+table+` SET `+strings.Join(sets, ", ")+` WHERE Id = ?`, args...)
	return nil, err
}

func (w *dmlWriter) childIDs(child *schema.Object, f *schema.Field, parent string, hard bool) ([]string, error) {
	q := `SELECT Id FROM ` + quoteIdent(child.Name) + ` WHERE ` + quoteIdent(f.Name) + ` = ?`
	if !hard && child.Field("IsDeleted") != nil {
		q += ` AND IsDeleted = 0`
	}
	rows, err := w.query(q, parent)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
