// The part of the demo page both apps share: the workflow's session handling
// (steps 2-11) plus what a person watching needs to see: who is logged in,
// when the JWT expires (live countdown) and a log of logins and refreshes.
// Shared by both apps: internal/demo/appkit embeds it and each app serves it
// at /shell.js beside its own /app.js.

/** Builds an element; strings become text nodes (never HTML). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v);
  }
  el.append(...children.flat());
  return el;
}

import { wireAccounts } from './accounts.js';

const $ = (id) => document.getElementById(id);
const sections = ['login', 'signup', 'forgot', 'reset', 'notice', 'app'];

/** Shows one section; body[data-state] names it for tests and CSS. */
function show(name) {
  for (const s of sections) $(s).hidden = s !== name;
  document.body.dataset.state = name;
}
const clock = (d) => d.toLocaleTimeString([], { hour12: false });

/** Appends a line to the session log; `kind` lets tests and CSS find it. */
export function log(kind, text) {
  const li = h('li', { 'data-kind': kind }, h('time', {}, clock(new Date())), ' ', text);
  $('log').prepend(li);
}

/**
 * Starts the page. `load(client, container)` renders the app's data with
 * client.fetch and returns false when the backend refused the token.
 */
export async function boot({ load }) {
  const cfg = await (await fetch('/config.json')).json();
  const oauth = cfg.login === 'oauth';
  // The SDK comes from the identity server, as any SPA would load it.
  const { createClient } = await import(`${cfg.identityURL}/sdk/latchkey.js`);
  let client = createClient({ baseURL: cfg.identityURL, applicationId: cfg.applicationId, leewaySeconds: 1 });
  if (oauth) {
    // latchkey demo --oauth: the session is the code flow's (PKCE, hosted
    // page); sign-up and password reset still go through the SDK.
    const { createOAuthClient } = await import('./oauth.js');
    const session = createOAuthClient({ baseURL: cfg.identityURL, applicationId: cfg.applicationId,
      redirectURI: `${location.origin}/`, leewaySeconds: 1 });
    client = Object.assign(Object.create(client), session);
    for (const id of ['loginId', 'password']) $(id).closest('label').hidden = true;
    $('login-button').textContent = 'Log in with latchkey';
    $('passkey-login').hidden = true; // the hosted page signs in; the SDK's passkey login is the native mode's
    document.querySelector('#login .hint').textContent = 'Signs in on the identity server\'s own page (authorization code flow with PKCE).';
  }
  let timer = 0;
  let ticker = 0;

  client.on('login', (d) => log('login', `Logged in as ${d.user?.email ?? '?'}; JWT expires at ${clock(d.expiresAt)}`));
  client.on('refresh', (d) => log('refresh', `JWT refreshed; new one expires at ${clock(d.expiresAt)}`));
  client.on('session-end', (d) => log('session-end', `Session ended (${d.reason}); please log in again`));
  client.on('logout', () => log('logout', 'Logged out'));

  function showLogin() {
    clearTimeout(timer);
    clearInterval(ticker);
    show('login');
    // Back to the first step: a pending second factor is abandoned.
    $('two-factor-form').hidden = true;
    $('login-form').hidden = false;
    (oauth ? $('login-button') : $('loginId')).focus();
  }

  async function showApp() {
    const claims = client.claims();
    show('app');
    $('who').textContent = claims?.email ?? claims?.sub ?? '?';
    // The session line gets its countdown and expiry now, not once the
    // backend has answered: filling them moves the Log out button, which
    // must not move under a click (a person's, or a test's).
    schedule();
    if (!(await load(client, $('content')))) {
      log('error', 'The backend refused the token');
      showLogin();
    }
  }

  // Step 9: when exp is (about to be) reached, refresh, then repeat 7-8.
  function schedule() {
    clearTimeout(timer);
    clearInterval(ticker);
    const exp = (client.claims()?.exp ?? 0) * 1000;
    const tick = () => {
      const left = Math.max(0, Math.ceil((exp - Date.now()) / 1000));
      $('countdown').textContent = `${left}s`;
      $('expires-at').textContent = clock(new Date(exp));
    };
    tick();
    ticker = setInterval(tick, 250);
    timer = setTimeout(async () => {
      try {
        (await client.getToken()) ? await showApp() : showLogin(); // null: step 11
      } catch (e) {
        log('error', String(e.message ?? e));
        clearTimeout(timer); // showApp may have scheduled one before its load failed
        timer = setTimeout(schedule, 2000);
      }
    }, Math.max(0, exp - 1000 - Date.now()));
  }

  // A login may answer "needs a second factor" (242): the code form
  // finishes it; the same for a passkey, passwordless or one-time-password
  // login (after a password change).
  async function finish(result) {
    if (result?.twoFactor) {
      showLogin();
      log('two-factor', 'Password accepted; enter the code from your authenticator app');
      $('login-form').hidden = true;
      $('two-factor-form').hidden = false;
      $('two-factor-code').focus();
      return;
    }
    await showApp();
  }
  const accounts = wireAccounts({ client, show, finish, showLogin, log, $ });
  const attempt = (fn) => async (ev) => {
    ev?.preventDefault();
    $('login-error').textContent = '';
    try {
      await finish(await fn());
    } catch (e) {
      $('password').value = '';
      if (!accounts.loginError(e, $('loginId').value)) $('login-error').textContent = e.message;
    }
  };
  $('login-form').addEventListener('submit', attempt(async () => {
    const r = await client.login($('loginId').value, $('password').value);
    $('password').value = '';
    return r;
  }));
  $('two-factor-form').addEventListener('submit', attempt(async () => {
    const r = await client.completeTwoFactor($('two-factor-code').value.trim(), { trustComputer: $('trust-computer').checked });
    $('two-factor-code').value = '';
    return r;
  }));
  $('passkey-login').addEventListener('click', attempt(() => client.loginWithPasskey()));
  // Passwordless: the mail's link comes back to /passwordless/{code}
  // (below); the answer is the same whether or not the account exists.
  $('passwordless-start').addEventListener('click', async () => {
    $('login-error').textContent = $('login-status').textContent = '';
    const loginId = $('loginId').value.trim();
    if (!loginId) {
      $('login-error').textContent = 'Enter your email first.';
      return;
    }
    try {
      await client.startPasswordless(loginId);
      $('login-status').textContent = `If ${loginId} has an account, a sign-in link is on its way.`;
    } catch (e) {
      $('login-error').textContent = e.message;
    }
  });
  $('logout').addEventListener('click', async () => {
    await client.logout().catch(() => {});
    showLogin();
  });

  // A mail's link (confirm the address, reset the password, sign in) opened the page.
  const signIn = location.pathname.match(/^\/passwordless\/([^/]+)$/);
  if (signIn) {
    history.replaceState(null, '', '/');
    showLogin();
    await attempt(() => client.completePasswordless(decodeURIComponent(signIn[1])))();
    return;
  }
  if (await accounts.route(location.pathname)) return;
  // Step 2: a still-valid JWT in localStorage? (an expired one is refreshed)
  let token = null;
  if (oauth) {
    try { await client.handleRedirect(); } catch (e) { log('error', String(e.message ?? e)); }
  }
  try { token = await client.getToken(); } catch (e) { log('error', String(e.message ?? e)); }
  token ? await showApp() : showLogin(); // step 3 when there is none
}
