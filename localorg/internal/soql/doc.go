// Package soql is localorg's SOQL engine: it parses the subset of SOQL that
// Salesforce's query APIs accept, binds it to the org's schema and compiles
// it to SQLite SQL over the storage encoding of the BRIEF, with Salesforce's
// error codes and messages. It exists because clients we did not write
// (jsforce, the sf CLI, go-salesforce, sfsync's own bulk client) send SOQL to
// localorg and must get what Salesforce would give them: the same rows, in
// the same order, under the same column names, and the same errors, caret
// line included. SQLite alone compares text case-sensitively, has three-
// valued NOT and knows nothing of Ids, multi-select picklists or TODAY; this
// package supplies those semantics.
//
// # Use
//
// Call Register once before opening the database (it registers the
// collation and functions the compiled SQL uses). Then, per query:
//
//	q, err := soql.Parse(text)                    // *Error: MALFORMED_QUERY
//	c, err := soql.Compile(q, catalog, soql.Options{API: soql.Bulk2, Now: now})
//	rows, err := db.QueryContext(ctx, c.SQL, c.Args...)
//
// Errors from Parse and Compile are *Error (use errors.As); Code and Message
// go into REST's and Bulk 2.0's error array, StateMessage into a failed Bulk
// 1.0 batch. The result columns are in the storage encoding; Compiled.Columns
// say which field each is (header, describe type, relationship path), and
// the hidden Id columns (Compiled.IDIndex, Relationship.IDIndex) let REST
// build attributes.url and null parents.
//
// The store implements Catalog (objects, fields and relationships, looked up
// case-insensitively) and should index case-insensitive text columns with
// COLLATE Collation so that = and IN on them can use the index.
//
// # Semantics
//
//   - Text =, !=, <, >, IN and ORDER BY ignore case (Unicode simple case
//     folding) unless the field is case-sensitive; Ids compare exactly, after
//     a 15-character literal is turned into its 18-character form. LIKE is
//     always case-insensitive, with % and _ wildcards and \% and \_ escapes.
//   - Logic is two-valued, as in Salesforce: != and NOT IN (and EXCLUDES, and
//     NOT) also match records whose field is null; field = null and
//     field != null test for null; an empty string literal compares as null
//     (Salesforce stores no empty strings).
//   - INCLUDES ('a;b', 'c') on a multi-select picklist means (a and b) or c;
//     = compares the whole set of values, in any order.
//   - Booleans are TRUE/FALSE, numbers compare numerically whatever the
//     column's SQLite type.
//   - Relative dates (TODAY, LAST_N_DAYS:n, THIS_MONTH, …) cover whole days
//     in Options.Location, counted from Options.Now; against a datetime field
//     they cover the instants from the start of the first day to the start
//     of the day after the last. = means inside the range, < before it, >
//     after it. A date literal (2024-01-31) against a datetime field is the
//     whole day in UTC; Salesforce itself refuses that comparison.
//   - ORDER BY puts nulls first for ASC and last for DESC unless NULLS FIRST
//     or NULLS LAST says otherwise.
//   - Soft-deleted rows (IsDeleted = 1) are left out unless
//     Options.IncludeDeleted (queryAll).
//   - Parent paths (Account.Name, Owner.Profile.Name, up to five
//     relationships) become LEFT JOINs on the parent's Id. For a polymorphic
//     lookup (OwnerId → User or Group) the first referenceTo object the
//     catalog knows is joined, so the parent's fields read null for records
//     pointing at another type.
//
// REST takes COUNT() and COUNT(field) and OFFSET; the Bulk APIs refuse
// those, parent-to-child subqueries and compound fields with their own
// messages. Constructs Salesforce runs but this engine does not (GROUP BY,
// TYPEOF, FIELDS(), other functions, WITH, FOR, parent-to-child subqueries
// in REST) fail with FUNCTIONALITY_NOT_ENABLED and a message saying
// localorg does not support them.
package soql
