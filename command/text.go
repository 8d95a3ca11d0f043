package command

import "fmt"

// countNoun writes a count with its noun: "1 record", "3 records".
func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
