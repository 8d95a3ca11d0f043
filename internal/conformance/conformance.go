// Package conformance carries the bodies recorded from real Salesforce orgs
// (copied from the project's shared conformance corpus; see data/INDEX.md for
// where each came from and how far it can be trusted). The bulk client's
// parser tests read them, and localorg's tests compare its answers with
// them, so both sides are held to what Salesforce really sends — not to each
// other.
package conformance

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed data
var data embed.FS

// Read returns the body stored under name, for example
// "bulk1/job-create-insert-open-v37.xml". It panics on an unknown name, which
// in a test is the clearest failure.
func Read(name string) []byte {
	b, err := data.ReadFile(path.Join("data", name))
	if err != nil {
		panic("conformance: no recorded body " + name)
	}
	return b
}

// List returns the names of the bodies in one folder ("bulk1", "bulk2",
// "describe", "limits", "oauth", "rest", "soap-login"), sorted, optionally
// only those whose name contains every given substring.
func List(folder string, contains ...string) []string {
	entries, err := fs.ReadDir(data, path.Join("data", folder))
	if err != nil {
		return nil
	}
	var out []string
next:
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		for _, c := range contains {
			if !strings.Contains(e.Name(), c) {
				continue next
			}
		}
		out = append(out, path.Join(folder, e.Name()))
	}
	sort.Strings(out)
	return out
}
