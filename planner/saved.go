package planner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sfsync/sfsync/internal/sfvalue"
)

// SavedFormatVersion is the version of the saved plan format this sfsync
// writes. A saved plan of a newer version is refused: apply must never
// execute a plan it may not fully understand.
//
// History:
//
//	1  the first format.
const SavedFormatVersion = 1

// savedFormat marks a file as a saved plan, so that handing apply a state
// file or some other JSON fails with a clear message.
const savedFormat = "sfsync-plan"

// NewerPlanFormatError refuses a saved plan written in a format newer than
// this sfsync understands.
type NewerPlanFormatError struct {
	Version       int    // the plan's format version
	SfsyncVersion string // the sfsync that wrote it
}

func (e *NewerPlanFormatError) Error() string {
	return fmt.Sprintf("the saved plan has format version %d, written by sfsync %s; this sfsync reads up to version %d: upgrade sfsync, or make the plan again",
		e.Version, e.SfsyncVersion, SavedFormatVersion)
}

// The saved plan's JSON. It mirrors Plan field for field; values are their
// canonical texts (null as JSON null), typed by their field.
type (
	savedPlan struct {
		Format        string         `json:"format"`
		FormatVersion int            `json:"format_version"`
		SfsyncVersion string         `json:"sfsync_version"`
		OrgID         string         `json:"org_id"`
		InstanceURL   string         `json:"instance_url"`
		Lineage       string         `json:"lineage"`
		Serial        uint64         `json:"serial"`
		Inputs        []savedInput   `json:"inputs"`
		Objects       []savedObject  `json:"objects"`
		Warnings      []savedWarning `json:"warnings,omitempty"`
		Jobs          []savedJob     `json:"jobs,omitempty"`
		Limits        []savedLimit   `json:"limits,omitempty"`
	}
	savedWarning struct {
		Address string `json:"address,omitempty"`
		Message string `json:"message"`
	}
	savedInput struct {
		Name string `json:"name"`
		Hash string `json:"hash"`
	}
	savedObject struct {
		Object    string        `json:"object"`
		Unchanged int           `json:"unchanged,omitempty"`
		Changes   []savedChange `json:"changes"`
		Forget    []string      `json:"forget,omitempty"`
	}
	savedChange struct {
		Action         Action         `json:"action"`
		Address        string         `json:"address"`
		ID             string         `json:"id,omitempty"`
		From           string         `json:"from,omitempty"`
		Key            []savedValue   `json:"key,omitempty"`
		Level          int            `json:"level"`
		Reasons        []Reason       `json:"reasons,omitempty"`
		Cascade        []savedCascade `json:"cascade,omitempty"`
		Fields         []savedField   `json:"fields,omitempty"`
		Unchanged      int            `json:"unchanged,omitempty"`
		UnchangedVals  []savedValue   `json:"unchanged_values,omitempty"`
		SystemModstamp string         `json:"system_modstamp,omitempty"`
	}
	savedValue struct {
		Field string     `json:"field"`
		Type  *FieldType `json:"type,omitempty"`
		Value *string    `json:"value"`
	}
	savedField struct {
		Field             string     `json:"field"`
		Type              *FieldType `json:"type,omitempty"`
		Old               *string    `json:"old"`
		New               *string    `json:"new"`
		Ref               string     `json:"ref,omitempty"`
		Sensitive         bool       `json:"sensitive,omitempty"`
		Deferred          bool       `json:"deferred,omitempty"`
		ForcesReplacement bool       `json:"forces_replacement,omitempty"`
	}
	savedCascade struct {
		Object    string   `json:"object"`
		Field     string   `json:"field"`
		Count     int      `json:"count"`
		Addresses []string `json:"addresses,omitempty"`
	}
	savedJob struct {
		Object    string `json:"object"`
		Operation string `json:"operation"`
		Level     int    `json:"level"`
		Deferred  bool   `json:"deferred,omitempty"`
		Replace   bool   `json:"replace,omitempty"`
		API       JobAPI `json:"api"`
		Records   int    `json:"records"`
		Batches   int    `json:"batches"`
	}
	savedLimit struct {
		Name      string `json:"name"`
		Max       int64  `json:"max"`
		Remaining int64  `json:"remaining"`
	}
)

