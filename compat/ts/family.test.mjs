// FusionAuth's TypeScript client against latchkey's family API:
// createFamily, addUserToFamily, updateFamily, retrieveFamilies,
// retrieveFamilyMembersByFamilyId, removeUserFromFamily,
// retrievePendingChildren and sendFamilyRequestEmail, and the client's
// error for a refused family. Run by ts_test.go after flow.test.mjs; it
// turns families on in the user's tenant with patchTenant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FusionAuthClient, env } from './env.mjs';
const admin = new FusionAuthClient(env('LATCHKEY_API_KEY'), env('LATCHKEY_URL'));

async function refused(call, status, code) {
  try {
    await call();
    assert.fail('the call was taken');
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.equal(e.statusCode, status);
    if (code) assert.ok(JSON.stringify(e.exception).includes(code), JSON.stringify(e.exception));
  }
}

async function newUser(email, extra) {
  const res = await admin.createUser(null, { user: { email, password: 'correct horse battery', ...extra } });
  return res.response.user;
}

test('families through FusionAuth\'s TypeScript client', async () => {
  const parent = await newUser('family-parent@example.com', { birthDate: '1980-04-01' });
  const child = await newUser('family-child@example.com', { birthDate: '2016-04-01', parentEmail: 'Family-Parent@example.com' });
  const other = await newUser('family-other@example.com', { birthDate: '1975-04-01' });
  const familyId = randomUUID();

  await refused(() => admin.createFamily(familyId, { familyMember: { userId: parent.id, role: 'Adult' } }), 400, '[FamilyConfigurationDisabled]');
  const template = await admin.createEmailTemplate(null, { emailTemplate: { name: 'Family request', defaultSubject: 'Approve a child',
    defaultTextTemplate: 'A child asks ${parentEmail}.', defaultHtmlTemplate: '<p>A child asks ${parentEmail}.</p>' } });
  await admin.patchTenant(parent.tenantId, { tenant: { familyConfiguration: { enabled: true,
    familyRequestEmailTemplateId: template.response.emailTemplate.id } } });

  const pending = await admin.retrievePendingChildren('family-parent@example.com');
  assert.deepEqual(pending.response.users.map((u) => u.id), [child.id]);
  assert.equal((await admin.sendFamilyRequestEmail({ parentEmail: 'family-parent@example.com' })).statusCode, 200);

  const created = await admin.createFamily(familyId, { familyMember: { userId: parent.id, role: 'Adult' } });
  assert.equal(created.statusCode, 200);
  assert.equal(created.response.family.id, familyId);
  assert.deepEqual(created.response.family.members.map((m) => [m.userId, m.role, m.owner]), [[parent.id, 'Adult', true]]);

  const added = await admin.addUserToFamily(familyId, { familyMember: { userId: child.id, role: 'Child', owner: true } });
  assert.deepEqual(added.response.family.members.map((m) => [m.userId, m.role, m.owner]), [[parent.id, 'Adult', true], [child.id, 'Child', false]]);
  const updated = await admin.updateFamily(familyId, { familyMember: { userId: child.id, role: 'Teen' } });
  assert.equal(updated.response.family.members[1].role, 'Teen');
  assert.equal(updated.response.family.members[1].insertInstant, added.response.family.members[1].insertInstant);
  assert.deepEqual((await admin.retrievePendingChildren('family-parent@example.com')).response.users, []);

  const byId = await admin.retrieveFamilyMembersByFamilyId(familyId);
  assert.equal(byId.response.family.members.length, 2);
  const families = await admin.retrieveFamilies(child.id);
  assert.deepEqual(families.response.families.map((f) => f.id), [familyId]);

  await refused(() => admin.createFamily(null, { familyMember: { userId: parent.id, role: 'Adult' } }), 400, '[alreadyInFamily]familyMember.userId');
  await refused(() => admin.createFamily(null, { familyMember: { userId: child.id, role: 'Child' } }), 400, '[invalid]familyMember.role');
  const second = await admin.createFamily(null, { familyMember: { userId: other.id, role: 'Adult' } });
  await refused(() => admin.addUserToFamily(second.response.family.id, { familyMember: { userId: parent.id, role: 'Adult' } }), 400, '[alreadyInFamily]');

  assert.equal((await admin.removeUserFromFamily(familyId, child.id)).statusCode, 200);
  assert.equal((await admin.removeUserFromFamily(familyId, parent.id)).statusCode, 200);
  await refused(() => admin.retrieveFamilyMembersByFamilyId(familyId), 404);
  assert.deepEqual((await admin.retrieveFamilies(child.id)).response.families, []);
});
