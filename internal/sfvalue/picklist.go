package sfvalue

import (
	"slices"
	"strings"
)

// MultiPicklist is the text of a multi-select picklist value as a set: its
// distinct non-empty values, sorted, joined by ";" ("" when there are none).
// Salesforce joins a multi-select picklist's values with ";" on the wire
// (reference §2.9, §6.4) and keeps them in the order the field defines, not
// the order they were written in, so two values are the same when their
// sets are: MultiPicklist of either reading is then the same text.
func MultiPicklist(values []string) string {
	set := make([]string, 0, len(values))
	for _, v := range values {
		if v != "" {
			set = append(set, v)
		}
	}
	slices.Sort(set)
	return strings.Join(slices.Compact(set), ";")
}
