package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// APIVersion is one entry of GET /services/data.
type APIVersion struct {
	Label   string `json:"label"`
	URL     string `json:"url"`
	Version string `json:"version"`
}

// Versions lists the API versions the org offers (no session needed).
func (c *Client) Versions(ctx context.Context) ([]APIVersion, error) {
	resp, err := c.do(ctx, call{method: http.MethodGet, path: "/services/data/", api: apiREST, accept: "application/json", retry: retrySafe})
	if err != nil {
		return nil, err
	}
	var vs []APIVersion
	if err := decodeJSON(resp, &vs); err != nil {
		return nil, fmt.Errorf("read versions: %w", err)
	}
	return vs, nil
}

// SObject is a describe result: what a planner needs of an object.
type SObject struct {
	Name               string              `json:"name"`
	Label              string              `json:"label"`
	KeyPrefix          string              `json:"keyPrefix"`
	Custom             bool                `json:"custom"`
	Createable         bool                `json:"createable"`
	Updateable         bool                `json:"updateable"`
	Deletable          bool                `json:"deletable"`
	Queryable          bool                `json:"queryable"`
	Undeletable        bool                `json:"undeletable"`
	Fields             []Field             `json:"fields"`
	ChildRelationships []ChildRelationship `json:"childRelationships"`
}

// Field is one field of a describe result.
type Field struct {
	Name                  string          `json:"name"`
	Label                 string          `json:"label"`
	Type                  string          `json:"type"` // id, string, boolean, int, double, currency, date, datetime, reference, picklist, …
	SoapType              string          `json:"soapType"`
	Length                int             `json:"length"`
	ByteLength            int             `json:"byteLength"`
	Precision             int             `json:"precision"`
	Scale                 int             `json:"scale"`
	Digits                int             `json:"digits"`
	Nillable              bool            `json:"nillable"`
	Createable            bool            `json:"createable"`
	Updateable            bool            `json:"updateable"`
	DefaultedOnCreate     bool            `json:"defaultedOnCreate"`
	Calculated            bool            `json:"calculated"`
	AutoNumber            bool            `json:"autoNumber"`
	ExternalID            bool            `json:"externalId"`
	IDLookup              bool            `json:"idLookup"`
	Unique                bool            `json:"unique"`
	CaseSensitive         bool            `json:"caseSensitive"`
	Custom                bool            `json:"custom"`
	DeprecatedAndHidden   bool            `json:"deprecatedAndHidden"`
	ReferenceTo           []string        `json:"referenceTo"`
	RelationshipName      string          `json:"relationshipName"`
	PolymorphicForeignKey bool            `json:"polymorphicForeignKey"`
	CascadeDelete         bool            `json:"cascadeDelete"`
	PicklistValues        []PicklistValue `json:"picklistValues"`
	RestrictedPicklist    bool            `json:"restrictedPicklist"`
	DependentPicklist     bool            `json:"dependentPicklist"`
	ControllerName        string          `json:"controllerName"`
	CompoundFieldName     string          `json:"compoundFieldName"`
	HTMLFormatted         bool            `json:"htmlFormatted"`
	DefaultValue          any             `json:"defaultValue"`
}

// Kind is the value kind of the field's type.
func (f *Field) Kind() Kind { return KindOf(f.Type) }

// Required reports whether an insert must set the field: not nillable,
// createable, and not filled in by Salesforce.
func (f *Field) Required() bool {
	return !f.Nillable && f.Createable && !f.DefaultedOnCreate && f.Type != "boolean"
}

// PicklistValue is one value of a picklist field.
type PicklistValue struct {
	Active       bool   `json:"active"`
	DefaultValue bool   `json:"defaultValue"`
	Label        string `json:"label"`
	Value        string `json:"value"`
}

// ChildRelationship is a relationship from a child object to this one.
type ChildRelationship struct {
	ChildSObject     string `json:"childSObject"`
	Field            string `json:"field"`
	RelationshipName string `json:"relationshipName"`
	CascadeDelete    bool   `json:"cascadeDelete"`
	RestrictedDelete bool   `json:"restrictedDelete"`
}

// Field finds a field by name, case-insensitively.
func (o *SObject) Field(name string) (*Field, bool) {
	for i := range o.Fields {
		if strings.EqualFold(o.Fields[i].Name, name) {
			return &o.Fields[i], true
		}
	}
	return nil, false
}

