// FusionAuth's TypeScript client against latchkey's identity provider Link
// API and provider search: createUserLink, retrieveUserLink,
// retrieveUserLinksByUserId, deleteUserLink and searchIdentityProviders, and
// the client's error for an upstream account linked twice, and a provider's
// link limit (tenantConfiguration) refusing createUserLink. Run by
// ts_test.go after flow.test.mjs (the Kickstart's user, kick@example.com,
// is the one linked).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FusionAuthClient, env } from './env.mjs';
const admin = new FusionAuthClient(env('LATCHKEY_API_KEY'), env('LATCHKEY_URL'));
const idpId = '5c6d7e8f-0000-4000-8000-0000000000d1';

test('identity provider links and search through FusionAuth\'s TypeScript client', async () => {
  await admin.createIdentityProvider(idpId, {
    identityProvider: {
      type: 'OpenIDConnect', name: 'Upstream', buttonText: 'Sign in with Upstream', enabled: true,
      oauth2: { client_id: 'latchkey', client_secret: 'upstream-secret', issuer: 'https://upstream.example.test' },
    },
  });
  const user = (await admin.retrieveUserByEmail('kick@example.com')).response.user;

  const created = await admin.createUserLink({
    identityProviderLink: { identityProviderId: idpId, identityProviderUserId: 'upstream-42', userId: user.id, displayName: 'kick upstream' },
  });
  assert.equal(created.statusCode, 200);
  assert.equal(created.response.identityProviderLink.userId, user.id);
  assert.equal(created.response.identityProviderLink.identityProviderName, 'Upstream');

  const one = await admin.retrieveUserLink(idpId, 'upstream-42', user.id);
  assert.equal(one.response.identityProviderLink.displayName, 'kick upstream');
  const all = await admin.retrieveUserLinksByUserId(null, user.id);
  assert.deepEqual(all.response.identityProviderLinks.map((l) => l.identityProviderUserId), ['upstream-42']);

  const found = await admin.searchIdentityProviders({ search: { name: 'upstream', type: 'OpenIDConnect' } });
  assert.equal(found.response.total, 1);
  assert.equal(found.response.identityProviders[0].id, idpId);
  assert.equal(found.response.identityProviders[0].oauth2.client_secret, undefined);

  const other = (await admin.createUser(null, { user: { email: 'linked-twice@example.com', password: 'correct horse battery staple' } })).response.user;
  try {
    await admin.createUserLink({ identityProviderLink: { identityProviderId: idpId, identityProviderUserId: 'upstream-42', userId: other.id } });
    assert.fail('an upstream account was linked to a second user');
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.equal(e.statusCode, 400);
    assert.equal(e.exception.fieldErrors['identityProviderLink.identityProviderUserId'][0].code,
      '[duplicate]identityProviderLink.identityProviderUserId');
  }

  const deleted = await admin.deleteUserLink(idpId, 'upstream-42', user.id);
  assert.equal(deleted.statusCode, 200);
  const none = await admin.retrieveUserLinksByUserId(null, user.id);
  assert.deepEqual(none.response.identityProviderLinks, []);
});

test('an identity provider\'s link limit through FusionAuth\'s TypeScript client', async () => {
  const limitedId = '5c6d7e8f-0000-4000-8000-0000000000d2';
  const user = (await admin.retrieveUserByEmail('kick@example.com')).response.user;
  await admin.createIdentityProvider(limitedId, {
    identityProvider: {
      type: 'OpenIDConnect', name: 'Limited', buttonText: 'Sign in with Limited', enabled: true,
      oauth2: { client_id: 'latchkey', client_secret: 'upstream-secret', issuer: 'https://limited.example.test' },
      tenantConfiguration: { [user.tenantId]: { limitUserLinkCount: { enabled: true, maximumLinks: 1 } } },
    },
  });
  const stored = (await admin.retrieveIdentityProvider(limitedId)).response.identityProvider;
  assert.deepEqual(stored.tenantConfiguration[user.tenantId].limitUserLinkCount, { enabled: true, maximumLinks: 1 });

  await admin.createUserLink({ identityProviderLink: { identityProviderId: limitedId, identityProviderUserId: 'limited-1', userId: user.id } });
  try {
    await admin.createUserLink({ identityProviderLink: { identityProviderId: limitedId, identityProviderUserId: 'limited-2', userId: user.id } });
    assert.fail('a link past the provider\'s limit was made');
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.equal(e.statusCode, 400);
    assert.equal(e.exception.fieldErrors['identityProviderLink.userId'][0].code, '[tooMany]identityProviderLink.userId');
  }
  const links = await admin.retrieveUserLinksByUserId(limitedId, user.id);
  assert.deepEqual(links.response.identityProviderLinks.map((l) => l.identityProviderUserId), ['limited-1']);
  await admin.deleteIdentityProvider(limitedId);
});
