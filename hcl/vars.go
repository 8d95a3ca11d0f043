package hcl

import (
	"fmt"
	"os"
	"strings"

	hclv2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// VarInput is one -var or -var-file argument, in command-line order; later
// ones win over earlier ones, and both win over SFSYNC_VAR_name.
type VarInput struct {
	File bool   // Arg is a -var-file path (relative to the configuration directory)
	Arg  string // "name=value" for -var
}

// EnvVarPrefix prefixes environment variables that set variables:
// SFSYNC_VAR_region=EU sets var.region.
const EnvVarPrefix = "SFSYNC_VAR_"

// ParseVarFlag splits a -var argument into name and value. It does no I/O.
func ParseVarFlag(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return "", "", fmt.Errorf("-var %q: want NAME=VALUE", s)
	}
	if !hclsyntax.ValidIdentifier(name) {
		return "", "", fmt.Errorf("-var %q: %q is not a valid variable name", s, name)
	}
	return name, value, nil
}

type varState struct {
	v        *Variable
	defaults *typeexpr.Defaults
	val      cty.Value
	rng      *hclv2.Range // where the value was written, when in a file
	origin   string       // for messages: "the default", "-var", "SFSYNC_VAR_x", "file x"
}

// decodeVariable reads a variable block.
func (l *loader) decodeVariable(b *hclv2.Block) {
	name := b.Labels[0]
	if !hclsyntax.ValidIdentifier(name) {
		l.errorf(b.LabelRanges[0], "Invalid variable name", "%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", name)
		return
	}
	if prev := l.vars[name]; prev != nil {
		l.errorf(b.DefRange, "Duplicate variable", "Variable %q is already declared at %s.", name, prev.v.DeclRange)
		return
	}
	content, diags := b.Body.Content(variableSchema)
	l.diags = append(l.diags, diags...)
	v := &Variable{Name: name, Type: cty.DynamicPseudoType, DeclRange: b.DefRange}
	st := &varState{v: v}
	if a := content.Attributes["type"]; a != nil {
		ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			v.Type, st.defaults = ty, defaults
		}
	}
	if a := content.Attributes["description"]; a != nil {
		v.Description = l.staticString(a, "description")
	}
	if a := content.Attributes["sensitive"]; a != nil {
		if bv, ok := l.staticValue(a, cty.Bool); ok {
			v.Sensitive = bv.True()
		}
	}
	if a := content.Attributes["default"]; a != nil {
		dv, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			for _, d := range diags {
				if d.Summary == "Variables not allowed" || d.Summary == "Function calls not allowed" {
					d.Detail = "A default is a literal value: it cannot refer to variables or call functions. Use a local value for computed values."
				}
			}
			l.diags = append(l.diags, diags...)
		} else {
			if cv, ok := l.convertVar(st, dv, &a.Expr, "the default"); ok {
				v.Default = cv
				rng := a.Expr.Range()
				st.val, st.rng, st.origin, v.Source = cv, &rng, "the default", SourceDefault
			}
		}
	}
	for _, vb := range content.Blocks {
		vc, diags := vb.Body.Content(validationSchema)
		l.diags = append(l.diags, diags...)
		if diags.HasErrors() {
			continue
		}
		val := &Validation{Condition: vc.Attributes["condition"].Expr, DeclRange: vb.DefRange}
		val.ErrorMessage = l.staticString(vc.Attributes["error_message"], "error_message")
		v.Validations = append(v.Validations, val)
	}
	l.vars[name] = st
	l.cfg.Variables = append(l.cfg.Variables, v)
}

// convertVar converts a value to the variable's type.
func (l *loader) convertVar(st *varState, val cty.Value, expr *hclv2.Expression, origin string) (cty.Value, bool) {
	if st.defaults != nil {
		val = st.defaults.Apply(val)
	}
	cv, err := convert.Convert(val, st.v.Type)
	if err != nil {
		d := &hclv2.Diagnostic{
			Severity: hclv2.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   fmt.Sprintf("The value for var.%s from %s is not a %s: %s.", st.v.Name, origin, typeexpr.TypeString(st.v.Type), err),
		}
		if expr != nil {
			r := (*expr).Range()
			d.Subject = &r
		} else {
			d.Subject = st.v.DeclRange.Ptr()
		}
		l.diags = append(l.diags, d)
		return cty.NilVal, false
	}
	return cv, true
}

// parseRawVar turns the text of a -var or SFSYNC_VAR_ value into a value:
// primitive and untyped variables take it as a string, others parse it as
// an HCL expression, as in `-var 'codes=["DE","FR"]'`.
func (l *loader) parseRawVar(st *varState, raw, origin string) (cty.Value, bool) {
	ty := st.v.Type
	if ty.IsPrimitiveType() || ty == cty.DynamicPseudoType {
		return l.convertVar(st, cty.StringVal(raw), nil, origin)
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), origin, hclv2.InitialPos)
	if !diags.HasErrors() {
		var v cty.Value
		v, diags = expr.Value(nil)
		if !diags.HasErrors() {
			return l.convertVar(st, v, nil, origin)
		}
	}
	l.diags = append(l.diags, &hclv2.Diagnostic{
		Severity: hclv2.DiagError,
		Summary:  "Invalid value for variable",
		Detail:   fmt.Sprintf("The value for var.%s from %s is not valid HCL for a %s: %s.", st.v.Name, origin, typeexpr.TypeString(ty), diags[0].Summary),
		Subject:  st.v.DeclRange.Ptr(),
	})
	return cty.NilVal, false
}

