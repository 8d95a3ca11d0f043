package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Input is one thing a plan was built from — a configuration, CSV, var or
// other file it read, or a variable's value — with the hash apply compares
// to refuse a saved plan whose inputs moved.
type Input struct {
	// Name is a file's path relative to the configuration directory, with
	// forward slashes ("main.sfsync.hcl", "data/contacts.csv"), or
	// "var.NAME" for a variable's value.
	Name string
	// Hash is "sha256:" and the hex SHA-256 of the file's bytes or of the
	// variable's value.
	Hash string
}

// VarPrefix starts the name of a variable's Input.
const VarPrefix = "var."

// HashFile hashes the file at path (absolute, or relative to dir) and names
// it relative to dir, the configuration directory.
func HashFile(dir, path string) (Input, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return Input{}, fmt.Errorf("hash input: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return Input{}, fmt.Errorf("hash input %s: %w", path, err)
	}
	name := path
	if rel, err := filepath.Rel(dir, path); err == nil {
		name = rel
	}
	return Input{Name: filepath.ToSlash(name), Hash: "sha256:" + hex.EncodeToString(h.Sum(nil))}, nil
}

// HashVariable hashes a variable's value, given in the form the
// configuration renders it (so that "1" and 1 differ as they would in the
// records). The value itself is not kept.
func HashVariable(name, value string) Input {
	sum := sha256.Sum256([]byte(value))
	return Input{Name: VarPrefix + name, Hash: "sha256:" + hex.EncodeToString(sum[:])}
}

// DiffInputs compares the inputs a saved plan was built from with the current
// ones and says, one phrase per input, what moved: "main.sfsync.hcl changed",
// "data/new.csv is new", "var.region was removed". Nil when nothing moved.
func DiffInputs(saved, current []Input) []string {
	was := make(map[string]string, len(saved))
	for _, in := range saved {
		was[in.Name] = in.Hash
	}
	is := make(map[string]string, len(current))
	for _, in := range current {
		is[in.Name] = in.Hash
	}
	var moved []string
	for _, in := range current {
		switch h, ok := was[in.Name]; {
		case !ok:
			moved = append(moved, describeInput(in.Name)+" is new")
		case h != in.Hash:
			moved = append(moved, describeInput(in.Name)+" changed")
		}
	}
	for _, in := range saved {
		if _, ok := is[in.Name]; !ok {
			moved = append(moved, describeInput(in.Name)+" was removed")
		}
	}
	return moved
}

func describeInput(name string) string {
	if strings.HasPrefix(name, VarPrefix) {
		return "the value of " + name
	}
	return name
}
