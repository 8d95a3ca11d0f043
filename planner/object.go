package planner

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/hcl"
	"github.com/sfsync/sfsync/state"
)

// objPlan is the plan of one object in the making: its schema, what the org
// holds, which org record each desired record is, and its changes.
type objPlan struct {
	name   string      // as describe spells it
	cfg    *hcl.Object // nil: the object block was removed; its managed records are deleted
	schema *objectSchema
	ix     *orgIndex

	keyFields []string // describe spelling, in key order
	keySpecs  []FieldSpec
	keyCS     []bool
	cols      []string // the queried fields
	ignore    map[string]bool

	// Desired records have ordinals, unique within the object: record
	// block i is ordBase+1+i; row n of CSV source s is csv[s].base+n. A
	// source's base is set when matching reaches it (its rows are counted
	// then), after the bases of the sources before it.
	ordBase uint32
	nextOrd uint32
	blocks  []ident
	blockAt map[*hcl.Record]int
	csv     []*csvPlan
	// csvRefs are the CSV rows that record blocks refer to, with their
	// ordinals once seen.
	csvRefs map[hcl.Address]uint32

	from      map[uint32]string    // rebinds: the address the record was bound to
	newKeys   map[string]uint32    // normalized keys that no org record has → the desired record
	tentative map[int32]pendingKey // org record → the desired record that claimed it by key, pending a state claim
	pending   []pendingKey         // keys to look up outside where
	recheck   []pendingKey         // desired records that lost a tentative claim
	gone      map[string]state.Binding
	goneSeen  map[string]bool
	// replaced are the addresses of replaced records, by ordinal.
	replaced map[uint32]string
	// inserted are the addresses of inserted records, by ordinal.
	inserted map[uint32]string

	changes   []Change
	unchanged int
	forget    []string
}

// noBase is the base of a CSV source that matching has not reached.
const noBase = ^uint32(0)

// csvPlan is one records_csv source of an object.
type csvPlan struct {
	src  *hcl.CSVSource
	base uint32
	rows []ident // by row number - 1
	cols []csvCol
}

// csvCol is how one CSV column is planned.
type csvCol struct {
	field string // describe spelling
	spec  FieldSpec
	desc  *bulk.Field
	rel   *relPlan // set for a relationship column
	key   bool
	rng   hclv2.Range // the header cell
}

// ident is which org record a desired record is.
type ident struct {
	org   int32 // position in the object's index; -1: none (inserted)
	kind  identKind
	flags identFlag
}

type identKind uint8

const (
	identUnknown identKind = iota // not decided yet
	identInsert                   // no org record: inserted
	identState                    // the Id state binds the address to
	identAdopt                    // found by key; not in state
	identRebind                   // found by key; state binds it to another address, which left the configuration
)

type identFlag uint8

const (
	flagDeletedOutside identFlag = 1 << iota // the address's Id in state is gone from the org
	flagOutsideWhere                         // the org record is outside the object's where
	flagKeyRestored                          // someone edited the key in the org
	flagReplace                              // a create-only field changes: delete + insert
	flagPending                              // waiting for a lookup outside where
	flagTentative                            // claimed by key; a state claim may still take the record
)

// pendingKey is a desired record whose key must be looked up, or checked
// again.
type pendingKey struct {
	ord  uint32
	addr string
	key  keyVals
	rng  hclv2.Range
}

// keyVals is a desired record's key.
type keyVals struct {
	norm  string  // the Key texts joined by keySep
	vals  []Value // typed, in key order
	known bool    // false: a key value is the Id of a record this plan inserts
}

func (op *objPlan) makeKey(vals []Value, known bool) keyVals {
	k := keyVals{vals: vals, known: known}
	if !known {
		return k
	}
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteString(keySep)
		}
		b.WriteString(v.Key(op.keyCS[i]))
	}
	k.norm = b.String()
	return k
}

// describeKey renders key values for messages: AccountNumber = "ACME-001".
func (op *objPlan) describeKey(vals []Value) string {
	var parts []string
	for i, v := range vals {
		parts = append(parts, fmt.Sprintf("%s = %s", op.keyFields[i], v.Display()))
	}
	return strings.Join(parts, ", ")
}

// orgKeyValues are an org record's key values, typed.
func (op *objPlan) orgKeyValues(i int32) []KeyValue {
	var out []KeyValue
	for n, f := range op.keyFields {
		out = append(out, KeyValue{Field: f, Value: op.ix.Value(i, op.ix.key[n])})
	}
	return out
}

// slot returns the ident of the desired record with ordinal ord.
func (op *objPlan) slot(ord uint32) *ident {
	i := int(ord) - int(op.ordBase) - 1
	if i < len(op.blocks) {
		return &op.blocks[i]
	}
	for s := len(op.csv) - 1; s >= 0; s-- {
		c := op.csv[s]
		if c.base != noBase && ord > c.base {
			n := int(ord - c.base)
			for len(c.rows) < n {
				c.rows = append(c.rows, ident{org: -1})
			}
			return &c.rows[n-1]
		}
	}
	panic(fmt.Sprintf("planner: ordinal %d is not of %s", ord, op.name))
}

// describeOrd names the desired record with ordinal ord for messages: its
// address, or its CSV file and row.
func (op *objPlan) describeOrd(ord uint32) string {
	i := int(ord) - int(op.ordBase) - 1
	if i < len(op.blocks) {
		r := op.cfg.Records[i]
		return fmt.Sprintf("%s (%s)", r.Addr, r.Decl.DeclRange)
	}
	for s := len(op.csv) - 1; s >= 0; s-- {
		c := op.csv[s]
		if c.base != noBase && ord > c.base {
			return fmt.Sprintf("%s row %d", c.src.Path, ord-c.base)
		}
	}
	return fmt.Sprintf("record %d", ord)
}

// relPlan resolves a relationship column's cells (parent key values) to
// parent Ids.
type relPlan struct {
	parent      string // the parent object, as describe spells it
	parentField string // the field of the parent the cells hold, as describe spells it
	spec        FieldSpec
	cs          bool
	// viaKey: the parent object is configured and keyed on parentField
	// alone, so cells are resolved through the parent's plan.
	viaKey bool
	// looked holds the answers of org lookups, by normalized value; want
	// the values to look up.
	looked map[string]relAnswer
	want   map[string]Value
	// cand are the values CSV cells named while matching, which may need
	// a lookup once every plan is known.
	cand map[string]Value
}

// relAnswer is a parent found (or not) by a lookup.
type relAnswer struct {
	id    string
	count int
}

// desiredCount is the number of desired records: record block instances and
// CSV rows, estimated from the files' sizes when the configuration was
// loaded without reading them.
func (op *objPlan) desiredCount(path func(string) string) int {
	n := len(op.blocks)
	for _, cp := range op.csv {
		if cp.src.RowCount >= 0 {
			n += cp.src.RowCount
		} else {
			n += estimateRows(path(cp.src.Path))
		}
	}
	return n
}

// estimateRows estimates the data rows of a CSV file from its size and the
// length of its first lines.
func estimateRows(abs string) int {
	f, err := os.Open(abs)
	if err != nil {
		return 0
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0
	}
	buf := make([]byte, 256<<10)
	n, _ := io.ReadFull(f, buf)
	lines := bytes.Count(buf[:n], []byte{'\n'})
	if lines == 0 || int64(n) == fi.Size() {
		return max(lines-1, 0)
	}
	return int(fi.Size() / int64(n/lines))
}
