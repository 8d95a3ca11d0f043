package localorg

import (
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
