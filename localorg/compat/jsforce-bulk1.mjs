// Drives jsforce's Bulk API 1.0 client (conn.bulk) against a local org:
// SOAP login, then insert, update, upsert, delete and query, checking the
// data read back and the per-record errors. The jsforce package to use is
// the first argument: "jsforce1" (jsforce 1.x, an npm alias) or "jsforce"
// (3.x). The org's connection details are in the LOCALORG environment
// variable (the JSON of connection.json). Exits non-zero with a message
// on the first difference from what Salesforce would answer.
import assert from 'node:assert/strict';

const pkg = process.argv[2];
const jsforce = (await import(pkg)).default;
const c = JSON.parse(process.env.LOCALORG);

// Collects a bulk query's records: jsforce 1 returns the record stream,
// jsforce 3 a promise of it; both parse once a 'record' listener is on.
async function bulkQuery(conn, soql) {
  let stream = conn.bulk.query(soql);
  if (typeof stream.then === 'function') stream = await stream;
  return new Promise((resolve, reject) => {
    const records = [];
    stream.on('record', (r) => records.push(r));
    stream.on('end', () => resolve(records));
    stream.on('error', reject);
  });
}

// load runs one Bulk 1.0 job (jsforce opens it, adds one CSV batch, polls
// the batch, reads its results, closes the job).
const load = (conn, ...args) => conn.bulk.load(...args);

async function main() {
  // SOAP login: jsforce uses it when no OAuth client is configured.
  const conn = new jsforce.Connection({ loginUrl: c.login_url, version: '60.0' });
  const user = await conn.login(c.username, c.password + c.security_token);
  assert.equal(user.organizationId, c.org_id);
  assert.equal(conn.instanceUrl, c.instance_url);
  conn.bulk.pollInterval = 100;
  conn.bulk.pollTimeout = 60000;

  // Insert: the second record lacks its required Name. Results come in
  // request order.
  const ins = await load(conn, 'Account', 'insert', [
    { Name: 'Acme', External_Id__c: 'A-1', NumberOfEmployees: 10 },
    { External_Id__c: 'A-2', NumberOfEmployees: 20 },
    { Name: 'Globex', External_Id__c: 'G-1', NumberOfEmployees: 30 },
  ]);
  assert.equal(ins.length, 3);
  assert.equal(ins[0].success, true);
  assert.match(ins[0].id, /^001\w{15}$/);
  assert.equal(ins[1].success, false);
  assert.deepEqual(ins[1].errors, ['REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --']);
  assert.equal(ins[2].success, true);
  const acme = ins[0].id;

  let rows = await bulkQuery(conn, 'SELECT Id, Name, NumberOfEmployees FROM Account ORDER BY Name');
  assert.deepEqual(rows.map((r) => `${r.Name}:${r.NumberOfEmployees}`), ['Acme:10', 'Globex:30']);
  assert.equal(rows[0].Id, acme);

  // Update by Id; an unknown Id fails in its own row.
  const upd = await load(conn, 'Account', 'update', [{ Id: acme, Name: 'Acme Corp' }, { Id: '001EM0000000zzz', Name: 'x' }]);
  assert.equal(upd[0].success, true);
  assert.equal(upd[1].success, false);
  assert.deepEqual(upd[1].errors, ['INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--']);

  // Upsert by external Id: one update, one insert.
  const ups = await load(conn, 'Account', 'upsert', { extIdField: 'External_Id__c' },
    [{ External_Id__c: 'G-1', Name: 'Globex Inc' }, { External_Id__c: 'I-1', Name: 'Initech' }]);
  assert.deepEqual(ups.map((r) => r.success), [true, true]);
  rows = await bulkQuery(conn, 'SELECT Name, External_Id__c FROM Account ORDER BY Name');
  assert.deepEqual(rows.map((r) => `${r.Name}:${r.External_Id__c}`), ['Acme Corp:A-1', 'Globex Inc:G-1', 'Initech:I-1']);

  // Delete, then the deleted record is gone from query and kept by
  // queryAll (jsforce runs the query job as the operation given).
  const del = await load(conn, 'Account', 'delete', [{ Id: acme }]);
  assert.equal(del[0].success, true);
  rows = await bulkQuery(conn, 'SELECT Name FROM Account ORDER BY Name');
  assert.deepEqual(rows.map((r) => r.Name), ['Globex Inc', 'Initech']);

  // A query that matches nothing.
  rows = await bulkQuery(conn, "SELECT Name FROM Account WHERE Name = 'nobody'");
  assert.equal(rows.length, 0);

  console.log(`${pkg} bulk1 ok`);
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