// EncodeSaved returns the saved plan file's bytes: versioned JSON holding
// the format version, the sfsync version, the org's Id and instance URL, the
// state's lineage and serial, the hash of every input, every change with its
// values (sensitive ones too: the file is written 0600) and the
// SystemModstamp seen for every record it updates or deletes, and what the
// plan showed besides (warnings, jobs, limits) so that show prints it as it
// was. No credentials are part of a Plan, so none go in.
func EncodeSaved(p *Plan) ([]byte, error) {
	sp := savedPlan{
		Format:        savedFormat,
		FormatVersion: SavedFormatVersion,
		SfsyncVersion: p.SfsyncVersion,
		OrgID:         p.OrgID,
		InstanceURL:   p.InstanceURL,
		Lineage:       p.Lineage,
		Serial:        p.Serial,
		Inputs:        []savedInput{},
		Objects:       []savedObject{},
	}
	for _, w := range p.Warnings {
		sp.Warnings = append(sp.Warnings, savedWarning(w))
	}
	for _, in := range p.Inputs {
		sp.Inputs = append(sp.Inputs, savedInput(in))
	}
	for _, o := range p.Objects {
		so := savedObject{Object: o.Object, Unchanged: o.Unchanged, Changes: []savedChange{}, Forget: o.Forget}
		for i := range o.Changes {
			ch := &o.Changes[i]
			if !ch.Action.valid() {
				return nil, fmt.Errorf("encode plan: %s: invalid action %d", ch.Address, int(ch.Action))
			}
			if ch.Object != o.Object {
				return nil, fmt.Errorf("encode plan: %s is a change of %s, listed under %s", ch.Address, ch.Object, o.Object)
			}
			sc := savedChange{
				Action:  ch.Action,
				Address: ch.Address,
				ID:      ch.ID,
				From:    ch.From,
				Level:   ch.Level,
				Reasons: ch.Reasons,
				Fields:  []savedField{},
			}
			for _, r := range ch.Reasons {
				if !r.valid() {
					return nil, fmt.Errorf("encode plan: %s: invalid reason %d", ch.Address, int(r))
				}
			}
			for _, k := range ch.Key {
				sc.Key = append(sc.Key, savedValue{Field: k.Field, Type: typeOf(k.Value), Value: textOf(k.Value)})
			}
			for _, c := range ch.Cascade {
				sc.Cascade = append(sc.Cascade, savedCascade(c))
			}
			for _, f := range ch.Fields {
				t := typeOf(f.New)
				if t == nil {
					t = typeOf(f.Old)
				}
				sc.Fields = append(sc.Fields, savedField{
					Field: f.Field, Type: t, Old: textOf(f.Old), New: textOf(f.New), Ref: f.Ref,
					Sensitive: f.Sensitive, Deferred: f.Deferred, ForcesReplacement: f.ForcesReplacement,
				})
			}
			sc.Unchanged = ch.Unchanged
			for _, v := range ch.UnchangedValues {
				sc.UnchangedVals = append(sc.UnchangedVals, savedValue{Field: v.Field, Type: typeOf(v.Value), Value: textOf(v.Value)})
			}
			if !ch.SystemModstamp.IsZero() {
				sc.SystemModstamp = sfvalue.FormatDateTime(ch.SystemModstamp)
			}
			so.Changes = append(so.Changes, sc)
		}
		sp.Objects = append(sp.Objects, so)
	}
	for _, j := range p.Jobs {
		op, err := j.Operation.MarshalText()
		if err != nil {
			return nil, fmt.Errorf("encode plan: job of %s: %w", j.Object, err)
		}
		sp.Jobs = append(sp.Jobs, savedJob{Object: j.Object, Operation: string(op), Level: j.Level,
			Deferred: j.Deferred, Replace: j.Replace, API: j.API, Records: j.Records, Batches: j.Batches})
	}
	for _, l := range p.Limits {
		sp.Limits = append(sp.Limits, savedLimit(l))
	}
	data, err := json.Marshal(sp)
	if err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	return append(data, '\n'), nil
}

