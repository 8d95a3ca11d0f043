package localorg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/sfsync/sfsync/internal/sfid"
	"github.com/sfsync/sfsync/localorg/internal/schema"
)

// ingestPlan is how the columns of an upload map onto an object.
type ingestPlan struct {
	job  *Job
	obj  *schema.Object
	op   dmlOp
	key  *schema.Field // upsert key
	cols []ingestCol
	user string
}

// ingestCol is one column of the upload: a field, a relationship column
// (Account.External_Id__c), or the Id.
type ingestCol struct {
	header string
	field  *schema.Field // the field, or for a relationship column the reference field
	target *schema.Object
	key    *schema.Field // relationship columns: the parent's lookup field
}

// errFieldNotFound is the job-level failure of an unknown header column
// (recorded: "InvalidBatch : Field name not found : X").
type errFieldNotFound string

func (e errFieldNotFound) Error() string { return "InvalidBatch : Field name not found : " + string(e) }

// prepareIngest maps an upload's header onto the job's object. Header
// names match field names case-insensitively, as Salesforce does.
func (o *Org) prepareIngest(ctx context.Context, j *Job, header []string) (*ingestPlan, error) {
	obj := o.object(j.Object)
	if obj == nil || !storable(obj) {
		return nil, fmt.Errorf("InvalidEntity : Entity '%s' is not supported by the Bulk API.", j.Object)
	}
	p := &ingestPlan{job: j, obj: obj, op: parseOp(j.Operation), user: j.CreatedByID}
	if j.ExternalIDField != "" {
		p.key = obj.Field(j.ExternalIDField)
	}
	if len(header) == 0 {
		return nil, errors.New("ClientInputError : The CSV has no header")
	}
	for _, h := range header {
		col := ingestCol{header: h}
		if strings.Contains(h, ".") {
			relName, keyName, _ := strings.Cut(h, ".")
			typeName := ""
			if t, r, ok := strings.Cut(relName, ":"); ok {
				typeName, relName = t, r
			}
			ref := obj.Relationship(relName)
			if ref == nil || strings.Contains(keyName, ".") {
				return nil, errFieldNotFound(h)
			}
			targetName := ""
			switch {
			case typeName != "":
				for _, r := range ref.ReferenceTo {
					if strings.EqualFold(r, typeName) {
						targetName = r
					}
				}
			case len(ref.ReferenceTo) == 1:
				targetName = ref.ReferenceTo[0]
			}
			target := o.object(targetName)
			if target == nil || !storable(target) {
				return nil, errFieldNotFound(h)
			}
			key := target.Field(keyName)
			if key == nil || !(key.IDLookup || key.ExternalID || key.Name == "Id") {
				return nil, errFieldNotFound(h)
			}
			col.field, col.target, col.key = ref, target, key
		} else {
			f := obj.Field(h)
			if f == nil || f.Storage() == schema.NoColumn {
				return nil, errFieldNotFound(h)
			}
			col.field = f
		}
		p.cols = append(p.cols, col)
	}
	if (p.op == opDelete || p.op == opHardDelete || p.op == opUpdate) && p.idCol() < 0 {
		return nil, errFieldNotFound("Id")
	}
	if p.op == opUpsert && p.key != nil && p.colOf(p.key) < 0 {
		return nil, fmt.Errorf("InvalidBatch : Field name not found : %s", p.key.Name)
	}
	return p, nil
}

func (p *ingestPlan) idCol() int {
	for i, c := range p.cols {
		if c.key == nil && c.field.Name == "Id" {
			return i
		}
	}
	return -1
}

func (p *ingestPlan) colOf(f *schema.Field) int {
	for i, c := range p.cols {
		if c.key == nil && c.field == f {
			return i
		}
	}
	return -1
}

// The CSV cell that sets a field to null.
const naValue = "#N/A"

// readRow turns one CSV row into a record: empty cells leave fields
// unchanged, #N/A sets them to null, other cells are parsed by type.
func (p *ingestPlan) readRow(cells []string) *recordInput {
	rec := &recordInput{}
	if len(cells) > len(p.cols) {
		// UNCERTAIN: Salesforce's wording for a row longer than its header.
		rec.err = rowErr("INVALID_FIELD", fmt.Sprintf("The row has %d values but the header has %d columns", len(cells), len(p.cols)))
		return rec
	}
	for i, cell := range cells {
		c := p.cols[i]
		if c.key == nil && c.field.Name == "Id" {
			rec.id = cell
			if (p.op == opDelete || p.op == opHardDelete) && cell != "" && !sfid.Valid(cell) {
				rec.err = errMalformed(p.obj, c.field, cell)
			}
			continue
		}
		if p.op == opDelete || p.op == opHardDelete || cell == "" {
			continue
		}
		if c.key != nil {
			v := cell
			if cell == naValue {
				v = ""
			}
			rec.rels = append(rec.rels, relValue{ref: c.field, target: c.target, key: c.key, value: v})
			continue
		}
		if cell == naValue {
			rec.vals = append(rec.vals, fieldValue{f: c.field})
			continue
		}
		v, err := c.field.ParseText(cell)
		if err != nil {
			if rec.err == nil {
				rec.err = valueError(err, i)
			}
			continue
		}
		rec.vals = append(rec.vals, fieldValue{f: c.field, v: v})
	}
	if rec.err == nil && rec.id != "" && p.op != opInsert && !sfid.Valid(rec.id) {
		rec.err = errMalformed(p.obj, p.obj.Field("Id"), rec.id)
	}
	return rec
}

// echo renders a processed row's values as the results show them: the
// parsed value re-serialised (912260031 becomes 9.12260031E8), empty for
// empty cells and #N/A, relationship keys as given.
func (p *ingestPlan) echo(cells []string, rec *recordInput) []string {
	out := make([]string, len(p.cols))
	vals := map[*schema.Field]any{}
	for _, fv := range rec.vals {
		vals[fv.f] = fv.v
	}
	for i, c := range p.cols {
		if i >= len(cells) {
			break
		}
		cell := cells[i]
		switch {
		case cell == "" || cell == naValue:
		case c.key != nil:
			out[i] = cell
		case c.field.Name == "Id":
			out[i] = normID(cell)
		default:
			if v, ok := vals[c.field]; ok {
				out[i] = formatCSV(c.field, v)
			} else {
				out[i] = cell
			}
		}
	}
	return out
}

// applyRows applies a chunk of CSV rows inside tx and returns one result
// per row;
// locked tells which rows meet an injected lock failure.
func (o *Org) applyRows(ctx context.Context, tx *sql.Tx, p *ingestPlan, chunk []inputRow, firstRow int, locked func(row int) bool) ([]RowResult, error) {
	w := o.newWriter(ctx, tx, p.user)
	defer w.close()
	out := make([]RowResult, len(chunk))
	for i, row := range chunk {
		rec := p.readRow(row.cells)
		var res dmlResult
		if locked(firstRow + i) {
			res = dmlResult{err: errRowLock, id: normID(rec.id)}
			if !sfid.Valid(rec.id) {
				res.id = ""
			}
		} else {
			res = w.apply(p.obj, p.op, p.key, rec)
		}
		r := RowResult{Row: firstRow + i, Success: res.ok, Created: res.created, ID: res.id}
		if res.ok {
			r.Values = p.echo(row.cells, rec)
		} else {
			r.Error = res.err.bulkString()
			r.Values = append([]string(nil), row.cells...)
			for len(r.Values) < len(p.cols) {
				r.Values = append(r.Values, "")
			}
		}
		out[i] = r
	}
	return out, nil
}
