package hcl

import (
	"fmt"
	"strings"
	"unicode/utf8"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// CSVLabel is the label under which an object's records_csv rows are
// addressed: Contact.csv["jane@acme.example"]. No record block may use it.
const CSVLabel = "csv"

// KeySeparator joins the values of a composite key in a CSV row's address.
const KeySeparator = "|"

// Address names one desired record: Account.acme, Account.country["DE"],
// Contact.csv["jane@acme.example"]. It is comparable, so it can key a map.
type Address struct {
	Object string // the object's API name, e.g. "Account"
	Label  string // the record block's label, or CSVLabel for CSV rows
	Key    string // the instance key of a for_each record or a CSV row
	Keyed  bool   // whether the address has an instance key
}

// String renders the address as it is written in configuration.
func (a Address) String() string {
	if !a.Keyed {
		return a.Object + "." + a.Label
	}
	return a.Object + "." + a.Label + "[" + QuoteKey(a.Key) + "]"
}

// QuoteKey renders an instance key as an HCL quoted string, so that the
// address can be pasted into configuration as a reference.
func QuoteKey(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case (r == '$' || r == '%') && i+1 < len(s) && s[i+1] == '{':
			// "${" and "%{" start template sequences; doubling the
			// introducer escapes them.
			b.WriteRune(r)
			b.WriteRune(r)
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\u%04X`, utf8.RuneError)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// ParseAddress parses an address as String renders it.
func ParseAddress(s string) (Address, error) {
	trav, diags := hclsyntax.ParseTraversalAbs([]byte(s), "", hclv2.InitialPos)
	if diags.HasErrors() {
		return Address{}, fmt.Errorf("parse address %q: %s", s, diags[0].Summary)
	}
	var a Address
	if len(trav) < 2 || len(trav) > 3 {
		return Address{}, fmt.Errorf("parse address %q: want Object.label or Object.label[\"key\"]", s)
	}
	a.Object = trav.RootName()
	label, ok := trav[1].(hclv2.TraverseAttr)
	if !ok {
		return Address{}, fmt.Errorf("parse address %q: want a record label after %s", s, a.Object)
	}
	a.Label = label.Name
	if len(trav) == 3 {
		idx, ok := trav[2].(hclv2.TraverseIndex)
		if !ok || !idx.Key.Type().Equals(cty.String) || idx.Key.IsNull() {
			return Address{}, fmt.Errorf("parse address %q: the instance key must be a quoted string", s)
		}
		a.Key, a.Keyed = idx.Key.AsString(), true
	}
	return a, nil
}

// Less orders addresses by object, label, then key; the model and every
// rendering use this order.
func (a Address) Less(b Address) bool {
	if a.Object != b.Object {
		return a.Object < b.Object
	}
	if a.Label != b.Label {
		return a.Label < b.Label
	}
	if a.Keyed != b.Keyed {
		return !a.Keyed
	}
	return a.Key < b.Key
}