func typeOf(v Value) *FieldType {
	if !v.typ.valid() {
		return nil
	}
	t := v.typ
	return &t
}

func textOf(v Value) *string {
	if v.IsNull() {
		return nil
	}
	s := v.Canonical()
	return &s
}

// DecodeSaved reads a saved plan. A file that is not a saved plan, a newer
// format (*NewerPlanFormatError), unknown fields and values that do not
// parse are errors, never a partial plan.
func DecodeSaved(data []byte) (*Plan, error) {
	var head struct {
		Format        string `json:"format"`
		FormatVersion int    `json:"format_version"`
		SfsyncVersion string `json:"sfsync_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil || head.Format != savedFormat {
		// A file that begins as a saved plan but does not parse is one
		// that was cut short or edited, not some other file.
		if start := data[:min(len(data), 200)]; bytes.Contains(start, []byte(`"format":"`+savedFormat+`"`)) || bytes.Contains(start, []byte(`"format": "`+savedFormat+`"`)) {
			return nil, errors.New("the saved plan is damaged (cut short or edited); make it again with sfsync plan -out=FILE")
		}
		return nil, errors.New("not a saved plan (write one with sfsync plan -out=FILE)")
	}
	if head.FormatVersion > SavedFormatVersion {
		return nil, &NewerPlanFormatError{Version: head.FormatVersion, SfsyncVersion: head.SfsyncVersion}
	}
	if head.FormatVersion < 1 {
		return nil, fmt.Errorf("saved plan: invalid format version %d", head.FormatVersion)
	}
	var sp savedPlan
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sp); err != nil {
		return nil, fmt.Errorf("saved plan: %w", err)
	}
	if sp.OrgID == "" {
		return nil, errors.New("the saved plan names no org (it was edited); make it again with sfsync plan -out=FILE")
	}
	p := &Plan{
		SfsyncVersion: sp.SfsyncVersion,
		OrgID:         sp.OrgID,
		InstanceURL:   sp.InstanceURL,
		Lineage:       sp.Lineage,
		Serial:        sp.Serial,
	}
	for _, w := range sp.Warnings {
		p.Warnings = append(p.Warnings, Warning(w))
	}
	for _, in := range sp.Inputs {
		p.Inputs = append(p.Inputs, Input(in))
	}
	for _, so := range sp.Objects {
		if so.Object == "" {
			return nil, errors.New("saved plan: an object without a name")
		}
		o := &ObjectPlan{Object: so.Object, Unchanged: so.Unchanged, Forget: so.Forget}
		for _, sc := range so.Changes {
			ch, err := decodeChange(so.Object, sc)
			if err != nil {
				return nil, fmt.Errorf("saved plan: %s: %w", sc.Address, err)
			}
			o.Changes = append(o.Changes, ch)
		}
		p.Objects = append(p.Objects, o)
	}
	for _, sj := range sp.Jobs {
		j := Job{Object: sj.Object, Level: sj.Level, Deferred: sj.Deferred, Replace: sj.Replace, API: sj.API, Records: sj.Records, Batches: sj.Batches}
		if err := j.Operation.UnmarshalText([]byte(sj.Operation)); err != nil {
			return nil, fmt.Errorf("saved plan: job of %s: %w", sj.Object, err)
		}
		if j.API == 0 {
			return nil, fmt.Errorf("saved plan: job of %s has no api", sj.Object)
		}
		p.Jobs = append(p.Jobs, j)
	}
	for _, l := range sp.Limits {
		p.Limits = append(p.Limits, Limit(l))
	}
	return p, nil
}

func decodeChange(object string, sc savedChange) (Change, error) {
	if sc.Address == "" {
		return Change{}, errors.New("a change without an address")
	}
	if !sc.Action.valid() {
		return Change{}, errors.New("a change without an action")
	}
	ch := Change{
		Action:    sc.Action,
		Address:   sc.Address,
		Object:    object,
		ID:        sc.ID,
		From:      sc.From,
		Level:     sc.Level,
		Reasons:   sc.Reasons,
		Unchanged: sc.Unchanged,
	}
	for _, sv := range sc.Key {
		v, err := decodeValue(ParseCell, sv.Type, sv.Value)
		if err != nil {
			return Change{}, fmt.Errorf("key %s: %w", sv.Field, err)
		}
		ch.Key = append(ch.Key, KeyValue{Field: sv.Field, Value: v})
	}
	for _, c := range sc.Cascade {
		ch.Cascade = append(ch.Cascade, Cascade(c))
	}
	for _, sv := range sc.UnchangedVals {
		v, err := decodeValue(ParseCell, sv.Type, sv.Value)
		if err != nil {
			return Change{}, fmt.Errorf("%s: %w", sv.Field, err)
		}
		ch.UnchangedValues = append(ch.UnchangedValues, KeyValue{Field: sv.Field, Value: v})
	}
	for _, sf := range sc.Fields {
		if sf.Field == "" {
			return Change{}, errors.New("a field without a name")
		}
		// Old values are the org's: read them as the org renders them, so
		// that they compare as they did when the plan was made.
		old, err := decodeValue(ParseOrg, sf.Type, sf.Old)
		if err != nil {
			return Change{}, fmt.Errorf("%s: %w", sf.Field, err)
		}
		nv, err := decodeValue(ParseCell, sf.Type, sf.New)
		if err != nil {
			return Change{}, fmt.Errorf("%s: %w", sf.Field, err)
		}
		ch.Fields = append(ch.Fields, FieldChange{
			Field: sf.Field, Old: old, New: nv, Ref: sf.Ref,
			Sensitive: sf.Sensitive, Deferred: sf.Deferred, ForcesReplacement: sf.ForcesReplacement,
		})
	}
	if sc.SystemModstamp != "" {
		t, err := time.Parse(sfvalue.DateTimeLayout, sc.SystemModstamp)
		if err != nil {
			return Change{}, fmt.Errorf("system_modstamp %q is not a datetime", sc.SystemModstamp)
		}
		ch.SystemModstamp = t
	}
	return ch, nil
}

func decodeValue(parse func(FieldSpec, string) (Value, error), t *FieldType, s *string) (Value, error) {
	if t == nil {
		if s != nil {
			return Value{}, errors.New("a value without a type")
		}
		return Value{}, nil
	}
	if s == nil {
		return Null(*t), nil
	}
	if *s == "" {
		return Value{}, errors.New(`"" is not a canonical value (null is written null)`)
	}
	v, err := parse(FieldSpec{Type: *t}, *s)
	if err != nil {
		return Value{}, err
	}
	if v.Canonical() != *s {
		return Value{}, fmt.Errorf("%q is not the canonical form of %s value", *s, withArticle(t.String()))
	}
	return v, nil
}

// WriteSavedFile writes p to path as a saved plan, atomically and with mode
// 0600: the plan can hold values of sensitive variables. The file appears
// complete or not at all, and a file already at path is replaced.
func WriteSavedFile(path string, p *Plan) error {
	data, err := EncodeSaved(p)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		// Name the plan's path, not the temporary file's.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("write plan %s: %w", path, err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write plan %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write plan %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write plan %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write plan %s: %w", path, err)
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		// Make the rename durable; a directory that cannot be synced (some
		// platforms and file systems) still holds a complete file.
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// ReadSavedFile reads and decodes the saved plan at path.
func ReadSavedFile(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	p, err := DecodeSaved(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}
