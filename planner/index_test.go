package planner

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/internal/sfid"
)

// TestOrgIndexStorage reads records back from the index's compact storage:
// values that repeat (kept in a column's dictionary) and values that do
// not (past the dictionary's size, and once it gives up), keys that equal
// the key column's text and keys that do not, and records larger than a
// block, across many blocks.
func TestOrgIndexStorage(t *testing.T) {
	cols := []string{"Ext__c", "Name", "Industry", "Description"}
	specs := []FieldSpec{{Type: TypeText}, {Type: TypeText}, {Type: TypePicklist}, {Type: TypeText}}
	ix, err := newOrgIndex("Account", cols, specs, []string{"Ext__c"}, []bool{false})
	if err != nil {
		t.Fatal(err)
	}
	header := bulk.NewHeader(append([]string{"Id", "SystemModstamp"}, cols...))
	r, err := ix.reader(header)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3*dictProbe + 10
	row := func(i int) []string {
		ext := fmt.Sprintf("EXT-%07d", i)
		if i%3 == 0 {
			ext = strings.ToLower(ext) // its key is folded: not the column's text
		}
		desc := fmt.Sprintf("since %d", 1990+i%30)
		switch {
		case i == 7:
			desc = strings.Repeat("long ", blockSize/4) // a block of its own
		case i%1000 == 0:
			desc = "" // null
		}
		return []string{sfid.To18(fmt.Sprintf("001%012d", i)), "2024-01-15T10:00:00.000Z", ext, fmt.Sprintf("Account %d", i), "Manufacturing", desc}
	}
	ix.reserve(n)
	for i := range n {
		if x, err := ix.add(r, bulk.Row{Header: header, Values: row(i)}, 0); err != nil || x != int32(i) {
			t.Fatalf("add(%d) = %d, %v", i, x, err)
		}
	}
	if x, err := ix.add(r, bulk.Row{Header: header, Values: row(5)}, 0); err != nil || x != 5 || ix.Len() != n {
		t.Fatalf("adding record 5 again = %d, %v; %d records", x, err, ix.Len())
	}
	if !ix.dicts[1].off || ix.dicts[2].off || ix.dicts[3].off {
		t.Errorf("dictionaries off: Name %v (want true), Industry %v, Description %v", ix.dicts[1].off, ix.dicts[2].off, ix.dicts[3].off)
	}
	if len(ix.blocks) < 3 {
		t.Errorf("%d blocks; the test means to cross blocks", len(ix.blocks))
	}
	for i := range n {
		want := row(i)
		x := int32(i)
		if got := ix.ID(x); got != want[0] {
			t.Fatalf("ID(%d) = %s, want %s", i, got, want[0])
		}
		for c := range cols {
			if got := ix.Raw(x, c); got != want[2+c] {
				t.Fatalf("Raw(%d, %s) = %.40q, want %.40q", i, cols[c], got, want[2+c])
			}
		}
		key := strings.ToUpper(want[2])
		if !ix.keyIs(x, key) {
			t.Fatalf("keyIs(%d, %s) = false", i, key)
		}
		if got := ix.lookupKey(key); len(got) != 1 || got[0] != x {
			t.Fatalf("lookupKey(%s) = %v, want [%d]", key, got, i)
		}
		if got, ok := ix.byIDText(want[0][:15]); !ok || got != x {
			t.Fatalf("byIDText(%s) = %d, %v", want[0][:15], got, ok)
		}
	}
	if got := ix.lookupKey("EXT-NONE"); got != nil {
		t.Errorf("lookupKey of a key no record has = %v", got)
	}
}

// TestOrgIndexDuplicateKeys: records that share a key are all found, in
// the order they were read.
func TestOrgIndexDuplicateKeys(t *testing.T) {
	ix, err := newOrgIndex("Account", []string{"Ext__c"}, []FieldSpec{{Type: TypeText}}, []string{"Ext__c"}, []bool{true})
	if err != nil {
		t.Fatal(err)
	}
	header := bulk.NewHeader([]string{"Id", "Ext__c"})
	r, err := ix.reader(header)
	if err != nil {
		t.Fatal(err)
	}
	for i, ext := range []string{"A", "B", "A", "C", "A", "b"} {
		if _, err := ix.add(r, bulk.Row{Header: header, Values: []string{sfid.To18(fmt.Sprintf("001%012d", i)), ext}}, 0); err != nil {
			t.Fatal(err)
		}
	}
	for key, want := range map[string][]int32{"A": {0, 2, 4}, "B": {1}, "b": {5}, "C": {3}, "D": nil} {
		if got := ix.lookupKey(key); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("lookupKey(%s) = %v, want %v", key, got, want)
		}
	}
}
