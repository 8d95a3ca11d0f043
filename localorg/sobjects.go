package localorg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/localorg/internal/jsonw"
	"github.com/sfsync/sfsync/localorg/internal/schema"
)

// routeSObjects serves /sobjects, /sobjects/{Object}[/describe|/{id}|
// /{ExtField}/{value}].
func (o *Org) routeSObjects(c *call, rest []string) {
	if len(rest) == 0 {
		c.methods(o.globalDescribe, "GET")
		return
	}
	obj := o.object(rest[0])
	if obj == nil {
		c.fail(errNotFound)
		return
	}
	switch len(rest) {
	case 1:
		c.methods(func(c *call) {
			if c.r.Method == http.MethodPost {
				o.createOne(c, obj)
				return
			}
			o.objectInfo(c, obj)
		}, "GET", "POST")
	case 2:
		if rest[1] == "describe" {
			c.methods(func(c *call) { o.describe(c, obj) }, "GET")
			return
		}
		id := rest[1]
		c.methods(func(c *call) {
			switch c.r.Method {
			case http.MethodGet:
				o.getRecord(c, obj, id)
			case http.MethodPatch:
				o.updateOne(c, obj, id)
			case http.MethodDelete:
				o.deleteOne(c, obj, id)
			}
		}, "GET", "PATCH", "DELETE")
	case 3:
		f := obj.Field(rest[1])
		if f == nil || !(f.ExternalID || f.IDLookup) {
			c.fail(&apiError{Status: http.StatusNotFound, Code: "NOT_FOUND", Msg: "Provided external ID field does not exist or is not accessible: " + rest[1]})
			return
		}
		c.methods(func(c *call) { o.byExternalID(c, obj, f, rest[2]) }, "GET", "PATCH", "DELETE")
	default:
		c.fail(errNotFound)
	}
}

// globalDescribe serves GET /sobjects.
func (o *Org) globalDescribe(c *call) {
	b, err := schema.RenderGlobal(o.Schema(), c.ver)
	if err != nil {
		c.fail(err)
		return
	}
	c.rest(http.StatusOK, jsonw.Raw(b))
}

// describe serves GET /sobjects/{Object}/describe.
func (o *Org) describe(c *call, obj *schema.Object) {
	b, err := schema.RenderDescribe(obj, c.ver, schema.RenderOptions{InstanceURL: c.base})
	if err != nil {
		c.fail(err)
		return
	}
	c.rest(http.StatusOK, jsonw.Raw(b))
}

// objectInfo serves GET /sobjects/{Object}: the object's global describe
// entry and its recent items.
func (o *Org) objectInfo(c *call, obj *schema.Object) {
	b, err := schema.RenderGlobal(o.Schema(), c.ver)
	if err != nil {
		c.fail(err)
		return
	}
	g, err := jsonw.Decode(b)
	if err != nil {
		c.fail(err)
		return
	}
	var entry any
	if gobj, ok := g.(jsonw.Object); ok {
		if list, ok := gobj.Get("sobjects"); ok {
			for _, e := range list.([]any) {
				if eo, ok := e.(jsonw.Object); ok {
					if n, _ := eo.Get("name"); n == obj.Name {
						entry = eo
					}
				}
			}
		}
	}
	c.rest(http.StatusOK, jsonw.Object{}.Add("objectDescribe", entry).Add("recentItems", []any{}))
}

// recordJSON renders a stored record for REST: attributes, then every
// field in describe order (or those asked for), compound address and
// location fields as objects (null when all their parts are null).
func (o *Org) recordJSON(c *call, obj *schema.Object, vals map[string]any, only map[string]bool) jsonw.Object {
	rec := jsonw.Object{}.Add("attributes", jsonw.Object{}.Add("type", obj.Name).
		Add("url", "/services/data/v"+c.ver+"/sobjects/"+obj.Name+"/"+fmt.Sprint(vals["Id"])))
	for _, f := range obj.Fields {
		if only != nil && !only[strings.ToLower(f.Name)] {
			continue
		}
		if f.Storage() == schema.NoColumn {
			rec = rec.Add(f.Name, compoundJSON(obj, f, vals))
			continue
		}
		rec = rec.Add(f.Name, formatJSON(f, vals[f.Name]))
	}
	return rec
}

