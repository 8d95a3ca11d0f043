package postable

import (
	"math/rand/v2"
	"testing"
)

// TestAgainstMap checks adds, inserts and backward-shift removal against a
// map, with few home slots so that probe runs are long and wrap around.
func TestAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var tab Table
	model := map[int32]uint64{} // position → hash
	hashes := make([]uint64, 64)
	for i := range hashes {
		// Few distinct home slots, so that keys collide.
		hashes[i] = uint64(rng.IntN(4))<<60 | uint64(rng.Uint32())<<32 | uint64(i)
	}
	for step := range 20000 {
		p := int32(rng.IntN(len(hashes)))
		eq := func(x int32) bool { return x == p }
		switch _, ok := model[p]; {
		case ok && step%3 == 0:
			if got := tab.Add(hashes[p], p, eq); got != p {
				t.Fatalf("step %d: Add(%d) of a key that is there = %d", step, p, got)
			}
		case ok:
			tab.Remove(hashes[p], p)
			delete(model, p)
		case step%2 == 0:
			if got := tab.Add(hashes[p], p, eq); got != -1 {
				t.Fatalf("step %d: Add(%d) = %d, want -1", step, p, got)
			}
			model[p] = hashes[p]
		default:
			tab.Insert(hashes[p], p)
			model[p] = hashes[p]
		}
		for q := range int32(len(hashes)) {
			_, want := model[q]
			got := tab.Find(hashes[q], func(x int32) bool { return x == q }) == q
			if got != want {
				t.Fatalf("step %d: find(%d) = %v, want %v", step, q, got, want)
			}
		}
		if tab.n != len(model) {
			t.Fatalf("step %d: n = %d, want %d", step, tab.n, len(model))
		}
	}
}
