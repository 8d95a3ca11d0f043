// Drives Bulk API 2.0 against a local org with jsforce 1.x (the npm alias
// jsforce1), unchanged. jsforce 1.x has no Bulk 2.0 client (its
// maintainers say so in jsforce/jsforce#1373), so the script sends the
// Bulk 2.0 calls through jsforce 1.x's own authenticated HTTP layer, as a
// jsforce 1.x application would: conn.requestPost / requestPatch /
// requestGet / request (Bearer token from its login, session refresh,
// Salesforce error bodies turned into errors, CSV answers parsed by
// jsforce's CSV reader). Query result pages are fetched through HttpApi,
// the class conn.request itself uses, to read the Sforce-Locator header
// that conn.request does not return. Ingest covers insert, update, upsert,
// delete and hardDelete with the successful, failed and unprocessed
// results; queries page with a locator, and queryAll sees deleted records.
// The org's connection details are in the LOCALORG environment variable
// (the JSON of connection.json). Exits non-zero with a message on the
// first difference from what Salesforce would answer.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const jsforce = require('jsforce1');
const HttpApi = require('jsforce1/lib/http-api');
const { toCSV } = require('jsforce1/lib/csv');

const c = JSON.parse(process.env.LOCALORG);
const version = '60.0';
const jobs = `/services/data/v${version}/jobs`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// waitJob polls a job until it stops moving.
async function waitJob(conn, kind, id) {
  for (let i = 0; i < 600; i++) {
    const info = await conn.requestGet(`${jobs}/${kind}/${id}`);
    if (['JobComplete', 'Failed', 'Aborted'].includes(info.state)) return info;
    await sleep(50);
  }
  throw new Error(`${kind} job ${id} did not finish`);
}

// open creates an ingest job and uploads its CSV (written by jsforce's
// own CSV writer).
async function open(conn, spec, records) {
  const job = await conn.requestPost(`${jobs}/ingest`, { contentType: 'CSV', lineEnding: 'LF', ...spec });
  assert.equal(job.state, 'Open');
  assert.equal(job.object, spec.object);
  assert.equal(job.operation, spec.operation);
  const uploaded = await conn.request({
    method: 'PUT', url: `${jobs}/ingest/${job.id}/batches`, body: toCSV(records), headers: { 'Content-Type': 'text/csv' },
  });
  assert.equal(uploaded, '');
  return job;
}

// ingest runs one ingest job and reads its three result sets.
async function ingest(conn, spec, records) {
  const job = await open(conn, spec, records);
  const closed = await conn.requestPatch(`${jobs}/ingest/${job.id}`, { state: 'UploadComplete' });
  assert.equal(closed.state, 'UploadComplete');
  const info = await waitJob(conn, 'ingest', job.id);
  const results = (set) => conn.request({ method: 'GET', url: `${jobs}/ingest/${job.id}/${set}` });
  return {
    info,
    successful: await results('successfulResults'),
    failed: await results('failedResults'),
    unprocessed: await results('unprocessedrecords'),
  };
}

// get sends a GET through HttpApi and returns the parsed body and the
// response headers.
async function get(conn, url) {
  const api = new HttpApi(conn, {});
  let headers = {};
  api.on('response', (res) => { headers = res.headers; });
  const body = await api.request({ method: 'GET', url: conn.instanceUrl + url });
  return { body, headers };
}

// query runs a query job (operation query or queryAll) and reads every
// page of at most maxRecords rows, following Sforce-Locator.
async function query(conn, soql, operation = 'query', maxRecords = 0) {
  const job = await conn.requestPost(`${jobs}/query`, { operation, query: soql });
  assert.equal(job.operation, operation);
  const info = await waitJob(conn, 'query', job.id);
  assert.equal(info.state, 'JobComplete', info.errorMessage);
  const rows = [];
  const locators = [];
  let locator = '';
  for (;;) {
    const qs = new URLSearchParams();
    if (maxRecords) qs.set('maxRecords', String(maxRecords));
    if (locator) qs.set('locator', locator);
    const { body, headers } = await get(conn, `${jobs}/query/${job.id}/results?${qs}`);
    assert.ok(Array.isArray(body), `results page is not CSV: ${body}`);
    rows.push(...body);
    locator = headers['sforce-locator'];
    locators.push(locator);
    if (!locator || locator === 'null') break;
  }
  assert.equal(info.numberRecordsProcessed, rows.length);
  return { rows, locators };
}

