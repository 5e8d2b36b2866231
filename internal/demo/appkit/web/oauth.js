// The alternative login of `latchkey demo --oauth`: the authorization code
// flow with PKCE (RFC 7636, S256) through the identity server's hosted login
// page instead of the native form. It offers the subset of the SDK's client
// that shell.js uses (on, claims, getToken, fetch, login, logout), so the
// page is the same in both modes.
//
// A public client gets its refresh token in the token response, so it must
// keep it in script-readable storage (sessionStorage here: gone with the
// tab). That is the price of the redirect flow in a SPA, and why the
// workflow's native login with the refresh token in an HttpOnly cookie is
// the default mode.

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const decode = (t) => {
  try { return JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))); } catch { return null; }
};

export function createOAuthClient({ baseURL, applicationId, redirectURI, leewaySeconds = 5 }) {
  const listeners = {};
  const emit = (name, data) => (listeners[name] ?? []).forEach((f) => f(data));
  const key = (k) => `latchkey.oauth.${applicationId}.${k}`;
  const form = (body) => ({ method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: applicationId, ...body }) });
  let refreshing = null;

  const save = (tok) => {
    localStorage.setItem(key('at'), tok.access_token);
    if (tok.refresh_token) sessionStorage.setItem(key('rt'), tok.refresh_token);
    if (tok.id_token) sessionStorage.setItem(key('id'), tok.id_token);
  };
  const clear = () => {
    localStorage.removeItem(key('at'));
    sessionStorage.removeItem(key('rt'));
  };
  async function token(body) {
    const res = await fetch(`${baseURL}/oauth2/token`, form(body));
    const out = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(out.error_description ?? `token endpoint: ${res.status}`);
    return out;
  }
  const expiry = (c) => new Date((c?.exp ?? 0) * 1000);

  return {
    on(name, f) { (listeners[name] ??= []).push(f); },
    claims() { return decode(localStorage.getItem(key('at')) ?? ''); },

    /** Sends the browser to the hosted login page. */
    async login() {
      const verifier = random(32);
      const state = random(16);
      const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
      sessionStorage.setItem(key('pkce'), JSON.stringify({ verifier, state }));
      location.assign(`${baseURL}/oauth2/authorize?${new URLSearchParams({
        client_id: applicationId, redirect_uri: redirectURI, response_type: 'code', scope: 'openid offline_access',
        state, code_challenge: challenge, code_challenge_method: 'S256' })}`);
      return new Promise(() => {}); // the page is leaving
    },

    /** On the way back: check state and iss (RFC 9207), exchange the code. */
    async handleRedirect() {
      const q = new URLSearchParams(location.search);
      if (!q.has('code') && !q.has('error')) return false;
      const pending = JSON.parse(sessionStorage.getItem(key('pkce')) ?? 'null');
      sessionStorage.removeItem(key('pkce'));
      history.replaceState(null, '', location.pathname);
      if (!pending || q.get('state') !== pending.state) throw new Error('Sign-in answer with an unknown state: ignored');
      if (q.get('iss') !== baseURL) throw new Error('Sign-in answer from another issuer: ignored');
      if (q.has('error')) throw new Error(q.get('error_description') ?? q.get('error'));
      save(await token({ grant_type: 'authorization_code', code: q.get('code'), redirect_uri: redirectURI,
        code_verifier: pending.verifier }));
      const c = this.claims();
      emit('login', { user: { email: c?.email }, expiresAt: expiry(c) });
      return true;
    },

    /** A valid access token, refreshed with the refresh token when due. */
    async getToken() {
      const c = this.claims();
      if (c && c.exp * 1000 - leewaySeconds * 1000 > Date.now()) return localStorage.getItem(key('at'));
      const rt = sessionStorage.getItem(key('rt'));
      if (!rt) {
        if (c) { clear(); emit('session-end', { reason: 'expired' }); }
        return null;
      }
      refreshing ??= token({ grant_type: 'refresh_token', refresh_token: rt }).then((tok) => {
        save(tok);
        emit('refresh', { expiresAt: expiry(this.claims()) });
        return tok.access_token;
      }, () => {
        clear();
        emit('session-end', { reason: 'refresh refused' });
        return null;
      }).finally(() => { refreshing = null; });
      return refreshing;
    },

    async fetch(url, init = {}) {
      const t = await this.getToken();
      const headers = new Headers(init.headers);
      if (t) headers.set('Authorization', `Bearer ${t}`);
      return fetch(url, { ...init, headers });
    },

    /** Revokes the refresh token (RFC 7009), then RP-initiated logout. */
    async logout() {
      const rt = sessionStorage.getItem(key('rt'));
      const id = sessionStorage.getItem(key('id'));
      clear();
      sessionStorage.removeItem(key('id'));
      if (rt) await fetch(`${baseURL}/oauth2/revoke`, form({ token: rt })).catch(() => {});
      emit('logout', {});
      location.assign(`${baseURL}/oauth2/logout?${new URLSearchParams({ client_id: applicationId,
        post_logout_redirect_uri: redirectURI, ...(id ? { id_token_hint: id } : {}) })}`);
    },
  };
}
