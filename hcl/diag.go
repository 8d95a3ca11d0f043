package hcl

import (
	"bytes"
	"io"
	"os"
	"slices"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
)

// maxSnippetFile is the largest non-configuration file (a CSV source) read
// to show a snippet in a diagnostic.
const maxSnippetFile = 32 << 20

// Sources returns the files that diags may point into, by the names their
// ranges use: the configuration and variable files, plus any CSV file a
// diagnostic points into, read now (when it is no larger than 32 MiB).
func (c *Config) Sources(diags hclv2.Diagnostics) map[string]*hclv2.File {
	files := make(map[string]*hclv2.File, len(c.Files)+1)
	for k, v := range c.Files {
		files[k] = v
	}
	for _, d := range diags {
		if d.Subject == nil || d.Subject.Filename == "" {
			continue
		}
		name := d.Subject.Filename
		if _, ok := files[name]; ok {
			continue
		}
		p := c.Path(name)
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxSnippetFile {
			files[name] = nil
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			files[name] = nil
			continue
		}
		files[name] = &hclv2.File{Bytes: b}
	}
	for k, v := range files {
		if v == nil {
			delete(files, k)
		}
	}
	return files
}

// WriteDiagnostics renders diags for people with HCL's text writer: a
// source snippet under each located diagnostic, wrapped at width columns
// (0: no wrapping), colored when color is true. Values derived from
// sensitive variables are never shown: the writer skips marked values.
//
// A diagnostic about a secret written in the configuration (its Extra is
// SecretSource) still names the file, line and attribute, but the secret is
// masked in every snippet of its file, so that it does not reach CI logs.
func WriteDiagnostics(w io.Writer, files map[string]*hclv2.File, diags hclv2.Diagnostics, width uint, color bool) error {
	return hclv2.NewDiagnosticTextWriter(w, redact(files, diags), width, color).WriteDiagnostics(diags)
}

// SecretSource is the Extra of a diagnostic whose source holds a secret, such
// as a password written in the configuration: Value, the secret's range,
// is masked in every snippet WriteDiagnostics and JSON render from its
// file.
type SecretSource struct {
	Value hclv2.Range
}

// redact returns files with the values of SecretSource diagnostics masked:
// each byte but quotes and line ends becomes '*', so that lines, columns
// and byte offsets — and so every other diagnostic's snippet — stay where
// they were. The files passed in are not changed.
func redact(files map[string]*hclv2.File, diags hclv2.Diagnostics) map[string]*hclv2.File {
	var out map[string]*hclv2.File
	for _, d := range diags {
		r, ok := hclv2.DiagnosticExtra[SecretSource](d)
		if !ok {
			continue
		}
		f := files[r.Value.Filename]
		if f == nil {
			continue // rendered without a snippet
		}
		if out == nil {
			out = make(map[string]*hclv2.File, len(files))
			for k, v := range files {
				out[k] = v
			}
		}
		if out[r.Value.Filename] == files[r.Value.Filename] {
			masked := *f
			masked.Bytes = slices.Clone(f.Bytes)
			out[r.Value.Filename] = &masked
		}
		b := out[r.Value.Filename].Bytes
		for i := max(r.Value.Start.Byte, 0); i < min(r.Value.End.Byte, len(b)); i++ {
			if c := b[i]; c != '"' && c != '\n' && c != '\r' {
				b[i] = '*'
			}
		}
	}
	if out == nil {
		return files
	}
	return out
}

// JSONDiagnostic is a diagnostic in the JSON form of validate -json (the
// shape Terraform's tooling expects).
type JSONDiagnostic struct {
	Severity string       `json:"severity"` // "error" or "warning"
	Summary  string       `json:"summary"`
	Detail   string       `json:"detail,omitempty"`
	Range    *JSONRange   `json:"range,omitempty"`
	Snippet  *JSONSnippet `json:"snippet,omitempty"`
}

// JSONRange is a source range; lines and columns start at 1, bytes at 0.
type JSONRange struct {
	Filename string  `json:"filename"`
	Start    JSONPos `json:"start"`
	End      JSONPos `json:"end"`
}

// JSONPos is one position in a JSONRange.
type JSONPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// JSONSnippet is the source a diagnostic points at.
type JSONSnippet struct {
	Context              string `json:"context,omitempty"` // the enclosing block, e.g. object "Account"
	Code                 string `json:"code"`              // the lines of the range
	StartLine            int    `json:"start_line"`
	HighlightStartOffset int    `json:"highlight_start_offset"` // within Code
	HighlightEndOffset   int    `json:"highlight_end_offset"`
}

// JSON converts diags to their JSON form, with snippets from files.
// Secrets are masked as WriteDiagnostics masks them.
func JSON(files map[string]*hclv2.File, diags hclv2.Diagnostics) []JSONDiagnostic {
	files = redact(files, diags)
	out := make([]JSONDiagnostic, 0, len(diags))
	for _, d := range diags {
		jd := JSONDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hclv2.DiagWarning {
			jd.Severity = "warning"
		}
		if s := d.Subject; s != nil {
			jd.Range = &JSONRange{
				Filename: s.Filename,
				Start:    JSONPos{s.Start.Line, s.Start.Column, s.Start.Byte},
				End:      JSONPos{s.End.Line, s.End.Column, s.End.Byte},
			}
			if f := files[s.Filename]; f != nil {
				jd.Snippet = snippet(f, *s)
			}
		}
		out = append(out, jd)
	}
	return out
}

func snippet(f *hclv2.File, rng hclv2.Range) *JSONSnippet {
	src := f.Bytes
	if rng.Start.Byte < 0 || rng.End.Byte > len(src) || rng.Start.Byte > rng.End.Byte {
		return nil
	}
	// The code is the whole lines the range covers.
	start := bytes.LastIndexByte(src[:rng.Start.Byte], '\n') + 1
	end := rng.End.Byte
	if end < len(src) && (end == rng.Start.Byte || src[end-1] != '\n') {
		if i := bytes.IndexByte(src[end:], '\n'); i >= 0 {
			end += i
		} else {
			end = len(src)
		}
	}
	code := strings.TrimRight(string(src[start:end]), "\r\n")
	s := &JSONSnippet{
		Code:                 code,
		StartLine:            rng.Start.Line,
		HighlightStartOffset: rng.Start.Byte - start,
		HighlightEndOffset:   min(rng.End.Byte-start, len(code)),
	}
	if nav, ok := f.Nav.(interface{ ContextString(int) string }); ok {
		s.Context = nav.ContextString(rng.Start.Byte)
	}
	return s
}
