// FusionAuth's TypeScript client against latchkey's OpenID Connect reconcile
// lambdas: createLambda with the client's LambdaType.OpenIDReconcile,
// createIdentityProvider with lambdaConfiguration.reconcileId (the
// client's LambdaConfiguration), retrieveIdentityProvider, and the
// client's errors for a body without reconcile, a reconcileId naming a
// JWTPopulate lambda, and deleting a lambda a provider uses. Run by
// ts_test.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pkg from '@fusionauth/typescript-client';
import { FusionAuthClient, env, rejected } from './env.mjs';
const admin = new FusionAuthClient(env('LATCHKEY_API_KEY'), env('LATCHKEY_URL'));
const { LambdaType } = pkg;
const idpId = '5c6d7e8f-0000-4000-8000-0000000000f7';
const reconcileId = '5c6d7e8f-0000-4000-8000-0000000000f8';
const populateId = '5c6d7e8f-0000-4000-8000-0000000000f9';

test('OpenIDReconcile lambdas and reconcileId through FusionAuth\'s TypeScript client', async () => {
  assert.equal(LambdaType.OpenIDReconcile, 'OpenIDReconcile');
  const noReconcile = await rejected(admin.createLambda(null, { lambda: { name: 'x', type: LambdaType.OpenIDReconcile, body: 'function populate(jwt) {}' } }));
  assert.equal(noReconcile.statusCode, 400);
  assert.equal(noReconcile.exception.fieldErrors['lambda.body'][0].code, '[invalid]lambda.body');

  const created = await admin.createLambda(reconcileId, { lambda: { name: 'Map claims', type: LambdaType.OpenIDReconcile,
    body: 'function reconcile(user, registration, jwt, id_token, tokens) { user.data = user.data || {}; user.data.department = jwt.department; }' } });
  assert.equal(created.response.lambda.type, 'OpenIDReconcile');
  await admin.createLambda(populateId, { lambda: { name: 'Populate', type: LambdaType.JWTPopulate, body: 'function populate(jwt) {}' } });

  const provider = (reconcile) => ({ identityProvider: {
    type: 'OpenIDConnect', name: 'Reconciled upstream', buttonText: 'Sign in', enabled: true, linkingStrategy: 'LinkByEmail',
    oauth2: { client_id: 'latchkey', client_secret: 'upstream-secret', issuer: 'https://reconcile.example.test' },
    lambdaConfiguration: { reconcileId: reconcile },
  } });
  const wrongType = await rejected(admin.createIdentityProvider(idpId, provider(populateId)));
  assert.equal(wrongType.statusCode, 400);
  assert.equal(wrongType.exception.fieldErrors['identityProvider.lambdaConfiguration.reconcileId'][0].code,
    '[invalid]identityProvider.lambdaConfiguration.reconcileId');

  await admin.createIdentityProvider(idpId, provider(reconcileId));
  const got = await admin.retrieveIdentityProvider(idpId);
  assert.equal(got.response.identityProvider.lambdaConfiguration.reconcileId, reconcileId);

  const inUse = await rejected(admin.deleteLambda(reconcileId));
  assert.equal(inUse.statusCode, 400);
  assert.equal(inUse.exception.fieldErrors.lambdaId[0].code, '[inUse]lambdaId');

  await admin.deleteIdentityProvider(idpId);
  assert.equal((await admin.deleteLambda(reconcileId)).statusCode, 200);
  assert.equal((await admin.deleteLambda(populateId)).statusCode, 200);
});