// compoundJSON builds an address or location value from its components
// (BillingCity → "city").
func compoundJSON(obj *schema.Object, f *schema.Field, vals map[string]any) any {
	prefix := strings.TrimSuffix(strings.TrimSuffix(f.Name, "Address"), "__c")
	var parts jsonw.Object
	any := false
	for _, p := range obj.Fields {
		if p.CompoundFieldName != f.Name || p == f {
			continue
		}
		key := strings.TrimPrefix(p.Name, prefix)
		key = strings.TrimSuffix(key, "__s")
		if key != "" {
			key = strings.ToLower(key[:1]) + key[1:]
		}
		v := formatJSON(p, vals[p.Name])
		if v != nil {
			any = true
		}
		parts = append(parts, jsonw.Member{Key: key, Value: v})
	}
	if !any {
		return nil
	}
	// Salesforce lists the parts alphabetically.
	sortMembers(parts)
	return parts
}

func sortMembers(o jsonw.Object) {
	for i := 1; i < len(o); i++ {
		for j := i; j > 0 && o[j].Key < o[j-1].Key; j-- {
			o[j], o[j-1] = o[j-1], o[j]
		}
	}
}

// loadRecord reads a record by Id; deleted reports a soft-deleted one.
func (o *Org) loadRecord(ctx context.Context, obj *schema.Object, id string) (vals map[string]any, deleted bool, err error) {
	tx, err := o.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	w := o.newReader(ctx, tx)
	defer w.close()
	vals, err = w.current(obj, id)
	if err != nil {
		return nil, false, err
	}
	if d, ok := vals["IsDeleted"].(int64); ok && d != 0 {
		deleted = true
	}
	return vals, deleted, nil
}

// getRecord serves GET /sobjects/{Object}/{id}[?fields=A,B].
func (o *Org) getRecord(c *call, obj *schema.Object, id string) {
	if !sfid.Valid(id) || sfid.Prefix(id) != obj.KeyPrefix || !storable(obj) {
		c.fail(errNotFound)
		return
	}
	vals, deleted, err := o.loadRecord(c.r.Context(), obj, sfid.To18(id))
	if errors.Is(err, sql.ErrNoRows) || deleted {
		c.fail(errNotFound)
		return
	}
	if err != nil {
		c.fail(err)
		return
	}
	var only map[string]bool
	if fs := c.r.URL.Query().Get("fields"); fs != "" {
		only = map[string]bool{}
		for _, name := range strings.Split(fs, ",") {
			name = strings.TrimSpace(name)
			if obj.Field(name) == nil {
				c.fail(badRequest("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", name, obj.Name)))
				return
			}
			only[strings.ToLower(name)] = true
		}
	}
	c.rest(http.StatusOK, o.recordJSON(c, obj, vals, only))
}

