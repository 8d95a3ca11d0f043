// Package sfvalue is the one place that knows how Salesforce writes and
// reads field values on the wire: numbers (Java's Double.toString in query
// results and result echoes, plain decimals on upload), booleans, dates,
// datetimes, times of day and multi-select picklists.
//
// Every side of sfsync meets these renderings: the bulk client correlates
// Bulk API 2.0 result echoes with what it sent, the planner reads the org's
// query results and a configuration's cells and compares them, and localorg
// parses uploads and renders results as Salesforce does. Each used to keep
// its own copy of the rules, and the copies drifted (one read a datetime
// without a time zone that another refused), so a value one side wrote could
// mean something else to another. Here they are written once; the callers
// keep what is theirs (the planner's typed values and their equality, the
// emulator's errors and storage encoding).
//
// The rules follow the API reference (salesforce-api.md §2.9, §6.1, §6.4):
//
//   - numbers: an optional sign, digits with an optional point, an optional
//     exponent (912260031, -1500.50, .5, 9.12260031E8, 1.0E-4); no spaces,
//     no thousands separators, no NaN or infinities. Read exactly as
//     decimals (Decimal).
//   - doubles as Salesforce renders them: Java's Double.toString (1500.0,
//     9.12260031E8, 9.0E7, 1.0E-4).
//   - booleans: true or false in any case, or 1 and 0; nothing is trimmed.
//   - dates: yyyy-MM-dd, also with the Z of Bulk API 1.0's samples
//     (1940-06-07Z); a date with an offset is refused.
//   - datetimes: yyyy-MM-ddTHH:mm:ss, an optional fraction of a second and a
//     required zone, Z, +HH:mm or +HHmm; read as an instant in UTC with
//     millisecond precision, written yyyy-MM-ddTHH:mm:ss.SSSZ.
//   - times of day: HH:mm:ss, an optional fraction and an optional Z,
//     written HH:mm:ss.SSSZ.
//   - multi-select picklists: values joined by ";", a set (MultiPicklist).
//
// The package imports only the standard library, so that bulk, planner and
// localorg's internal packages can all use it without depending on each
// other.
package sfvalue
