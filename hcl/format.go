package hcl

import (
	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src in the canonical layout (hclwrite's: indentation,
// aligned equals signs, spacing). It refuses source that does not parse,
// returning the syntax errors, so that formatting never changes meaning.
// Formatting formatted source changes nothing.
func Format(src []byte, filename string) ([]byte, hclv2.Diagnostics) {
	_, diags := hclsyntax.ParseConfig(src, filename, hclv2.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(src), nil
}
