// Package planner is where configuration, org and state meet: it builds the
// plan that says which records sfsync would insert, update, delete or adopt,
// field by field, and executes it.
//
// It exists because the plan is the product: reviewers decide from it whether
// data reaches an org, so what it shows must be exactly what apply does. That
// takes three things this package defines once for everyone else:
//
//   - Values (Value, FieldSpec, FieldType): field values typed and normalized
//     the way Salesforce means them, so that 1 equals 1.0 and 9.12260031E8,
//     a datetime with an offset equals the same instant in UTC, and a 15- and
//     an 18-character Id are the same Id. A difference that is only one of
//     notation is never a change.
//   - The plan model (Plan, ObjectPlan, Change, FieldChange, Action, Job): what
//     a plan holds and every view renders, and what apply executes.
//   - The saved plan format (EncodeSaved, DecodeSaved, WriteSavedFile,
//     ReadSavedFile): a plan written by plan -out and executed by apply FILE
//     only when nothing it was built from has moved.
//
// Build makes a plan. It checks the configuration against the org's
// describe (fields, writability, types, lengths, picklists, required fields,
// references), reads the org — one query per object over its where, the
// records state manages that the query did not return, key lookups outside
// where, data lookups, the parents relationship columns name — into a
// compact per-object index, decides which org record each desired record is
// (design.md's identity rules: the state's Id, then the key), diffs them
// with typed values, plans deletes by each object's mode, orders the writes
// into levels (breaking reference cycles with deferred updates) and lists
// the jobs apply will run. Everything that is wrong with the configuration
// comes back as diagnostics with source ranges, all at once; Build never
// writes to the org. JobOf says which job writes a change, for the job
// estimate and for apply alike.
//
// Rendering the plan for people is the render package's job; talking to the
// org is the bulk package's; remembering what sfsync manages is the state
// package's.
package planner
