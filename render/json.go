package render

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/sfsync/sfsync/planner"
)

// JSONFormatVersion is the version of the -json schema (docs/plan-json.md):
// MAJOR.MINOR. A minor version adds fields; a major version changes or
// removes them. Consumers should check the major version and ignore fields
// they do not know.
const JSONFormatVersion = "1.0"

// JSON is the -json form: one JSON document, in the schema documented in
// docs/plan-json.md. Sensitive values are left out.
type JSON struct{}

// The -json schema. Field order here is the order in the output.
type (
	jsonPlan struct {
		FormatVersion  string       `json:"format_version"`
		SfsyncVersion  string       `json:"sfsync_version"`
		Org            jsonOrg      `json:"org"`
		State          jsonState    `json:"state"`
		ChangesPresent bool         `json:"changes_present"`
		Summary        jsonCounts   `json:"summary"`
		Objects        []jsonObject `json:"objects"`
		Warnings       []jsonWarn   `json:"warnings"`
		Jobs           []jsonJob    `json:"jobs"`
		Limits         []jsonLimit  `json:"limits"`
	}
	jsonOrg struct {
		ID          string `json:"id"`
		InstanceURL string `json:"instance_url"`
	}
	jsonState struct {
		Lineage string `json:"lineage"`
		Serial  uint64 `json:"serial"`
	}
	jsonCounts struct {
		Insert         int `json:"insert"`
		Update         int `json:"update"`
		Delete         int `json:"delete"`
		Replace        int `json:"replace"`
		Adopt          int `json:"adopt"`
		Rebind         int `json:"rebind"`
		DeferredUpdate int `json:"deferred_update"`
		Unchanged      int `json:"unchanged"`
	}
	jsonObject struct {
		Object  string       `json:"object"`
		Summary jsonCounts   `json:"summary"`
		Changes []jsonChange `json:"changes"`
		Forget  []string     `json:"forget"`
	}
	jsonChange struct {
		Action          string        `json:"action"`
		Address         string        `json:"address"`
		ID              *string       `json:"id"`
		From            *string       `json:"from"`
		Level           int           `json:"level"`
		Key             []jsonKey     `json:"key"`
		Reasons         []jsonReason  `json:"reasons"`
		Cascade         []jsonCascade `json:"cascade"`
		Fields          []jsonField   `json:"fields"`
		UnchangedFields int           `json:"unchanged_fields"`
		SystemModstamp  *string       `json:"system_modstamp"`
	}
	jsonKey struct {
		Field string  `json:"field"`
		Type  string  `json:"type"`
		Value *string `json:"value"`
	}
	jsonReason struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	jsonCascade struct {
		Object    string   `json:"object"`
		Field     string   `json:"field"`
		Count     int      `json:"count"`
		Addresses []string `json:"addresses"`
	}
	jsonField struct {
		Field string `json:"field"`
		Type  string `json:"type"`
		// Old and New are left out (not null) when Sensitive.
		Old               *jsonValue `json:"old,omitempty"`
		New               *jsonValue `json:"new,omitempty"`
		Changed           bool       `json:"changed"`
		KnownAfterApply   *string    `json:"known_after_apply"`
		Sensitive         bool       `json:"sensitive"`
		Deferred          bool       `json:"deferred"`
		ForcesReplacement bool       `json:"forces_replacement"`
	}
	jsonWarn struct {
		Address *string `json:"address"`
		Message string  `json:"message"`
	}
	jsonJob struct {
		Object    string `json:"object"`
		Operation string `json:"operation"`
		Level     int    `json:"level"`
		Deferred  bool   `json:"deferred"`
		Replace   bool   `json:"replace"`
		API       string `json:"api"`
		Records   int    `json:"records"`
		Batches   int    `json:"batches"`
	}
	jsonLimit struct {
		Name      string `json:"name"`
		Max       int64  `json:"max"`
		Remaining int64  `json:"remaining"`
	}
)

// jsonValue is a value's canonical text, or JSON null for null. It is a
// pointer target so that a sensitive value can be left out altogether.
type jsonValue struct{ v planner.Value }

func (j jsonValue) MarshalJSON() ([]byte, error) {
	if j.v.IsNull() {
		return []byte("null"), nil
	}
	return json.Marshal(j.v.Canonical())
}

