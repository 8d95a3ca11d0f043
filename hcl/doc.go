// Package hcl loads sfsync's configuration — every *.sfsync.hcl file in a
// directory — into a typed model that the planner consumes: the org
// connection, the state backend, variables, locals, data lookups and the
// desired records of each object, with their source ranges.
//
// It exists so that everything a person can get wrong in a configuration is
// found, collected and reported with file, line, column and a snippet before
// anything reads or writes an org. It knows nothing of Salesforce's wire
// protocols or an org's schema: values that depend on an org — the Id of a
// record that may not exist yet, the result of a data lookup — are kept as
// Deferred values that name what they wait for, and the planner evaluates
// them once it knows. Large record sets in CSV files are streamed, never held
// in memory.
//
// Problems are reported as hcl.Diagnostics (from hashicorp/hcl, imported
// here as hclv2) with subject ranges, so they render with HCL's text writer.
package hcl
