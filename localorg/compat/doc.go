// Package compat holds the tests that drive foreign Salesforce clients —
// go-salesforce (Go) and jsforce 1.x and 3.x (Node, a small npm project in
// this directory with a committed lockfile; jsforce 1.x is installed under
// the npm alias jsforce1) — against a local org, unchanged. They are the proof that
// localorg speaks Salesforce's wire protocols rather than our own client's
// idea of them. The package has no code of its own.
package compat
