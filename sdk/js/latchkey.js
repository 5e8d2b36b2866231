// latchkey browser SDK: the SPA side of "native login, JWT in localStorage,
// refresh token in an HttpOnly cookie on the identity server's host".
// An ES module with no dependencies and no build step; latchkey serves it at
// GET /sdk/latchkey.js so a page on another origin can `import` it.
//
// Wire format is FusionAuth's (POST /api/login, POST /api/jwt/refresh,
// POST /api/logout), so the same code works against FusionAuth itself.

/**
 * @typedef {object} StorageLike The subset of the Web Storage API the SDK uses.
 * @property {(key: string) => (string | null)} getItem
 * @property {(key: string, value: string) => void} setItem
 * @property {(key: string) => void} removeItem
 */

/**
 * @typedef {object} LocksLike The subset of the Web Locks API the SDK uses.
 * @property {<T>(name: string, cb: () => Promise<T>) => Promise<T>} request
 */

/**
 * @typedef {object} ClientOptions
 * @property {string} baseURL identity server origin, e.g. "https://login.example.com"
 * @property {string} applicationId the application (JWT audience) this SPA logs in to
 * @property {StorageLike} [storage] default: localStorage
 * @property {typeof fetch} [fetch] default: globalThis.fetch
 * @property {number} [leewaySeconds] refresh this many seconds before exp (default 5)
 * @property {LocksLike | null} [locks] default: navigator.locks when present
 * @property {() => number} [now] milliseconds since the epoch (default Date.now)
 * @property {boolean} [dpop] sender-constrain the tokens with DPoP (RFC 9449): a
 *   non-extractable P-256 key signs a proof for login, refresh, logout and fetch
 * @property {Crypto} [crypto] default: globalThis.crypto (WebCrypto)
 * @property {IDBFactory | null} [indexedDB] where the DPoP key persists across
 *   reloads (default globalThis.indexedDB; without it the key lives in memory)
 */

/** @typedef {'login' | 'refresh' | 'logout' | 'session-end'} EventName */

/** Thrown by login() for any non-200 answer. `status` is the HTTP status. */
export class LoginError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.name = 'LoginError';
    this.status = status;
  }
}

/**
 * Decodes a JWT payload without verifying it. The SPA only needs `exp` (to
 * decide when to refresh) and display claims; the backends verify signatures.
 * @param {string | null | undefined} token
 * @returns {Record<string, any> | null}
 */