async function main() {
  // OAuth 2.0 username-password flow.
  const conn = new jsforce.Connection({
    loginUrl: c.login_url,
    version,
    oauth2: { clientId: c.client_id, clientSecret: c.client_secret, loginUrl: c.login_url },
  });
  const user = await conn.login(c.username, c.password + c.security_token);
  assert.equal(user.organizationId, c.org_id);
  assert.equal(conn.instanceUrl, c.instance_url);

  // Insert: one record lacks its required Name; AnnualRevenue comes back
  // the way Salesforce renders a currency (Java Double.toString).
  const accounts = [
    { Name: 'Acme', External_Id__c: 'A-1', NumberOfEmployees: '10', AnnualRevenue: '' },
    { Name: '', External_Id__c: 'A-2', NumberOfEmployees: '20', AnnualRevenue: '' },
    { Name: 'Globex', External_Id__c: 'G-1', NumberOfEmployees: '', AnnualRevenue: '912260031' },
  ];
  for (let i = 0; i < 9; i++) {
    accounts.push({ Name: `Bulk ${i}`, External_Id__c: `B-${i}`, NumberOfEmployees: String(i), AnnualRevenue: '' });
  }
  const ins = await ingest(conn, { object: 'Account', operation: 'insert' }, accounts);
  assert.equal(ins.info.state, 'JobComplete');
  assert.equal(ins.info.numberRecordsProcessed, 12);
  assert.equal(ins.info.numberRecordsFailed, 1);
  assert.equal(ins.successful.length, 11);
  assert.equal(ins.failed.length, 1);
  assert.equal(ins.unprocessed.length, 0);
  assert.equal(ins.failed[0].sf__Error, 'REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --');
  assert.equal(ins.failed[0].sf__Id, '');
  assert.equal(ins.failed[0].External_Id__c, 'A-2');
  for (const r of ins.successful) {
    assert.match(r.sf__Id, /^001\w{15}$/);
    assert.equal(r.sf__Created, 'true');
  }
  const globex = ins.successful.find((r) => r.Name === 'Globex');
  assert.equal(globex.AnnualRevenue, '9.12260031E8');

  // Read back in pages of 5: three pages, the last locator "null".
  let q = await query(conn, 'SELECT Id, Name, External_Id__c, NumberOfEmployees, AnnualRevenue FROM Account ORDER BY Name', 'query', 5);
  assert.equal(q.rows.length, 11);
  assert.equal(q.locators.length, 3);
  assert.equal(q.locators[2], 'null');
  assert.deepEqual(q.rows.map((r) => r.Name), ['Acme', ...Array.from({ length: 9 }, (_, i) => `Bulk ${i}`), 'Globex']);
  assert.equal(q.rows[0].NumberOfEmployees, '10');
  assert.equal(q.rows[10].AnnualRevenue, '9.12260031E8');
  const byName = Object.fromEntries(q.rows.map((r) => [r.Name, r]));
  assert.equal(byName.Acme.Id, ins.successful.find((r) => r.Name === 'Acme').sf__Id);

  // Update by Id: #N/A clears a field; an unknown Id fails in its row.
  const upd = await ingest(conn, { object: 'Account', operation: 'update' }, [
    { Id: byName.Acme.Id, Name: 'Acme Corp', NumberOfEmployees: '#N/A' },
    { Id: '001EM0000000zzz', Name: 'x', NumberOfEmployees: '1' },
  ]);
  assert.equal(upd.successful.length, 1);
  assert.equal(upd.successful[0].sf__Created, 'false');
  assert.equal(upd.failed[0].sf__Error, 'INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--');
  q = await query(conn, `SELECT Name, NumberOfEmployees FROM Account WHERE Id = '${byName.Acme.Id}'`);
  assert.deepEqual(q.rows, [{ Name: 'Acme Corp', NumberOfEmployees: '' }]);

  // Upsert by external Id (matched case-insensitively): one update, one
  // insert.
  const ups = await ingest(conn, { object: 'Account', operation: 'upsert', externalIdFieldName: 'External_Id__c' }, [
    { External_Id__c: 'g-1', Name: 'Globex Inc' },
    { External_Id__c: 'I-1', Name: 'Initech' },
  ]);
  assert.equal(ups.successful.length, 2);
  assert.deepEqual(ups.successful.map((r) => `${r.External_Id__c}:${r.sf__Created}`).sort(), ['I-1:true', 'g-1:false']);
  assert.equal(ups.successful.find((r) => r.sf__Created === 'false').sf__Id, byName.Globex.Id);

  // Delete the Bulk records: gone from query, still seen by queryAll.
  const bulkIds = (await query(conn, "SELECT Id FROM Account WHERE Name LIKE 'Bulk%'")).rows.map((r) => ({ Id: r.Id }));
  const del = await ingest(conn, { object: 'Account', operation: 'delete' }, bulkIds);
  assert.equal(del.successful.length, 9);
  assert.equal(del.failed.length, 0);
  q = await query(conn, 'SELECT Name FROM Account ORDER BY Name');
  assert.deepEqual(q.rows.map((r) => r.Name), ['Acme Corp', 'Globex Inc', 'Initech']);
  q = await query(conn, "SELECT Name, IsDeleted FROM Account WHERE Name LIKE 'Bulk%' OR Name = 'Initech' ORDER BY Name", 'queryAll', 4);
  assert.equal(q.locators.length, 3);
  assert.deepEqual(q.rows.map((r) => `${r.Name}:${r.IsDeleted}`),
    [...Array.from({ length: 9 }, (_, i) => `Bulk ${i}:true`), 'Initech:false']);

  // hardDelete: gone even from queryAll; an unknown Id fails.
  const hard = await ingest(conn, { object: 'Account', operation: 'hardDelete' }, [{ Id: byName['Bulk 0'].Id }, { Id: '001EM0000000zzz' }]);
  assert.equal(hard.successful.length, 1);
  assert.equal(hard.failed.length, 1);
  assert.match(hard.failed[0].sf__Error, /^[A-Z_]+:/);
  q = await query(conn, "SELECT Name FROM Account WHERE Name LIKE 'Bulk%' ORDER BY Name", 'queryAll');
  assert.deepEqual(q.rows.map((r) => r.Name), Array.from({ length: 8 }, (_, i) => `Bulk ${i + 1}`));

  // Unprocessed records: a job aborted after its upload processes
  // nothing, and lists every uploaded row.
  const pending = await open(conn, { object: 'Account', operation: 'insert' }, [{ Name: 'Never 1' }, { Name: 'Never 2' }]);
  const aborted = await conn.requestPatch(`${jobs}/ingest/${pending.id}`, { state: 'Aborted' });
  assert.equal(aborted.state, 'Aborted');
  const unprocessed = await conn.request({ method: 'GET', url: `${jobs}/ingest/${pending.id}/unprocessedrecords` });
  assert.deepEqual(unprocessed, [{ Name: 'Never 1' }, { Name: 'Never 2' }]);

  // A job whose CSV names an unknown field fails as a whole.
  const bad = await ingest(conn, { object: 'Account', operation: 'insert' }, [{ Name: 'x', Bogus__c: 'y' }]);
  assert.equal(bad.info.state, 'Failed');
  assert.equal(bad.info.errorMessage, 'InvalidBatch : Field name not found : Bogus__c');
  assert.equal(bad.successful.length, 0);

  // Salesforce's errors reach jsforce as errors: an unknown job.
  await assert.rejects(conn.requestGet(`${jobs}/ingest/750EM0000000zzzYAA`), (err) => err.name === 'NOT_FOUND');

  console.log('jsforce1 bulk2 ok');
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
