package state

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRecordsAgainstModel runs random binds, rebinds and removes against a
// State and against a plain map of Records, and checks after each step that
// every way of reading the state agrees with the map: lookups by address
// and Id, the sorted lists, and an encode → decode round trip.
func TestRecordsAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := New()
	model := map[string]Record{}
	objects := []string{"Contact", "Account", "Opportunity"}
	addr := func() string { return fmt.Sprintf("X.r%03d", rng.IntN(200)) }
	for step := range 4000 {
		switch op := rng.IntN(10); {
		case op < 6:
			r := Record{Address: addr(), Object: objects[rng.IntN(len(objects))], ID: testID("001", rng.IntN(300)), Key: map[string]string{}}
			for range rng.IntN(3) {
				r.Key[fmt.Sprintf("F%d", rng.IntN(4))] = fmt.Sprintf("v%d", rng.IntN(1000))
			}
			if rng.IntN(2) == 0 {
				r.Hash = HashValues(map[string]string{"n": fmt.Sprint(step)})
			}
			holder := ""
			for a, m := range model {
				if m.ID == r.ID {
					holder = a
				}
			}
			err := s.Bind(r)
			if holder != "" && holder != r.Address {
				if err == nil {
					t.Fatalf("step %d: Bind(%s, %s) succeeded; %s holds that Id", step, r.Address, r.ID, holder)
				}
				continue
			}
			if err != nil {
				t.Fatalf("step %d: Bind: %v", step, err)
			}
			model[r.Address] = r
		case op < 8:
			a := addr()
			got, ok := s.Remove(a)
			want, had := model[a]
			if ok != had || ok && !cmp.Equal(got, want) {
				t.Fatalf("step %d: Remove(%s) = %+v, %v; want %+v, %v", step, a, got, ok, want, had)
			}
			delete(model, a)
		default:
			from, to := addr(), addr()
			err := s.Rebind(from, to)
			_, hasFrom := model[from]
			_, hasTo := model[to]
			if wantErr := !hasFrom || hasTo && to != from; (err != nil) != wantErr {
				t.Fatalf("step %d: Rebind(%s, %s) = %v", step, from, to, err)
			}
			if err == nil {
				r := model[from]
				delete(model, from)
				r.Address = to
				model[to] = r
			}
		}
		if step%97 == 0 || step == 3999 {
			checkModel(t, step, s, model)
			data, err := s.Encode()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Decode(data)
			if err != nil {
				t.Fatalf("step %d: decode: %v\n%s", step, err, data)
			}
			checkModel(t, step, back, model)
		} else {
			a := addr()
			r, ok := s.Record(a)
			want, had := model[a]
			if ok != had || ok && !cmp.Equal(r, want) {
				t.Fatalf("step %d: Record(%s) = %+v, %v; want %+v, %v", step, a, r, ok, want, had)
			}
		}
	}
}

func checkModel(t *testing.T, step int, s *State, model map[string]Record) {
	t.Helper()
	want := slices.SortedFunc(maps.Values(model), compareRecords)
	if want == nil {
		want = []Record{}
	}
	if diff := cmp.Diff(want, s.AllRecords()); diff != "" {
		t.Fatalf("step %d: AllRecords (-model +state):\n%s", step, diff)
	}
	if s.Len() != len(model) {
		t.Fatalf("step %d: Len = %d, want %d", step, s.Len(), len(model))
	}
	var objects []string
	for _, r := range want {
		if !slices.Contains(objects, r.Object) {
			objects = append(objects, r.Object)
		}
	}
	if !cmp.Equal(objects, s.Objects()) {
		t.Fatalf("step %d: Objects = %v, want %v", step, s.Objects(), objects)
	}
	for _, o := range objects {
		var addrs, bound []string
		for _, r := range want {
			if r.Object == o {
				addrs = append(addrs, r.Address)
			}
		}
		for b := range s.Bindings(o) {
			bound = append(bound, b.Address)
		}
		if !cmp.Equal(addrs, bound) {
			t.Fatalf("step %d: Bindings(%s) = %v, want %v", step, o, bound, addrs)
		}
	}
	for _, r := range want {
		if got, ok := s.RecordByID(r.ID[:15]); !ok || !cmp.Equal(got, r) {
			t.Fatalf("step %d: RecordByID(%s) = %+v, %v; want %+v", step, r.ID, got, ok, r)
		}
		if b, ok := s.Binding(r.Address); !ok || b != (Binding{r.Address, r.Object, r.ID}) {
			t.Fatalf("step %d: Binding(%s) = %+v, %v", step, r.Address, b, ok)
		}
	}
}
