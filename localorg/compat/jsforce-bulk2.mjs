// Drives jsforce 3 (Bulk API 2.0, OAuth and SOAP login, REST query)
// against a local org whose connection details are in the LOCALORG
// environment variable (the JSON of connection.json). Exits non-zero with
// a message on the first difference from what Salesforce would answer.
import assert from 'node:assert/strict';
import jsforce from 'jsforce';

const c = JSON.parse(process.env.LOCALORG);
const version = '60.0';

async function main() {
  // OAuth 2.0 username-password flow (jsforce uses it when a client id
  // and secret are configured).
  const conn = new jsforce.Connection({
    loginUrl: c.login_url,
    version,
    oauth2: { clientId: c.client_id, clientSecret: c.client_secret, loginUrl: c.login_url },
  });
  const user = await conn.login(c.username, c.password + c.security_token);
  assert.equal(user.organizationId, c.org_id);
  assert.equal(conn.instanceUrl, c.instance_url);

  // Insert: one record lacks its required Name.
  const ins = await conn.bulk2.loadAndWaitForResults({
    object: 'Account',
    operation: 'insert',
    input: [
      // jsforce takes the CSV header from the first record and writes null
      // as #N/A.
      { Name: 'Acme', External_Id__c: 'A-1', NumberOfEmployees: 10, AnnualRevenue: null },
      { Name: null, External_Id__c: 'A-2', NumberOfEmployees: null, AnnualRevenue: null },
      { Name: 'Globex', External_Id__c: 'G-1', NumberOfEmployees: null, AnnualRevenue: 912260031 },
    ],
    pollTimeout: 60000,
  });
  assert.equal(ins.successfulResults.length, 2);
  assert.equal(ins.failedResults.length, 1);
  assert.equal(ins.failedResults[0].sf__Error, 'REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --');
  for (const r of ins.successfulResults) {
    assert.match(r.sf__Id, /^001\w{15}$/);
    assert.equal(r.sf__Created, 'true');
  }
  const globex = ins.successfulResults.find((r) => r.Name === 'Globex');
  assert.equal(globex.AnnualRevenue, '9.12260031E8');

  const read = async (soql) => (await conn.bulk2.query(soql, { pollTimeout: 60000 })).toArray();
  let rows = await read('SELECT Id, Name, External_Id__c, AnnualRevenue FROM Account ORDER BY Name');
  assert.deepEqual(rows.map((r) => r.Name), ['Acme', 'Globex']);
  assert.equal(rows[1].AnnualRevenue, '9.12260031E8');
  const acme = rows[0];

  // Update by Id, upsert by external id (case-insensitive match), delete.
  const upd = await conn.bulk2.loadAndWaitForResults({
    object: 'Account', operation: 'update', input: [{ Id: acme.Id, Name: 'Acme Corp' }, { Id: '001EM0000000zzz', Name: 'x' }], pollTimeout: 60000,
  });
  assert.equal(upd.successfulResults.length, 1);
  assert.equal(upd.failedResults[0].sf__Error, 'INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--');
  const ups = await conn.bulk2.loadAndWaitForResults({
    object: 'Account', operation: 'upsert', externalIdFieldName: 'External_Id__c',
    input: [{ External_Id__c: 'g-1', Name: 'Globex Inc' }, { External_Id__c: 'I-1', Name: 'Initech' }], pollTimeout: 60000,
  });
  assert.equal(ups.successfulResults.length, 2);
  assert.deepEqual(ups.successfulResults.map((r) => r.sf__Created).sort(), ['false', 'true']);
  rows = await read('SELECT Name FROM Account ORDER BY Name');
  assert.deepEqual(rows.map((r) => r.Name), ['Acme Corp', 'Globex Inc', 'Initech']);

  const del = await conn.bulk2.loadAndWaitForResults({
    object: 'Account', operation: 'delete', input: [{ Id: acme.Id }], pollTimeout: 60000,
  });
  assert.equal(del.successfulResults.length, 1);
  rows = await read('SELECT Name FROM Account ORDER BY Name');
  assert.deepEqual(rows.map((r) => r.Name), ['Globex Inc', 'Initech']);
  const all = await (await conn.bulk2.query('SELECT Name, IsDeleted FROM Account ORDER BY Name', { scanAll: true, pollTimeout: 60000 })).toArray();
  assert.deepEqual(all.map((r) => `${r.Name}:${r.IsDeleted}`), ['Acme Corp:true', 'Globex Inc:false', 'Initech:false']);

  // hardDelete: the record is gone even from queryAll.
  const tmp = await conn.bulk2.loadAndWaitForResults({
    object: 'Account', operation: 'insert', input: [{ Name: 'Temp' }], pollTimeout: 60000,
  });
  const hard = await conn.bulk2.loadAndWaitForResults({
    object: 'Account', operation: 'hardDelete', input: [{ Id: tmp.successfulResults[0].sf__Id }, { Id: '001EM0000000zzz' }], pollTimeout: 60000,
  });
  assert.equal(hard.successfulResults.length, 1);
  assert.equal(hard.failedResults.length, 1);
  const after = await (await conn.bulk2.query('SELECT Name FROM Account ORDER BY Name', { scanAll: true, pollTimeout: 60000 })).toArray();
  assert.deepEqual(after.map((r) => r.Name), ['Acme Corp', 'Globex Inc', 'Initech']);

  // REST query and the SOAP login of older tools.
  const q = await conn.query('SELECT Id, Name FROM Account WHERE Name = \'Initech\'');
  assert.equal(q.totalSize, 1);
  assert.equal(q.records[0].attributes.type, 'Account');
  const soap = new jsforce.Connection({ loginUrl: c.login_url, version: '60.0' });
  const soapUser = await soap.loginBySoap(c.username, c.password + c.security_token);
  assert.equal(soapUser.organizationId, c.org_id);
  const q2 = await soap.query('SELECT COUNT() FROM Account');
  assert.equal(q2.totalSize, 2);

  console.log('jsforce ok');
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
