// Package bulk is sfsync's Salesforce client: authentication, the Bulk API
// 1.0 and 2.0, describe, limits, REST queries and sObject Collections. It
// knows nothing of HCL, plans or state; the planner calls it to read the org
// and to write changes, and the job commands call it to inspect jobs.
//
// # Connecting
//
// New logs in and settles the API version (the lower of Config.APIVersion —
// or MaxAPIVersion — and the org's highest):
//
//	c, err := bulk.New(ctx, bulk.Config{Auth: bulk.JWTBearer{LoginURL: u, ClientID: id, Username: user, KeyFile: "server.key"}})
//
// Authenticators: AccessToken (a session obtained elsewhere), SFCLI (a
// Salesforce CLI login), SOAPLogin (username, password, security token; API
// < 65.0 only), PasswordFlow, RefreshTokenFlow, JWTBearer and
// ClientCredentials. A call that meets an
// expired session (401 INVALID_SESSION_ID on REST and Bulk 2.0, 400
// InvalidSessionId on Bulk 1.0) logs in again once and is repeated, when the
// authenticator can log in again; Expired reports a session known or
// estimated to be dead. Bulk 1.0 calls carry X-SFDC-Session, the others
// Authorization: Bearer; every call carries Sforce-Call-Options:
// client=sfsync and accepts gzip. No secret (password, security token,
// token, refresh token, client secret, private key) appears in an error,
// log line or String of this package's types.
//
// # Retries
//
// Failed calls are retried with exponential backoff and full jitter
// (Config.Retry), but only where a repeat cannot duplicate work:
//
//   - after any 5xx, 429, connection reset or timeout: GETs (job and batch
//     info, result lists and files, query pages, describe, limits,
//     versions; a result or query body that breaks mid-way is fetched
//     again and resumed after the rows already read), DELETE, job state
//     changes (close, abort, UploadComplete —
//     a repeat that meets InvalidJobState is checked against the job's
//     state) and creating a query job (a second query job writes nothing);
//   - only after a connection that was never made, or a 503 (Salesforce
//     rejected the call before doing anything): creating an ingest job,
//     adding a Bulk 1.0 batch, uploading Bulk 2.0 data, sObject Collections
//     writes. A Bulk 2.0 upload that fails otherwise aborts its job (an Open
//     job has processed nothing) and is made once more with a new job.
//
// Job-level failures (a batch or job Failed with "InvalidBatch : …") are
// never retried; they come back as *JobError with Salesforce's code and
// message. HTTP error answers are *APIError; per-record failures are
// RecordError values in Result.Errors. Records that fail with
// UNABLE_TO_LOCK_ROW, and the records of a batch or job failed with
// TooManyLockFailure, are resubmitted in a new job a bounded number of times
// (IngestRequest.LockRetries).
//
// # Reading
//
// Query streams rows — one page at a time, never the whole result — through
// Bulk 2.0 (create, poll with backoff to a ceiling under an overall timeout,
// results paged by locator and maxRecords), Bulk 1.0 (job, SOQL batch,
// result lists, result files; PK chunking) or REST (nextRecordsUrl):
//
//	rows := c.Query(ctx, "SELECT Id, Name FROM Account", bulk.QueryOptions{})
//	defer rows.Close()
//	for rows.Next() { name, _ := rows.Row().Get("Name") }
//	err := rows.Err()
//
// Values are as Salesforce rendered them; Canonical and SameValue compare
// them as typed values and ParseValue reads them, by the rules of package
// internal/sfvalue (which reads numbers such as "9.12260031E8", dates,
// datetimes with "Z" or "+0000", booleans); ParseDateTime adds Bulk API
// 1.0 JSON's epoch milliseconds; QuoteSOQL and SOQLLiteral write values
// into queries. Describe (cached per
// Client), DescribeGlobal, Limits and Versions serve the planner.
//
// # Writing
//
// Ingest writes records of one object with one operation:
//
//	sum, err := c.Ingest(ctx, bulk.IngestRequest{
//		Object: "Account", Operation: bulk.Upsert, ExternalIDField: "Key__c",
//		Records:  records,                                         // iter.Seq[bulk.Record]
//		OnJob:    func(ctx context.Context, j bulk.JobRef) error { return journal(j) },
//		OnResult: func(r bulk.Result) error { return record(r.Index, r) },
//	})
//
// Records are spooled to a temporary file, so neither the upload, the
// result correlation nor a retry holds them all in memory. Bulk 2.0 uses one
// job per upload of at most 100 MB (a new job only when the next record
// would not fit); Bulk 1.0 one job with batches of at most 10,000 records
// and 10 MB in CSV, XML or JSON; REST sObject Collections calls of 200.
// OnJob is called with every job after it is created and before any data is
// uploaded to it. Every submitted record gets exactly one Result whose Index
// is its position in Records: by position in Bulk 1.0 and Collections; in
// Bulk 2.0, whose results come back unordered and re-formatted, by the key
// columns (Id, the external id, or IngestRequest.KeyFields; the whole row
// for an insert without a key, and to tell apart records sharing a key)
// compared as typed values — never by row order. Resume waits for a
// journaled job after a crash and reports its results.
//
// Interrupts: cancelling IngestRequest.Submit (the first Ctrl-C) stops new
// jobs and batches; those already sent are waited for and reported, and the
// error wraps ErrSubmitStopped. Cancelling the ctx (the second) aborts the
// jobs in flight.
//
// CSV written to Salesforce follows its rules: the header is the union of
// all records' fields, "#N/A" clears a field, an empty cell leaves it
// unchanged, LF line ends, no byte-order mark, quotes only where needed,
// numbers as plain decimals, dates yyyy-mm-dd and datetimes in UTC with
// milliseconds.
//
// Bulk 1.0 jobs are also reachable one call at a time (CreateJob1, OpenJob1,
// AddBatch, Batches, ResultList, Result, IngestResults, Close, Abort), and
// Bulk 2.0 jobs likewise (CreateIngestJob2, UploadJobData2, SetJobState2,
// WaitJob2, IngestResults2, ListJobs2, DeleteJob2, CreateQueryJob2,
// QueryResultPage2), for the job commands and for tools.
package bulk
