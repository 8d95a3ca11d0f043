package localorg

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sfsync/sfsync/localorg/internal/jsonw"
)

// The API versions the org serves. 31.0 is the oldest version Salesforce
// still serves (21.0-30.0 were retired in Summer '25); 66.0 (Spring '26) is
// the newest the reference documents.
const (
	MinAPIVersion = 31
	MaxAPIVersion = 66
	// soapLoginMaxVersion: SOAP login() is not available from 65.0 on.
	soapLoginMaxVersion = 64
)

// versionLabel names the release of an API version: 31.0 is Summer '14,
// then Winter, Spring and Summer follow each other.
func versionLabel(v int) string {
	k, r := (v-MinAPIVersion)/3, (v-MinAPIVersion)%3
	season, year := "Summer", 14+k
	switch r {
	case 1:
		season, year = "Winter", 15+k
	case 2:
		season, year = "Spring", 15+k
	}
	apos := "'"
	if v == 42 {
		// Salesforce's own list writes this one label with a typographic
		// apostrophe; clients that match labels meet it.
		apos = "\u2019"
	}
	return fmt.Sprintf("%s %s%02d", season, apos, year)
}

// parseVersion parses a path version segment ("v60.0") to its major number.
func parseVersion(seg string) (int, bool) {
	s, ok := strings.CutPrefix(seg, "v")
	if !ok {
		return 0, false
	}
	major, minor, ok := strings.Cut(s, ".")
	if !ok || minor != "0" {
		return 0, false
	}
	n, err := strconv.Atoi(major)
	if err != nil || n <= 0 || len(major) > 3 {
		return 0, false
	}
	return n, true
}

// versions answers GET /services/data: every version served, oldest first.
func (o *Org) versions(c *call) {
	list := make([]any, 0, o.opts.MaxAPIVersion-MinAPIVersion+1)
	for v := MinAPIVersion; v <= o.opts.MaxAPIVersion; v++ {
		list = append(list, jsonw.Object{}.
			Add("label", versionLabel(v)).
			Add("url", fmt.Sprintf("/services/data/v%d.0", v)).
			Add("version", fmt.Sprintf("%d.0", v)))
	}
	c.rest(http.StatusOK, list)
}

// resources answers GET /services/data/vXX.X: the resource directory.
func (o *Org) resources(c *call) {
	p := "/services/data/v" + c.ver
	var obj jsonw.Object
	for _, r := range []string{"tooling", "metadata", "eclair", "folders", "prechatForms", "contact-tracing", "tableau", "chatter", "payments", "tabs", "appMenu", "quickActions", "queryAll", "commerce", "wave", "iot", "analytics", "search", "identity", "composite", "parameterizedSearch", "fingerprint", "theme", "nouns", "domino", "event", "serviceTemplates", "recent", "connect", "licensing", "limits", "process", "dedupe", "async-queries", "query", "jobs", "match", "localizedvalue", "mobile", "emailConnect", "consent", "tokenizer", "compactLayouts", "knowledgeManagement", "sobjects", "actions", "support"} {
		if r == "identity" {
			obj = obj.Add(r, c.base+"/id/"+o.ID()+"/"+o.adminID())
			continue
		}
		obj = obj.Add(r, p+"/"+r)
	}
	c.rest(http.StatusOK, obj)
}

// routeData serves /services/data/...
func (o *Org) routeData(c *call) {
	s := c.segs
	if len(s) == 2 {
		c.methods(o.versions, "GET")
		return
	}
	v, ok := parseVersion(s[2])
	if !ok || v > o.opts.MaxAPIVersion {
		c.fail(errNotFound)
		return
	}
	if v < MinAPIVersion {
		// UNCERTAIN: Salesforce answers a retired version with 410 GONE;
		// the body's code and wording are not recorded.
		c.fail(&apiError{Status: http.StatusGone, Code: "API_VERSION_RETIRED", Msg: fmt.Sprintf("Version %d.0 of the API is retired and no longer available", v)})
		return
	}
	c.ver = fmt.Sprintf("%d.0", v)
	if !o.authenticate(c) {
		return
	}
	if len(s) == 3 {
		c.methods(o.resources, "GET")
		return
	}
	rest := s[4:]
	switch s[3] {
	case "sobjects":
		o.routeSObjects(c, rest)
	case "query", "queryAll":
		o.routeQuery(c, s[3] == "queryAll", rest)
	case "composite":
		if len(rest) >= 1 && rest[0] == "sobjects" {
			o.routeCollections(c, rest[1:])
			return
		}
		c.fail(errNotFound)
	case "jobs":
		if v < 41 {
			c.fail(errNotFound)
			return
		}
		o.routeJobs(c, rest)
	case "limits":
		switch {
		case len(rest) == 0:
			c.methods(o.limits, "GET")
		case len(rest) == 1 && rest[0] == "recordCount":
			c.methods(o.recordCount, "GET")
		default:
			c.fail(errNotFound)
		}
	default:
		c.fail(errNotFound)
	}
}