export function decodeJWT(token) {
  if (typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    const claims = JSON.parse(json);
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

/**
 * Whether a token is for this application and its user is registered for it:
 * aud names the application and so does applicationId, which FusionAuth and
 * latchkey put only in a registered user's token. The same rule as the
 * backends' jwtverify default, so the SPA never keeps a token its backend
 * would refuse.
 * @param {Record<string, any> | null} claims @param {string} applicationId
 */
function audienceMatches(claims, applicationId) {
  if (!claims) return false;
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  return aud.includes(applicationId) && claims.applicationId === applicationId;
}

const b64url = (/** @type {ArrayBuffer | Uint8Array} */ buf) => {
  let s = '';
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
const b64urlJSON = (/** @type {any} */ o) => b64url(new TextEncoder().encode(JSON.stringify(o)));

/**
 * Loads this application's DPoP key pair from IndexedDB, or generates one.
 * The private key is created non-extractable: script injected into the page
 * can use it while the page is open but cannot copy it elsewhere, which is
 * what makes a stolen token useless (workflow steps 16-17, docs/dpop.md).
 * @param {Crypto} cr @param {IDBFactory | null} idb @param {string} name
 * @returns {Promise<CryptoKeyPair>}
 */
async function dpopKeyPair(cr, idb, name) {
  const generate = () => cr.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  if (!idb) return /** @type {Promise<CryptoKeyPair>} */ (generate());
  /** @type {IDBDatabase} */
  const db = await new Promise((resolve, reject) => {
    const req = idb.open('latchkey-dpop', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('keys');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const op = (/** @type {IDBTransactionMode} */ mode, /** @type {(s: IDBObjectStore) => IDBRequest} */ fn) =>
    new Promise((resolve, reject) => {
      const req = fn(db.transaction('keys', mode).objectStore('keys'));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  const found = await op('readonly', (s) => s.get(name));
  if (found) return found;
  const pair = /** @type {CryptoKeyPair} */ (await generate());
  await op('readwrite', (s) => s.put(pair, name)); // CryptoKeys are structured-cloneable
  return pair;
}

/**
 * Returns a function that signs DPoP proofs (RFC 9449 §4.2) with one key.
 * @param {Crypto} cr @param {Promise<CryptoKeyPair>} pairP @param {() => number} now
 */
function dpopSigner(cr, pairP, now) {
  /** @type {Promise<Record<string, string>> | null} */
  let jwkP = null;
  /**
   * @param {string} method @param {string} url absolute; query and fragment are dropped (htu)
   * @param {string} [accessToken] bound through ath when given
   */
  return async function proof(method, url, accessToken) {
    const pair = await pairP;
    jwkP ??= cr.subtle.exportKey('jwk', pair.publicKey).then((k) => ({ kty: k.kty, crv: k.crv, x: k.x, y: k.y }));
    const u = new URL(url);
    const claims = {
      jti: b64url(cr.getRandomValues(new Uint8Array(16))),
      htm: method.toUpperCase(),
      htu: `${u.origin}${u.pathname}`,
      iat: Math.floor(now() / 1000),
    };
    if (accessToken) {
      claims.ath = b64url(await cr.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)));
    }
    const input = `${b64urlJSON({ typ: 'dpop+jwt', alg: 'ES256', jwk: await jwkP })}.${b64urlJSON(claims)}`;
    // WebCrypto's ECDSA signature is r||s, exactly JWS ES256 (RFC 7518 §3.4).
    const sig = await cr.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new TextEncoder().encode(input));
    return `${input}.${b64url(sig)}`;
  };
}

const fromB64url = (/** @type {string} */ s) =>
  Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

/**
 * The options latchkey (and FusionAuth) send are WebAuthn's JSON form
 * (binary fields base64url); navigator.credentials wants ArrayBuffers.
 * @param {any} o PublicKeyCredentialCreationOptionsJSON or ...RequestOptionsJSON
 */
function webAuthnOptions(o) {
  const ids = (/** @type {any[] | undefined} */ list) => list?.map((c) => ({ ...c, id: fromB64url(c.id) }));
  const out = { ...o, challenge: fromB64url(o.challenge) };
  if (o.user) out.user = { ...o.user, id: fromB64url(o.user.id) };
  if (o.excludeCredentials) out.excludeCredentials = ids(o.excludeCredentials);
  if (o.allowCredentials) out.allowCredentials = ids(o.allowCredentials);
  return out;
}

/**
 * A PublicKeyCredential as the JSON latchkey's register/complete and login
 * take (FusionAuth's shape: base64url binary fields).
 * @param {any} cred PublicKeyCredential
 */
function credentialJSON(cred) {
  const r = cred.response;
  /** @type {Record<string, string>} */
  const response = { clientDataJSON: b64url(r.clientDataJSON) };
  if (r.attestationObject) response.attestationObject = b64url(r.attestationObject);
  if (r.authenticatorData) response.authenticatorData = b64url(r.authenticatorData);
  if (r.signature) response.signature = b64url(r.signature);
  if (r.userHandle) response.userHandle = b64url(r.userHandle);
  return {
    id: cred.id, type: cred.type, response,
    transports: typeof r.getTransports === 'function' ? r.getTransports() : [],
    clientExtensionResults: typeof cred.getClientExtensionResults === 'function' ? cred.getClientExtensionResults() : {},
  };
}

/**
 * Creates a client for one application.
 * @param {ClientOptions} opts
 */
export function createClient(opts) {
  const baseURL = String(opts.baseURL).replace(/\/+$/, '');
  const applicationId = opts.applicationId;
  const storage = opts.storage ?? globalThis.localStorage;
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const leewayMs = (opts.leewaySeconds ?? 5) * 1000;
  const locks = opts.locks !== undefined ? opts.locks : globalThis.navigator?.locks ?? null;
  const now = opts.now ?? Date.now;
  // One key per application: two apps on one origin must not share a JWT.
  const key = `latchkey.jwt.${applicationId}`;
  const lockName = `latchkey-refresh:${applicationId}`;
  /** @type {Map<EventName, Set<(detail: any) => void>>} */
  const listeners = new Map();
  /** @type {Promise<string | null> | null} */
  let inflight = null;
  const cr = opts.crypto ?? globalThis.crypto;
  const idb = opts.indexedDB !== undefined ? opts.indexedDB : globalThis.indexedDB ?? null;
  /** @type {((method: string, url: string, accessToken?: string) => Promise<string>) | null} */
  let proof = null;
  if (opts.dpop) {
    const pairP = dpopKeyPair(cr, idb, applicationId);
    pairP.catch(() => {}); // reported by the first proof() that awaits it
    proof = dpopSigner(cr, pairP, now);
  }

  /**
   * Headers for a call to the identity server, with a DPoP proof when on.
   * @param {string} path @param {Record<string, string>} base
   */
  async function idpHeaders(path, base) {
    return proof ? { ...base, DPoP: await proof('POST', `${baseURL}${path}`) } : base;
  }

  /** @param {EventName} name @param {any} detail */
  function emit(name, detail) {
    for (const fn of listeners.get(name) ?? []) {
      try { fn(detail); } catch (e) { console.error(e); }
    }
  }

  /**
   * A stored token counts only if it is for this app (audienceMatches) and
   * not about to expire. localStorage is shared by every script of the
   * origin, so what is under our key is not trusted to be ours.
   * @param {string | null} token
   */
  function usable(token) {
    const c = decodeJWT(token);
    return !!c && audienceMatches(c, applicationId) && typeof c.exp === 'number' && c.exp * 1000 - leewayMs > now();
  }

  function stored() {
    return storage.getItem(key);
  }

  /** @param {string} token */
  function expiresAt(token) {
    const c = decodeJWT(token);
    return c && typeof c.exp === 'number' ? new Date(c.exp * 1000) : null;
  }

  /** @param {string} reason */
  function endSession(reason) {
    storage.removeItem(key);
    emit('session-end', { reason });
    return null;
  }

  /**
   * The refresh itself: the browser sends the HttpOnly refresh_token cookie
   * (credentials:'include'); the SPA never sees it.
   * @param {string | null} stale the token the caller found unusable
   * @returns {Promise<string | null>}
   */
  async function refreshOnce(stale) {
    // Another tab may have refreshed while we waited for the lock; its JWT is
    // in the shared localStorage and the cookie it got is the current one.
    const current = stored();
    if (current && current !== stale && usable(current)) return current;
    const res = await doFetch(`${baseURL}/api/jwt/refresh`, {
      method: 'POST',
      credentials: 'include',
      headers: await idpHeaders('/api/jwt/refresh', { 'Content-Type': 'application/json', Accept: 'application/json' }),
      body: '{}',
    });
    // latchkey answers 404 for an unknown/expired/revoked refresh token and
    // for none at all (the browser dropped the expired cookie: workflow step
    // 11); FusionAuth answers 400 for these, older versions 401.
    if (res.status === 404 || res.status === 400 || res.status === 401) {
      return endSession(`refresh answered ${res.status}`);
    }
    if (!res.ok) throw new Error(`latchkey: refresh failed with status ${res.status}`);
    const body = await res.json();
    // The cookie is shared by every app of the identity host; if another app
    // logged in since, the cookie mints *its* tokens. Do not keep those.
    if (!audienceMatches(decodeJWT(body.token), applicationId)) {
      return endSession('refresh token belongs to another application');
    }
    storage.setItem(key, body.token);
    emit('refresh', { token: body.token, expiresAt: expiresAt(body.token) });
    return body.token;
  }

  /**
   * One refresh at a time: across tabs with Web Locks, within a tab with a
   * shared promise (also the fallback when Web Locks is missing).
   * @param {string | null} stale
   */
  function refresh(stale) {
    if (!inflight) {
      const run = () => refreshOnce(stale);
      inflight = (locks ? locks.request(lockName, run) : run()).finally(() => { inflight = null; });
    }
    return inflight;
  }

  /** The pending 242 of the last login, for completeTwoFactor. */
  let twoFactorId = '';

  /**
   * POSTs a login-like call (credentials included so the refresh cookie is
   * set) and ends it as login() does: 200 stores the JWT and emits login;
   * 242 answers {twoFactor: {methods}} and remembers the twoFactorId for
   * completeTwoFactor; anything else throws a LoginError.
   * @param {string} path @param {Record<string, any>} body
   */
  async function loginCall(path, body) {
    const res = await doFetch(`${baseURL}${path}`, {
      method: 'POST',
      credentials: 'include',
      headers: await idpHeaders(path, { 'Content-Type': 'application/json', Accept: 'application/json' }),
      body: JSON.stringify(body),
    });
    if (res.status === 242) {
      const b = await res.json();
      twoFactorId = b.twoFactorId;
      return { twoFactor: { methods: b.methods ?? [] } };
    }
    if (res.status === 404) throw new LoginError(404, 'Invalid login id or password');
    if (res.status === 421) throw new LoginError(421, 'Invalid code');
    if (res.status === 202) throw new LoginError(202, 'Not registered for this application');
    if (res.status !== 200) throw new LoginError(res.status, `Login failed (status ${res.status})`);
    const b = await res.json();
    twoFactorId = '';
    storage.setItem(key, b.token);
    const detail = { user: b.user, token: b.token, expiresAt: expiresAt(b.token) };
    emit('login', detail);
    return detail;
  }

  /**
   * A call to the identity server authenticated by the user's JWT (their
   * own two-factor methods and passkeys). JSON in and out; a non-2xx throws.
   * @param {string} method @param {string} path @param {any} [body]
   */
  async function userCall(method, path, body) {
    const token = await getTokenOrThrow();
    /** @type {Record<string, string>} */
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${token}` };
    if (proof && decodeJWT(token)?.cnf?.jkt) {
      // A DPoP-bound token travels as DPoP with a proof for this call (RFC 9449 §7.1).
      headers.Authorization = `DPoP ${token}`;
      headers.DPoP = await proof(method, `${baseURL}${path}`, token);
    }
    const init = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await doFetch(`${baseURL}${path}`, init);
    if (res.status < 200 || res.status > 299) throw new LoginError(res.status, `${method} ${path} failed (status ${res.status})`);
    const text = await res.text();
    return text ? JSON.parse(text) : {};
  }

  async function getTokenOrThrow() {
    const t = stored();
    const token = t && usable(t) ? t : t ? await refresh(t) : null;
    if (!token) throw new LoginError(401, 'Not logged in');
    return token;
  }

  return {
    applicationId,
    baseURL,

    /**
     * The second step after login() answered {twoFactor}: a code from the
     * authenticator app, an emailed code or a recovery code. With
     * trustComputer the server remembers this browser (fusionauth.trust
     * cookie) and the next login skips the step.
     * @param {string} code @param {{trustComputer?: boolean}} [o]
     */
    async completeTwoFactor(code, o = {}) {
      if (!twoFactorId) throw new LoginError(400, 'No login is waiting for a second factor');
      return loginCall('/api/two-factor/login', { twoFactorId, code, trustComputer: !!o.trustComputer });
    },

    /** Emails a code for the pending second step (the email method). @param {string} methodId */
    async sendTwoFactorCode(methodId) {
      if (!twoFactorId) throw new LoginError(400, 'No login is waiting for a second factor');
      const res = await doFetch(`${baseURL}/api/two-factor/send/${encodeURIComponent(twoFactorId)}`, {
        method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ methodId }),
      });
      if (!res.ok) throw new LoginError(res.status, `Sending the code failed (status ${res.status})`);
    },

    /** A new TOTP secret to show as a QR code: {secret, secretBase32Encoded}. */
    twoFactorSecret() { return userCall('GET', '/api/two-factor/secret'); },

    /**
     * Enables the authenticator method with a code the app shows for the
     * secret; answers the recovery codes (only for the first method: show
     * them once, they are not retrievable).
     * @param {{secret: string, code: string, name?: string}} o
     */
    enableTwoFactor(o) { return userCall('POST', '/api/user/two-factor', { method: 'authenticator', ...o }); },

    /** The user's two-factor methods (no secrets). */
    async twoFactorMethods() { return (await userCall('GET', '/api/user/two-factor')).twoFactor?.methods ?? []; },

    /** Disables a method with its code, or every method with a recovery code. @param {string} methodId @param {string} code */
    disableTwoFactor(methodId, code) { return userCall('DELETE', '/api/user/two-factor', { methodId, code }); },

    /**
     * Registers a passkey for the logged-in user (WebAuthn in this page).
     * @param {{displayName?: string, credentials?: CredentialsContainer}} [o]
     */
    async registerPasskey(o = {}) {
      const creds = o.credentials ?? globalThis.navigator.credentials;
      const start = await userCall('POST', '/api/webauthn/register/start', { displayName: o.displayName ?? 'Passkey', workflow: 'bootstrap' });
      const cred = await creds.create({ publicKey: webAuthnOptions(start.options) });
      return (await userCall('POST', '/api/webauthn/register/complete', { credential: credentialJSON(cred) })).credential;
    },

    /** The user's passkeys. */
    async passkeys() { return (await userCall('GET', '/api/webauthn')).credentials ?? []; },

    /** Deletes one of the user's passkeys. @param {string} id */
    deletePasskey(id) { return userCall('DELETE', `/api/webauthn/${encodeURIComponent(id)}`); },

    /**
     * Logs in with a passkey, without a user name: the authenticator offers
     * the passkeys it holds for this site. Ends like login().
     * @param {{credentials?: CredentialsContainer}} [o]
     */
    async loginWithPasskey(o = {}) {
      const creds = o.credentials ?? globalThis.navigator.credentials;
      const res = await doFetch(`${baseURL}/api/webauthn/start`, {
        method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ applicationId, workflow: 'bootstrap' }),
      });
      if (!res.ok) throw new LoginError(res.status, `Passkey login failed (status ${res.status})`);
      const { options } = await res.json();
      const cred = await creds.get({ publicKey: webAuthnOptions(options) });
      return loginCall('/api/webauthn/login', { credential: credentialJSON(cred), applicationId });
    },

    /** Mails a passwordless code; answers the same whether or not the account exists. @param {string} loginId */
    async startPasswordless(loginId) {
      const res = await doFetch(`${baseURL}/api/passwordless/start`, {
        method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ applicationId, loginId }),
      });
      if (!res.ok) throw new LoginError(res.status, `Passwordless start failed (status ${res.status})`);
    },

    /** Logs in with the code from the passwordless email. Ends like login(). @param {string} code */
    completePasswordless(code) { return loginCall('/api/passwordless/login', { code }); },

    /**
     * POST /api/login with {loginId, password, applicationId}; the response
     * sets the refresh cookie on the identity host and the JWT moves to
     * storage (workflow steps 4-6). A user with a second factor gets
     * {twoFactor: {methods}} instead: finish with completeTwoFactor(code).
     * @param {string} loginId @param {string} password
     */
    async login(loginId, password) {
      return loginCall('/api/login', { loginId, password, applicationId });
    },

    /** POST /api/logout: revokes the cookie's refresh token, clears the JWT. */
    async logout() {
      storage.removeItem(key);
      try {
        await doFetch(`${baseURL}/api/logout`, {
          method: 'POST',
          credentials: 'include',
          headers: await idpHeaders('/api/logout', { 'Content-Type': 'application/json' }),
          body: '{}',
        });
      } finally {
        emit('logout', {});
      }
    },

    /**
     * A usable JWT, refreshing when the stored one is expired or about to be.
     * Null when there is no session (never logged in, or refresh said 404).
     * @returns {Promise<string | null>}
     */
    async getToken() {
      const token = stored();
      if (token && usable(token)) return token;
      if (!token) return null; // workflow step 2: nothing stored → log in
      return refresh(token);
    },

    /** Decoded claims of the stored JWT, for display. */
    claims() {
      return decodeJWT(stored());
    },

    /**
     * fetch with `Authorization: Bearer`, or, for a DPoP-bound token (cnf.jkt),
     * `Authorization: DPoP` plus a proof for this method and URL (RFC 9449
     * §7.1); on 401 refreshes once and retries once (the JWT may have
     * expired in flight, or keys rotated).
     * @param {RequestInfo | URL} url @param {RequestInit} [init]
     */
    async fetch(url, init = {}) {
      const call = async (/** @type {string | null} */ t) => {
        const headers = new Headers(init.headers);
        if (t && proof && decodeJWT(t)?.cnf?.jkt) {
          const target = new URL(typeof url === 'object' && 'url' in url ? url.url : String(url), globalThis.location?.href);
          const method = init.method ?? (typeof url === 'object' && 'method' in url ? url.method : 'GET');
          headers.set('Authorization', `DPoP ${t}`);
          headers.set('DPoP', await proof(method, target.href, t));
        } else if (t) {
          headers.set('Authorization', `Bearer ${t}`);
        }
        return doFetch(url, { ...init, headers });
      };
      const token = await this.getToken();
      const res = await call(token);
      if (res.status !== 401 || !token) return res;
      const fresh = await refresh(token);
      return fresh ? call(fresh) : res;
    },

    /**
     * Subscribes to an event; returns the unsubscribe function.
     * @param {EventName} name @param {(detail: any) => void} fn
     */
    on(name, fn) {
      if (!listeners.has(name)) listeners.set(name, new Set());
      listeners.get(name)?.add(fn);
      return () => listeners.get(name)?.delete(fn);
    },
  };
}
