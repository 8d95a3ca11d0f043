// Drives jsforce's Bulk API 1.0 client (conn.bulk) against a local org:
// SOAP login, then insert, update, upsert, delete, query and queryAll,
// checking the data read back and the per-record errors. The jsforce package to use is
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

// collect reads a record stream to its end.
const collect = (stream) => new Promise((resolve, reject) => {
  const records = [];
  stream.on('record', (r) => records.push(r));
  stream.on('end', () => resolve(records));
  stream.on('error', reject);
});

// queryAll runs a queryAll job with jsforce's Bulk 1.0 request layer and
// its job and batch objects: it creates the job, adds the SOQL batch,
// polls it, reads its result list and each result file as a record
// stream, then closes the job. conn.bulk.query always runs "query", and
// jsforce 1.x cannot open a queryAll job itself: Job#open lower-cases the
// operation to "queryall", and Salesforce answers a misspelt operation
// "InvalidJob: Unable to parse Job" (as it did "harddelete",
// jsforce/jsforce#186; queryAll support never reached 1.x, #986); and its
// batch.retrieve reads a result list only for "query" jobs. So the job is
// created with the operation spelled right, then driven by jsforce.
async function queryAll(conn, object, soql) {
  const created = await conn.bulk._request({
    method: 'POST',
    path: '/job',
    body: '<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload">'
      + `<operation>queryAll</operation><object>${object}</object><contentType>CSV</contentType></jobInfo>`,
    headers: { 'Content-Type': 'application/xml; charset=utf-8' },
    responseType: 'application/xml',
  });
  const job = conn.bulk.job(created.jobInfo.id);
  const info = await job.info();
  assert.equal(info.operation, 'queryAll');
  const batch = job.createBatch();
  await new Promise((resolve, reject) => {
    batch.on('queue', resolve);
    batch.on('error', reject);
    batch.execute(soql);
  });
  for (let i = 0; ; i++) {
    const b = await batch.check();
    if (b.state === 'Completed') break;
    assert.ok(['Queued', 'InProgress'].includes(b.state) && i < 600, `queryAll batch ${b.state}: ${b.stateMessage}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const list = await conn.bulk._request({ method: 'GET', path: `/job/${job.id}/batch/${batch.id}/result` });
  const ids = [].concat(list['result-list'].result);
  const records = [];
  for (const id of ids) {
    records.push(...await collect(conn.bulk.job(job.id).batch(batch.id).result(id)));
  }
  const closed = await job.close();
  assert.equal(closed.state, 'Closed');
  return records;
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
  // queryAll.
  const del = await load(conn, 'Account', 'delete', [{ Id: acme }]);
  assert.equal(del[0].success, true);
  rows = await bulkQuery(conn, 'SELECT Name FROM Account ORDER BY Name');
  assert.deepEqual(rows.map((r) => r.Name), ['Globex Inc', 'Initech']);
  rows = await queryAll(conn, 'Account', 'SELECT Name, IsDeleted FROM Account ORDER BY Name');
  assert.deepEqual(rows.map((r) => `${r.Name}:${r.IsDeleted}`), ['Acme Corp:true', 'Globex Inc:false', 'Initech:false']);

  // A query that matches nothing.
  rows = await bulkQuery(conn, "SELECT Name FROM Account WHERE Name = 'nobody'");
  assert.equal(rows.length, 0);

  console.log(`${pkg} bulk1 ok`);
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