// assignVariables applies SFSYNC_VAR_ environment variables, -var-file
// files and -var flags, then checks required values and validations.
func (l *loader) assignVariables(opts LoadOptions) {
	if opts.Getenv != nil {
		for _, v := range l.cfg.Variables {
			raw := opts.Getenv(EnvVarPrefix + v.Name)
			if raw == "" {
				continue
			}
			st := l.vars[v.Name]
			origin := EnvVarPrefix + v.Name
			if cv, ok := l.parseRawVar(st, raw, origin); ok {
				st.val, st.rng, st.origin, v.Source = cv, nil, origin, SourceEnv
			}
		}
	}
	for _, in := range opts.Vars {
		if in.File {
			l.readVarFile(in.Arg)
			continue
		}
		name, raw, err := ParseVarFlag(in.Arg)
		if err != nil {
			l.diags = append(l.diags, &hclv2.Diagnostic{Severity: hclv2.DiagError, Summary: "Invalid -var option", Detail: err.Error()})
			continue
		}
		st := l.vars[name]
		if st == nil {
			l.diags = append(l.diags, &hclv2.Diagnostic{
				Severity: hclv2.DiagError,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("-var sets %q, but the configuration declares no such variable.%s", name, suggest(name, mapKeys(l.vars))),
			})
			continue
		}
		if cv, ok := l.parseRawVar(st, raw, "-var"); ok {
			st.val, st.rng, st.origin, st.v.Source = cv, nil, "-var", SourceFlag
		}
	}
	for _, v := range l.cfg.Variables {
		st := l.vars[v.Name]
		if st.val == cty.NilVal {
			if v.Source == SourceUnset && v.Default == cty.NilVal {
				l.errorf(v.DeclRange, "No value for required variable", "var.%s has no default, so it needs a value: -var '%s=...', a -var-file, or the %s%s environment variable.", v.Name, v.Name, EnvVarPrefix, v.Name)
			}
			l.ev.vars[v.Name] = poisoned()
			continue
		}
		v.Value = st.val
		mv := st.val
		if v.Sensitive {
			mv = mv.Mark(sensitiveMark{})
		}
		l.ev.vars[v.Name] = mv
	}
	for _, v := range l.cfg.Variables {
		l.validateVariable(v)
	}
}

func (l *loader) readVarFile(p string) {
	abs := l.cfg.Path(p)
	src, err := os.ReadFile(abs)
	if err != nil {
		l.diags = append(l.diags, &hclv2.Diagnostic{Severity: hclv2.DiagError, Summary: "Cannot read variable file", Detail: fmt.Sprintf("-var-file %s: %v.", p, err)})
		return
	}
	l.input(abs)
	f, diags := l.parser.ParseHCL(src, p)
	l.diags = append(l.diags, diags...)
	if f == nil || diags.HasErrors() {
		return
	}
	l.cfg.Files[p] = f
	attrs, diags := f.Body.JustAttributes()
	l.diags = append(l.diags, diags...)
	for _, a := range sortedAttrs(attrs) {
		st := l.vars[a.Name]
		if st == nil {
			l.diags = append(l.diags, &hclv2.Diagnostic{
				Severity: hclv2.DiagWarning,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("%s sets %q, but the configuration declares no such variable, so the value is ignored.%s", p, a.Name, suggest(a.Name, mapKeys(l.vars))),
				Subject:  a.NameRange.Ptr(),
			})
			continue
		}
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			l.diags = append(l.diags, diags...)
			continue
		}
		if cv, ok := l.convertVar(st, v, &a.Expr, p); ok {
			rng := a.Expr.Range()
			st.val, st.rng, st.origin, st.v.Source = cv, &rng, p, SourceFile
		}
	}
}

func (l *loader) validateVariable(v *Variable) {
	st := l.vars[v.Name]
	if st.val == cty.NilVal {
		return
	}
	for _, val := range v.Validations {
		s := l.session
		before := len(s.diags)
		cond := s.eval(val.Condition, &scope{what: "a validation condition", self: v})
		if len(s.diags) > before || cond.HasMark(poisonMark{}) {
			continue
		}
		cond, _ = cond.UnmarkDeep()
		cb, err := convert.Convert(cond, cty.Bool)
		if err != nil || cb.IsNull() || !cb.IsKnown() {
			l.errorf(val.Condition.Range(), "Invalid validation condition", "The condition of a validation block is true or false.")
			continue
		}
		if cb.True() {
			continue
		}
		subject := v.DeclRange
		if st.rng != nil {
			subject = *st.rng
		}
		l.errorf(subject, "Invalid value for variable", "%s\n\nThe value of var.%s from %s failed the validation rule at %s.", val.ErrorMessage, v.Name, st.origin, val.DeclRange)
	}
}
