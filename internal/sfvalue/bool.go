package sfvalue

import (
	"fmt"
	"strings"
)

// ParseBool reads a boolean as Salesforce accepts it: true or false in any
// case, or 1 and 0 (reference §2.9; the digits are UNCERTAIN there, but
// every reader here has always taken them). Nothing is trimmed: Salesforce
// trims no CSV value.
func ParseBool(s string) (bool, error) {
	switch {
	case s == "1" || strings.EqualFold(s, "true"):
		return true, nil
	case s == "0" || strings.EqualFold(s, "false"):
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (want true or false)", s)
}