// readJSONRecord turns a REST record body into a record to write. Keys
// are field names (case-insensitive); "attributes" is skipped; a nested
// object names a parent by one of its lookup fields
// ("Account": {"External_Id__c": "x"}).
func (o *Org) readJSONRecord(obj *schema.Object, body jsonw.Object) (*recordInput, *apiError) {
	rec := &recordInput{}
	for _, m := range body {
		if strings.EqualFold(m.Key, "attributes") {
			continue
		}
		if strings.EqualFold(m.Key, "Id") {
			s, _ := m.Value.(string)
			rec.id = s
			continue
		}
		if nested, ok := m.Value.(jsonw.Object); ok {
			ref := obj.Relationship(m.Key)
			if ref == nil || len(nested) == 0 {
				return nil, badRequest("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", m.Key, obj.Name))
			}
			targetName := ref.ReferenceTo[0]
			var key *schema.Field
			var keyVal string
			for _, nm := range nested {
				if strings.EqualFold(nm.Key, "attributes") {
					if a, ok := nm.Value.(jsonw.Object); ok {
						if t, ok := a.Get("type"); ok {
							targetName, _ = t.(string)
						}
					}
					continue
				}
				target := o.object(targetName)
				if target == nil {
					break
				}
				key = target.Field(nm.Key)
				keyVal = fmt.Sprint(nm.Value)
			}
			target := o.object(targetName)
			if target == nil || key == nil || !(key.IDLookup || key.ExternalID) {
				return nil, badRequest("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", m.Key, obj.Name))
			}
			rec.rels = append(rec.rels, relValue{ref: ref, target: target, key: key, value: keyVal})
			continue
		}
		f := obj.Field(m.Key)
		if f == nil || f.Storage() == schema.NoColumn {
			return nil, badRequest("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", m.Key, obj.Name))
		}
		v, err := f.ParseJSON(jsonw.Compact(m.Value))
		if err != nil {
			if unreadable(err) {
				return nil, badRequest("JSON_PARSER_ERROR", fmt.Sprintf("Cannot deserialize instance of %s from %s value %v or request may be missing a required field", f.Type, jsonKind(m.Value), m.Value))
			}
			if rec.err == nil {
				rec.err = valueError(err, -1)
			}
			continue
		}
		rec.vals = append(rec.vals, fieldValue{f: f, v: v})
	}
	return rec, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "VALUE_STRING"
	case bool:
		return "VALUE_TRUE"
	case jsonw.Number:
		return "VALUE_NUMBER_INT"
	case []any:
		return "START_ARRAY"
	}
	return "VALUE_NULL"
}

// readJSONBody decodes a JSON object request body.
func (c *call) readJSONBody() (jsonw.Object, error) {
	b, err := c.readBody()
	if err != nil {
		return nil, err
	}
	v, err := jsonw.Decode(b)
	if err != nil {
		return nil, badRequest("JSON_PARSER_ERROR", "Unexpected character in the JSON request body: "+err.Error())
	}
	obj, ok := v.(jsonw.Object)
	if !ok {
		return nil, badRequest("JSON_PARSER_ERROR", "Cannot deserialize the request body: an object was expected")
	}
	return obj, nil
}

// dmlError is a record's failure as a top-level REST error.
func dmlError(e *rowError) *apiError {
	fields := e.Fields
	if fields == nil {
		fields = []string{}
	}
	status := http.StatusBadRequest
	if e.Code == "ENTITY_IS_DELETED" {
		status = http.StatusNotFound
	}
	return &apiError{Status: status, Code: e.Code, Msg: e.Msg, Fields: fields}
}

