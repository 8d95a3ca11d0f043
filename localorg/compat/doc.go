// Package compat holds the tests that drive foreign Salesforce clients —
// go-salesforce (Go) and jsforce (Node, a small npm project in this
// directory) — against a local org, unchanged. They are the proof that
// localorg speaks Salesforce's wire protocols rather than our own client's
// idea of them. The package has no code of its own.
package compat