func jsonCountsOf(c planner.Counts) jsonCounts {
	return jsonCounts{
		Insert: c.Insert, Update: c.Update, Delete: c.Delete, Replace: c.Replace,
		Adopt: c.Adopt, Rebind: c.Rebind, DeferredUpdate: c.Deferred, Unchanged: c.Unchanged,
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func typeName(v planner.Value) string {
	if v.Type() == 0 {
		return ""
	}
	return v.Type().String()
}

// Plan writes p as one indented JSON document.
func (JSON) Plan(w io.Writer, p *planner.Plan) error {
	counts := p.Counts()
	doc := jsonPlan{
		FormatVersion:  JSONFormatVersion,
		SfsyncVersion:  p.SfsyncVersion,
		Org:            jsonOrg{ID: p.OrgID, InstanceURL: p.InstanceURL},
		State:          jsonState{Lineage: p.Lineage, Serial: p.Serial},
		ChangesPresent: counts.HasChanges(),
		Summary:        jsonCountsOf(counts),
		Objects:        []jsonObject{},
		Warnings:       []jsonWarn{},
		Jobs:           []jsonJob{},
		Limits:         []jsonLimit{},
	}
	for _, o := range p.Objects {
		jo := jsonObject{Object: o.Object, Summary: jsonCountsOf(o.Counts()), Changes: []jsonChange{}, Forget: append([]string{}, o.Forget...)}
		for i := range o.Changes {
			jo.Changes = append(jo.Changes, jsonChangeOf(&o.Changes[i]))
		}
		doc.Objects = append(doc.Objects, jo)
	}
	for _, wn := range p.Warnings {
		doc.Warnings = append(doc.Warnings, jsonWarn{Address: optional(wn.Address), Message: wn.Message})
	}
	for _, j := range p.Jobs {
		doc.Jobs = append(doc.Jobs, jsonJob{
			Object: j.Object, Operation: j.Operation.String(), Level: j.Level, Deferred: j.Deferred,
			Replace: j.Replace, API: j.API.String(), Records: j.Records, Batches: j.Batches,
		})
	}
	for _, l := range p.Limits {
		doc.Limits = append(doc.Limits, jsonLimit(l))
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("render plan as JSON: %w", err)
	}
	return bw.Flush()
}

func jsonChangeOf(ch *planner.Change) jsonChange {
	jc := jsonChange{
		Action:          ch.Action.String(),
		Address:         ch.Address,
		ID:              optional(ch.ID),
		From:            optional(ch.From),
		Level:           ch.Level,
		Key:             []jsonKey{},
		Reasons:         []jsonReason{},
		Cascade:         []jsonCascade{},
		Fields:          []jsonField{},
		UnchangedFields: ch.Unchanged,
	}
	if !ch.SystemModstamp.IsZero() {
		s := ch.SystemModstamp.UTC().Format("2006-01-02T15:04:05.000Z")
		jc.SystemModstamp = &s
	}
	for _, k := range ch.Key {
		var v *string
		if !k.Value.IsNull() {
			s := k.Value.Canonical()
			v = &s
		}
		jc.Key = append(jc.Key, jsonKey{Field: k.Field, Type: typeName(k.Value), Value: v})
	}
	for _, r := range ch.Reasons {
		code, _ := r.MarshalText()
		jc.Reasons = append(jc.Reasons, jsonReason{Code: string(code), Message: r.String()})
	}
	for _, c := range ch.Cascade {
		addrs := c.Addresses
		if addrs == nil {
			addrs = []string{}
		}
		jc.Cascade = append(jc.Cascade, jsonCascade{Object: c.Object, Field: c.Field, Count: c.Count, Addresses: addrs})
	}
	for _, f := range ch.Fields {
		jf := jsonField{
			Field:             f.Field,
			Type:              typeName(f.New),
			Changed:           ch.Action == planner.Insert || f.Changed(),
			KnownAfterApply:   optional(f.Ref),
			Sensitive:         f.Sensitive,
			Deferred:          f.Deferred,
			ForcesReplacement: f.ForcesReplacement,
		}
		if jf.Type == "" {
			jf.Type = typeName(f.Old)
		}
		if !f.Sensitive {
			jf.Old = &jsonValue{f.Old}
			jf.New = &jsonValue{f.New}
		}
		jc.Fields = append(jc.Fields, jf)
	}
	return jc
}
