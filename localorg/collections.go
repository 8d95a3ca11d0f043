package localorg

import (
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/localorg/internal/jsonw"
	"github.com/sfsync/sfsync/localorg/internal/schema"
)

// collectionLimit is the most records one sObject Collections call takes.
const collectionLimit = 200

// routeCollections serves /composite/sobjects[/{Object}[/{ExtField}]].
func (o *Org) routeCollections(c *call, rest []string) {
	switch len(rest) {
	case 0:
		c.methods(func(c *call) {
			switch c.r.Method {
			case http.MethodPost:
				o.collectionWrite(c, opInsert, nil, nil)
			case http.MethodPatch:
				o.collectionWrite(c, opUpdate, nil, nil)
			case http.MethodDelete:
				o.collectionDelete(c)
			}
		}, "POST", "PATCH", "DELETE")
	case 1:
		obj := o.object(rest[0])
		if obj == nil {
			c.fail(errNotFound)
			return
		}
		c.methods(func(c *call) { o.collectionRetrieve(c, obj) }, "GET", "POST")
	case 2:
		obj := o.object(rest[0])
		if obj == nil {
			c.fail(errNotFound)
			return
		}
		f := obj.Field(rest[1])
		if f == nil || !(f.ExternalID || f.IDLookup) {
			c.fail(badRequest("INVALID_FIELD", "Provided external ID field does not exist or is not accessible: "+rest[1]))
			return
		}
		c.methods(func(c *call) { o.collectionWrite(c, opUpsert, obj, f) }, "PATCH")
	default:
		c.fail(errNotFound)
	}
}

// collectionResult renders one per-record result: {"id","success",
// "errors"} on success ("created" for upserts); failures carry no "id"
// (recorded) and errors as {"statusCode","message","fields"}.
func collectionResult(res dmlResult, upsert, keepID bool) jsonw.Object {
	var o jsonw.Object
	if res.ok {
		o = o.Add("id", res.id).Add("success", true).Add("errors", []any{})
		if upsert {
			o = o.Add("created", res.created)
		}
		return o
	}
	if keepID && res.id != "" {
		o = o.Add("id", res.id)
	}
	fields := res.err.Fields
	if fields == nil {
		fields = []string{}
	}
	return o.Add("success", false).Add("errors", []any{jsonw.Object{}.
		Add("statusCode", res.err.Code).Add("message", res.err.Msg).Add("fields", fields)})
}

var errRolledBack = rowErr("ALL_OR_NONE_OPERATION_ROLLED_BACK", "Record rolled back because not all records were valid and the request was using AllOrNone header")

// collectionWrite serves create (POST), update (PATCH) and upsert (PATCH
// /{Object}/{ExtField}) of up to 200 records, answering per record in
// request order.
func (o *Org) collectionWrite(c *call, op dmlOp, upsertObj *schema.Object, key *schema.Field) {
	body, err := c.readJSONBody()
	if err != nil {
		c.fail(err)
		return
	}
	allOrNone := false
	if v, ok := body.Get("allOrNone"); ok {
		allOrNone, _ = v.(bool)
	}
	rv, _ := body.Get("records")
	records, _ := rv.([]any)
	if len(records) == 0 {
		c.fail(badRequest("REQUIRED_FIELD_MISSING", "At least 1 record is required")) // recorded
		return
	}
	if len(records) > collectionLimit {
		c.fail(badRequest("EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call"))
		return
	}
	type item struct {
		obj *schema.Object
		rec *recordInput
	}
	items := make([]item, len(records))
	for i, r := range records {
		ro, ok := r.(jsonw.Object)
		if !ok {
			c.fail(badRequest("JSON_PARSER_ERROR", "Cannot deserialize the records: objects were expected"))
			return
		}
		obj := upsertObj
		if a, ok := ro.Get("attributes"); ok {
			if ao, ok := a.(jsonw.Object); ok {
				if t, ok := ao.Get("type"); ok {
					name, _ := t.(string)
					if obj == nil || !strings.EqualFold(name, obj.Name) {
						obj = o.object(name)
					}
				}
			}
		}
		if obj == nil {
			c.fail(badRequest("INVALID_TYPE", "sObject type in the attributes of record "+strconv.Itoa(i)+" is not supported"))
			return
		}
		rec, aerr := o.readJSONRecord(obj, ro)
		if aerr != nil {
			// Unknown fields fail the record, not the request (recorded).
			rec = &recordInput{err: rowErr(aerr.Code, aerr.Msg)}
		}
		items[i] = item{obj, rec}
	}
	results := make([]dmlResult, len(items))
	locker, seq := o.collectionLocker()
	err = o.write(c.r.Context(), func(tx *sql.Tx) error {
		w := o.newWriter(c.r.Context(), tx, c.user)
		defer w.close()
		if _, err := tx.ExecContext(c.r.Context(), `SAVEPOINT collection`); err != nil {
			return err
		}
		failed := false
		for i, it := range items {
			switch {
			case op == opUpdate && it.rec.id == "" && it.rec.err == nil:
				results[i] = dmlResult{err: rowErr("MISSING_ARGUMENT", "Id not specified in an update call")} // recorded
			case locker.locked(seq, i):
				results[i] = dmlResult{err: errRowLock}
			default:
				results[i] = w.apply(it.obj, op, key, it.rec)
			}
			if !results[i].ok {
				failed = true
			}
		}
		if allOrNone && failed {
			if _, err := tx.ExecContext(c.r.Context(), `ROLLBACK TO collection`); err != nil {
				return err
			}
			for i := range results {
				if results[i].ok {
					results[i] = dmlResult{err: errRolledBack}
				}
			}
		}
		_, err := tx.ExecContext(c.r.Context(), `RELEASE collection`)
		return err
	})
	if err != nil {
		c.fail(err)
		return
	}
	out := make([]any, len(results))
	for i, r := range results {
		out[i] = collectionResult(r, op == opUpsert, false)
	}
	c.rest(http.StatusOK, out)
}

