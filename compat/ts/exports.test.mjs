// FusionAuth's TypeScript client against latchkey's audit log and login
// record exports and the GET forms of the searches. The pinned client
// (1.69.0) types the export requests (AuditLogExportRequest,
// LoginRecordExportRequest) but has no method that sends them, so the
// exports go through the client's own request builder, as its methods do;
// the GET search through searchIdentityProvidersByParameters. Run by
// ts_test.go (a login ping leaves the login record exported).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';
import { FusionAuthClient, env } from './env.mjs';
const admin = new FusionAuthClient(env('LATCHKEY_API_KEY'), env('LATCHKEY_URL'));

// exportOf sends an export request as the client's methods send theirs and
// answers the zip's bytes.
async function exportOf(uri, request) {
  const res = await admin.start().withUri(uri).withJSONBody(request).withMethod('POST')
    .withResponseHandler(async (r) => ({ statusCode: r.status, type: r.headers.get('content-type'), body: Buffer.from(await r.arrayBuffer()) }))
    .go();
  assert.equal(res.statusCode, 200);
  assert.equal(res.type, 'application/zip');
  return res.body;
}

// unzip reads a zip's files through its central directory (APPNOTE.TXT
// 4.3.12, 4.3.16): name -> text.
function unzip(zip) {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'no end of central directory: not a whole zip');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = {};
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(at + 10), size = zip.readUInt32LE(at + 20);
    const nameLen = zip.readUInt16LE(at + 28), extra = zip.readUInt16LE(at + 30), comment = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLen).toString();
    const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(data, data + size);
    files[name] = (method === 8 ? inflateRawSync(raw) : raw).toString();
    at += 46 + nameLen + extra + comment;
  }
  return files;
}

test('audit log and login record exports through FusionAuth\'s TypeScript client', async () => {
  await admin.createAuditLog({ auditLog: { insertUser: 'ts@example.test', message: '=HYPERLINK("https://evil.example","x")' } });
  await admin.createAuditLog({ auditLog: { insertUser: 'ts@example.test', message: 'Exported by the client' } });
  const audit = unzip(await exportOf('/api/system/audit-log/export',
    { criteria: { user: 'ts@example.test' }, zoneId: 'UTC', dateTimeSecondsFormat: 'yyyy-MM-dd' }));
  assert.deepEqual(Object.keys(audit), ['audit_log.csv']);
  const lines = audit['audit_log.csv'].trimEnd().split('\r\n');
  assert.equal(lines[0], '"Id","Tenant Id","Created","User","Reason","Message","Old value","New value"');
  assert.equal(lines.length, 3);
  assert.match(lines[1], /"Exported by the client"/);
  assert.match(lines[2], /"'=HYPERLINK\(""https:\/\/evil.example"",""x""\)"/);
  assert.match(lines[2], /"\d{4}-\d{2}-\d{2}"/);

  const user = (await admin.retrieveUserByEmail('kick@example.com')).response.user;
  await admin.loginPing(user.id, env('LATCHKEY_APP_ID'), '192.0.2.44'); // a login record, whatever ran before
  const logins = unzip(await exportOf('/api/system/login-record/export', { criteria: { applicationId: env('LATCHKEY_APP_ID') } }));
  const rows = logins['login_records.csv'].trimEnd().split('\r\n');
  assert.match(rows[0], /^"User Id","Identity value","Identity type","Time","Application Id","IP Address"/);
  const search = await admin.searchLoginRecords({ search: { applicationId: env('LATCHKEY_APP_ID'), numberOfResults: 500 }, retrieveTotal: true });
  assert.ok(search.response.total > 0);
  assert.equal(rows.length - 1, search.response.total);
  assert.match(rows[1], new RegExp(`^"${user.id}","[^"]*","",".+ [AP]M M[SD]T","${env('LATCHKEY_APP_ID')}","192.0.2.44"`));

  try {
    await exportOf('/api/system/audit-log/export', { zoneId: 'Mars/Olympus' });
    assert.fail('an unknown zone was taken');
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.equal(e.statusCode, 400);
    assert.equal(e.exception.fieldErrors.zoneId[0].code, '[invalid]zoneId');
  }
});

test('the GET form of the identity provider search through FusionAuth\'s TypeScript client', async () => {
  const byBody = await admin.searchIdentityProviders({ search: { name: 'up*', type: 'OpenIDConnect' } });
  const byParameters = await admin.searchIdentityProvidersByParameters(undefined, 'up*', 10, 'name ASC', 0, undefined, 'OpenIDConnect');
  assert.equal(byParameters.statusCode, 200);
  assert.deepEqual(byParameters.response, byBody.response);
});
