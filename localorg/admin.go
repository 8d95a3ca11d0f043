package localorg

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
)

// AdminSecretHeader carries the admin secret of connection.json to the
// /__localorg/ admin API, which is the local org's own (Salesforce has no
// such thing): what `sfsync localorg` commands need to do to an org that
// another process holds.
const AdminSecretHeader = "X-Localorg-Secret"

// routeAdmin serves /__localorg/...
func (o *Org) routeAdmin(c *call) {
	if !eq(c.r.Header.Get(AdminSecretHeader), o.metaCopy().AdminSecret) {
		c.fail(&apiError{Status: http.StatusUnauthorized, Code: "INVALID_SESSION_ID", Msg: "the admin API needs the admin secret of connection.json in " + AdminSecretHeader})
		return
	}
	s := c.segs[1:]
	switch {
	case len(s) == 1 && s[0] == "reset":
		c.methods(func(c *call) {
			if err := o.Reset(c.r.Context(), c.r.URL.Query().Get("newOrg") == "true"); err != nil {
				c.fail(err)
				return
			}
			c.rest(http.StatusOK, jsonw.Object{}.Add("orgId", o.ID()))
		}, "POST")
	case len(s) == 1 && s[0] == "schema":
		c.methods(o.adminSchema, "POST")
	case len(s) == 1 && s[0] == "faults":
		c.methods(o.adminFaults, "GET", "POST", "PUT", "DELETE")
	case len(s) == 2 && s[0] == "sessions" && s[1] == "expire":
		c.methods(func(c *call) {
			if err := o.ExpireSessions(c.r.Context()); err != nil {
				c.fail(err)
				return
			}
			c.noContent()
		}, "POST")
	case len(s) == 1 && s[0] == "limits":
		c.methods(o.adminLimits, "GET", "POST", "PUT")
	case len(s) == 2 && s[0] == "limits" && s[1] == "reset":
		c.methods(func(c *call) {
			o.ResetUsage()
			o.adminLimits(c)
		}, "POST")
	default:
		c.fail(errNotFound)
	}
}

// adminSchema adds describe-shaped custom objects and fields.
func (o *Org) adminSchema(c *call) {
	body, err := c.readBody()
	if err != nil {
		c.fail(err)
		return
	}
	changes, err := o.AddSchema(c.r.Context(), body)
	if err != nil {
		c.fail(badRequest("INVALID_SCHEMA", err.Error()))
		return
	}
	out := []any{}
	for _, ch := range changes {
		var fields []string
		for _, f := range ch.Fields {
			fields = append(fields, f.Name)
		}
		if fields == nil {
			fields = []string{}
		}
		out = append(out, jsonw.Object{}.Add("object", ch.Object.Name).Add("keyPrefix", ch.Object.KeyPrefix).
			Add("created", ch.Created).Add("fields", fields))
	}
	c.rest(http.StatusOK, out)
}

// adminFaults serves /__localorg/faults: GET shows the faults in force,
// POST changes the fields it names (the others stay), PUT replaces them
// all, DELETE switches them all off. Every answer is the faults in force.
func (o *Org) adminFaults(c *call) {
	switch c.r.Method {
	case http.MethodDelete:
		o.ClearFaults()
	case http.MethodPost, http.MethodPut:
		body, err := c.readBody()
		if err != nil {
			c.fail(err)
			return
		}
		f := Faults{}
		if c.r.Method == http.MethodPost {
			f = o.Faults()
		}
		if err := strictJSON(body, &f); err != nil {
			c.fail(badRequest("INVALID_FAULTS", err.Error()))
			return
		}
		if err := o.SetFaults(f); err != nil {
			c.fail(badRequest("INVALID_FAULTS", err.Error()))
			return
		}
	}
	c.adminJSON(o.Faults())
}

// adminLimits serves /__localorg/limits: GET shows the limits and their
// use, POST changes the limits it names, PUT replaces them (zero fields
// take Salesforce's values).
func (o *Org) adminLimits(c *call) {
	if (c.r.Method == http.MethodPost || c.r.Method == http.MethodPut) && len(c.segs) == 2 {
		body, err := c.readBody()
		if err != nil {
			c.fail(err)
			return
		}
		l := Limits{}
		if c.r.Method == http.MethodPost {
			l = o.Limits()
		}
		if err := strictJSON(body, &l); err != nil {
			c.fail(badRequest("INVALID_LIMITS", err.Error()))
			return
		}
		o.SetLimits(l)
	}
	u, err := o.Usage(c.r.Context())
	if err != nil {
		c.fail(err)
		return
	}
	c.adminJSON(struct {
		Limits Limits `json:"limits"`
		Usage  Usage  `json:"usage"`
	}{o.Limits(), u})
}

// adminJSON answers a Go value as JSON.
func (c *call) adminJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.fail(err)
		return
	}
	c.rest(http.StatusOK, jsonw.Raw(b))
}

// strictJSON decodes a JSON object into v, refusing unknown keys (a typo
// in a fault's name should not pass silently).
func strictJSON(body []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}