// writeOne applies one record in its own transaction.
func (o *Org) writeOne(c *call, obj *schema.Object, op dmlOp, key *schema.Field, rec *recordInput) (dmlResult, error) {
	var res dmlResult
	err := o.write(c.r.Context(), func(tx *sql.Tx) error {
		w := o.newWriter(c.r.Context(), tx, c.user)
		defer w.close()
		res = w.apply(obj, op, key, rec)
		if res.err != nil {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	return res, err
}

// errRollback rolls a write transaction back without being an error.
var errRollback = errors.New("rollback")

// createOne serves POST /sobjects/{Object}: 201 {"id","success","errors"}.
func (o *Org) createOne(c *call, obj *schema.Object) {
	body, err := c.readJSONBody()
	if err != nil {
		c.fail(err)
		return
	}
	rec, aerr := o.readJSONRecord(obj, body)
	if aerr != nil {
		c.fail(aerr)
		return
	}
	res, err := o.writeOne(c, obj, opInsert, nil, rec)
	if err != nil {
		c.fail(err)
		return
	}
	if res.err != nil {
		c.fail(dmlError(res.err))
		return
	}
	c.w.Header().Set("Location", "/services/data/v"+c.ver+"/sobjects/"+obj.Name+"/"+res.id)
	c.rest(http.StatusCreated, jsonw.Object{}.Add("id", res.id).Add("success", true).Add("errors", []any{}))
}

// updateOne serves PATCH /sobjects/{Object}/{id}: 204.
func (o *Org) updateOne(c *call, obj *schema.Object, id string) {
	body, err := c.readJSONBody()
	if err != nil {
		c.fail(err)
		return
	}
	rec, aerr := o.readJSONRecord(obj, body)
	if aerr != nil {
		c.fail(aerr)
		return
	}
	rec.id = id
	res, err := o.writeOne(c, obj, opUpdate, nil, rec)
	if err != nil {
		c.fail(err)
		return
	}
	if res.err != nil {
		if res.err == errBadCrossRef {
			c.fail(errNotFound)
			return
		}
		c.fail(dmlError(res.err))
		return
	}
	c.noContent()
}

// deleteOne serves DELETE /sobjects/{Object}/{id}: 204.
func (o *Org) deleteOne(c *call, obj *schema.Object, id string) {
	res, err := o.writeOne(c, obj, opDelete, nil, &recordInput{id: id})
	if err != nil {
		c.fail(err)
		return
	}
	if res.err != nil {
		if res.err == errBadCrossRef || res.err.Code == "MALFORMED_ID" {
			c.fail(errNotFound)
			return
		}
		c.fail(dmlError(res.err))
		return
	}
	c.noContent()
}

// byExternalID serves /sobjects/{Object}/{ExtField}/{value}: GET reads,
// PATCH upserts (201 created / 200 updated), DELETE deletes.
func (o *Org) byExternalID(c *call, obj *schema.Object, f *schema.Field, value string) {
	ctx := c.r.Context()
	if f.Name == "Id" {
		switch c.r.Method {
		case http.MethodGet:
			o.getRecord(c, obj, value)
		case http.MethodDelete:
			o.deleteOne(c, obj, value)
		default:
			o.upsertOne(c, obj, f, value)
		}
		return
	}
	if c.r.Method == http.MethodPatch {
		o.upsertOne(c, obj, f, value)
		return
	}
	key, err := f.ParseText(value)
	if err != nil || key == nil {
		c.fail(errNotFound)
		return
	}
	tx, err := o.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		c.fail(err)
		return
	}
	w := o.newReader(ctx, tx)
	ids, err := w.findBy(obj, f, key, 10)
	w.close()
	tx.Rollback()
	if err != nil {
		c.fail(err)
		return
	}
	switch len(ids) {
	case 0:
		c.fail(errNotFound)
	case 1:
		if c.r.Method == http.MethodDelete {
			o.deleteOne(c, obj, ids[0])
			return
		}
		o.getRecord(c, obj, ids[0])
	default:
		urls := make([]any, len(ids))
		for i, id := range ids {
			urls[i] = "/services/data/v" + c.ver + "/sobjects/" + obj.Name + "/" + id
		}
		c.rest(http.StatusMultipleChoices, urls)
	}
}

func (o *Org) upsertOne(c *call, obj *schema.Object, f *schema.Field, value string) {
	body, err := c.readJSONBody()
	if err != nil {
		c.fail(err)
		return
	}
	rec, aerr := o.readJSONRecord(obj, body)
	if aerr != nil {
		c.fail(aerr)
		return
	}
	if f.Name == "Id" {
		rec.id = value
	} else {
		v, err := f.ParseText(value)
		if err != nil {
			c.fail(dmlError(valueError(err, -1)))
			return
		}
		rec.vals = append(rec.vals, fieldValue{f: f, v: v})
	}
	res, err := o.writeOne(c, obj, opUpsert, f, rec)
	if err != nil {
		c.fail(err)
		return
	}
	if res.err != nil {
		if res.err.Code == "DUPLICATE_EXTERNAL_ID" {
			c.fail(&apiError{Status: http.StatusMultipleChoices, Code: res.err.Code, Msg: res.err.Msg, Fields: res.err.Fields})
			return
		}
		c.fail(dmlError(res.err))
		return
	}
	status := http.StatusOK
	if res.created {
		status = http.StatusCreated
	}
	c.rest(status, jsonw.Object{}.Add("id", res.id).Add("success", true).Add("errors", []any{}).Add("created", res.created))
}