// FieldByRelationship finds the lookup field whose relationship name is rel
// ("Account" → AccountId, "Parent__r" → Parent__c).
func (o *SObject) FieldByRelationship(rel string) (*Field, bool) {
	for i := range o.Fields {
		if o.Fields[i].RelationshipName != "" && strings.EqualFold(o.Fields[i].RelationshipName, rel) {
			return &o.Fields[i], true
		}
	}
	return nil, false
}

// GlobalObject is one entry of the global describe.
type GlobalObject struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	KeyPrefix    string `json:"keyPrefix"`
	Custom       bool   `json:"custom"`
	Createable   bool   `json:"createable"`
	Updateable   bool   `json:"updateable"`
	Deletable    bool   `json:"deletable"`
	Queryable    bool   `json:"queryable"`
	Retrieveable bool   `json:"retrieveable"`
}

// GlobalDescribe is GET /sobjects.
type GlobalDescribe struct {
	Encoding     string         `json:"encoding"`
	MaxBatchSize int            `json:"maxBatchSize"`
	SObjects     []GlobalObject `json:"sobjects"`
}

// Object finds an object by name, case-insensitively.
func (g *GlobalDescribe) Object(name string) (*GlobalObject, bool) {
	for i := range g.SObjects {
		if strings.EqualFold(g.SObjects[i].Name, name) {
			return &g.SObjects[i], true
		}
	}
	return nil, false
}

type describeCache struct {
	mu      sync.Mutex
	objects map[string]*SObject
	global  *GlobalDescribe
}

func newDescribeCache() *describeCache { return &describeCache{objects: map[string]*SObject{}} }

// Describe returns the object's describe, fetched once per client (a run).
func (c *Client) Describe(ctx context.Context, object string) (*SObject, error) {
	key := strings.ToLower(object)
	c.cache.mu.Lock()
	d, ok := c.cache.objects[key]
	c.cache.mu.Unlock()
	if ok {
		return d, nil
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, path: c.dataPath("/sobjects/%s/describe", url.PathEscape(object)), api: apiREST, accept: "application/json", retry: retrySafe})
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", object, err)
	}
	d = new(SObject)
	if err := decodeJSON(resp, d); err != nil {
		return nil, fmt.Errorf("describe %s: %w", object, err)
	}
	c.cache.mu.Lock()
	c.cache.objects[key] = d
	c.cache.mu.Unlock()
	return d, nil
}

// DescribeGlobal lists the org's objects, fetched once per client.
func (c *Client) DescribeGlobal(ctx context.Context) (*GlobalDescribe, error) {
	c.cache.mu.Lock()
	g := c.cache.global
	c.cache.mu.Unlock()
	if g != nil {
		return g, nil
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, path: c.dataPath("/sobjects/"), api: apiREST, accept: "application/json", retry: retrySafe})
	if err != nil {
		return nil, fmt.Errorf("describe global: %w", err)
	}
	g = new(GlobalDescribe)
	if err := decodeJSON(resp, g); err != nil {
		return nil, fmt.Errorf("describe global: %w", err)
	}
	c.cache.mu.Lock()
	c.cache.global = g
	c.cache.mu.Unlock()
	return g, nil
}

// Limit is one entry of /limits.
type Limit struct {
	Max       int64 `json:"Max"`
	Remaining int64 `json:"Remaining"`
}

// Limits is GET /limits: DailyApiRequests, DailyBulkApiBatches (or
// DailyBulkApiRequests before API 49.0), DailyBulkV2QueryJobs, …
// Sub-limits (per connected app) are left out.
type Limits map[string]Limit

// Limits reads the org's limits.
func (c *Client) Limits(ctx context.Context) (Limits, error) {
	resp, err := c.do(ctx, call{method: http.MethodGet, path: c.dataPath("/limits/"), api: apiREST, accept: "application/json", retry: retrySafe})
	if err != nil {
		return nil, fmt.Errorf("limits: %w", err)
	}
	var l Limits
	if err := decodeJSON(resp, &l); err != nil {
		return nil, fmt.Errorf("limits: %w", err)
	}
	return l, nil
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode %s response: %w", resp.Request.URL.Path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

func decodeBytes(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}