// collectionDelete serves DELETE /composite/sobjects?ids=…&allOrNone=.
func (o *Org) collectionDelete(c *call) {
	q := c.r.URL.Query()
	var ids []string
	for _, id := range strings.Split(q.Get("ids"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		c.fail(badRequest("MISSING_ARGUMENT", "ids parameter is required"))
		return
	}
	if len(ids) > collectionLimit {
		c.fail(badRequest("EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call"))
		return
	}
	allOrNone := q.Get("allOrNone") == "true"
	results := make([]dmlResult, len(ids))
	locker, seq := o.collectionLocker()
	err := o.write(c.r.Context(), func(tx *sql.Tx) error {
		w := o.newWriter(c.r.Context(), tx, c.user)
		defer w.close()
		if _, err := tx.ExecContext(c.r.Context(), `SAVEPOINT collection`); err != nil {
			return err
		}
		failed := false
		for i, id := range ids {
			var obj *schema.Object
			if sfid.Valid(id) {
				obj = o.Schema().ObjectByKeyPrefix(sfid.Prefix(id))
			}
			switch {
			case obj == nil || !storable(obj):
				results[i] = dmlResult{id: id, err: rowErr("MALFORMED_ID", "malformed id "+id)}
			case locker.locked(seq, i):
				results[i] = dmlResult{id: id, err: errRowLock}
			default:
				results[i] = w.apply(obj, opDelete, nil, &recordInput{id: id})
				if results[i].id == "" {
					results[i].id = id
				}
			}
			if !results[i].ok {
				failed = true
			}
		}
		if allOrNone && failed {
			if _, err := tx.ExecContext(c.r.Context(), `ROLLBACK TO collection`); err != nil {
				return err
			}
			for i := range results {
				if results[i].ok {
					results[i] = dmlResult{id: results[i].id, err: errRolledBack}
				}
			}
		}
		_, err := tx.ExecContext(c.r.Context(), `RELEASE collection`)
		return err
	})
	if err != nil {
		c.fail(err)
		return
	}
	out := make([]any, len(results))
	for i, r := range results {
		out[i] = collectionResult(r, false, true)
	}
	c.rest(http.StatusOK, out)
}

// collectionRetrieve serves GET (or POST) /composite/sobjects/{Object}
// ?ids=…&fields=…: the records in request order, null where not found.
func (o *Org) collectionRetrieve(c *call, obj *schema.Object) {
	var ids, fields []string
	if c.r.Method == http.MethodPost {
		body, err := c.readJSONBody()
		if err != nil {
			c.fail(err)
			return
		}
		for _, k := range []struct {
			key string
			dst *[]string
		}{{"ids", &ids}, {"fields", &fields}} {
			if v, ok := body.Get(k.key); ok {
				list, _ := v.([]any)
				for _, x := range list {
					if s, ok := x.(string); ok {
						*k.dst = append(*k.dst, s)
					}
				}
			}
		}
	} else {
		q := c.r.URL.Query()
		ids = splitList(q.Get("ids"))
		fields = splitList(q.Get("fields"))
	}
	if len(fields) == 0 {
		c.fail(badRequest("MISSING_ARGUMENT", "fields parameter is required"))
		return
	}
	only := map[string]bool{}
	for _, f := range fields {
		if obj.Field(f) == nil {
			c.fail(badRequest("INVALID_FIELD", "No such column '"+f+"' on sobject of type "+obj.Name))
			return
		}
		only[strings.ToLower(f)] = true
	}
	out := make([]any, len(ids))
	for i, id := range ids {
		if !sfid.Valid(id) || sfid.Prefix(id) != obj.KeyPrefix {
			continue
		}
		vals, deleted, err := o.loadRecord(c.r.Context(), obj, sfid.To18(id))
		if errors.Is(err, sql.ErrNoRows) || deleted {
			continue
		}
		if err != nil {
			c.fail(err)
			return
		}
		out[i] = o.recordJSON(c, obj, vals, only)
	}
	c.rest(http.StatusOK, out)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
