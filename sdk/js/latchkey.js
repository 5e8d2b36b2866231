// latchkey browser SDK: the SPA side of "native login, JWT in localStorage,
// refresh token in an HttpOnly cookie on the identity server's host".
// An ES module with no dependencies and no build step; latchkey serves it at
// GET /sdk/latchkey.js so a page on another origin can `import` it.
//
// Wire format is FusionAuth's (POST /api/login, POST /api/jwt/refresh,
// POST /api/logout, the account API: forgot and change password, verify
// email, and the two-factor, WebAuthn and passwordless APIs), so the same
// code works against FusionAuth itself; keyless sign-up (signUp), keyless
// passwordless start and the user's own two-factor list and passkey
// management by JWT are latchkey's.

/**
 * @typedef {object} StorageLike The subset of the Web Storage API the SDK uses.
 * @property {(key: string) => (string | null)} getItem
 * @property {(key: string, value: string) => void} setItem
 * @property {(key: string) => void} removeItem
 */

/**
 * @typedef {object} LocksLike The subset of the Web Locks API the SDK uses.
 * @property {<T>(name: string, cb: () => Promise<T>) => Promise<T>} request
 * @property {() => Promise<{ held?: { name?: string }[] }>} [query] when
 *   present, a tab that refreshed leaves a marker lock the other tabs look for
 *   (taken with request(name, { ifAvailable: true }, cb))
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

/**
 * Thrown by login() (and completeTwoFactor, loginWithPasskey,
 * completePasswordless, and changePassword's one-time-password login) for
 * an answer that is neither 200 nor 242. `status` is the HTTP status: 202
 * not registered for this application, 404 unknown login id or wrong
 * password (or an expired twoFactorId, code or passkey challenge), 409
 * locked, 421 wrong second-factor code, 429 with `retryAfter` (seconds).
 * `details` is the answer's body where it says what to do next: 203
 * `{changePasswordId, changePasswordReason}` (the password must be changed
 * first: pass the id to changePassword), 212 `{user, emailVerificationId?}`
 * (the email address must be verified first).
 */
export class LoginError extends Error {
  /**
   * @param {number} status @param {string} message @param {Record<string, any>} [details]
   * @param {number} [retryAfter]
   */
  constructor(status, message, details = {}, retryAfter = undefined) {
    super(message);
    this.name = 'LoginError';
    this.status = status;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

/**
 * Thrown by the account calls (signUp, forgotPassword, changePassword,
 * verifyEmail, ...) and the user's own two-factor, passkey and
 * passwordless calls for a non-2xx answer: FusionAuth's error body in
 * `body`, e.g. `fieldErrors['user.password'][0].code ===
 * '[tooShort]user.password'`; `retryAfter` (seconds) on 429. A call that
 * needs the user's JWT without a session is a 401 that was never sent.
 */
export class APIError extends Error {
  /** @param {number} status @param {any} body @param {number} [retryAfter] @param {string} [message] */
  constructor(status, body, retryAfter, message) {
    const fieldErrors = body?.fieldErrors ?? {};
    const generalErrors = body?.generalErrors ?? [];
    const first = Object.values(fieldErrors).flat()[0] ?? generalErrors[0];
    super(first?.message ?? message ?? `latchkey: request failed with status ${status}`);
    this.name = 'APIError';
    this.status = status;
    this.body = body;
    /** @type {Record<string, {code: string, message: string}[]>} */
    this.fieldErrors = fieldErrors;
    /** @type {{code: string, message: string}[]} */
    this.generalErrors = generalErrors;
    this.retryAfter = retryAfter;
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
    let current = stored();
    if (current && current !== stale && usable(current)) return current;
    // localStorage reaches other tabs asynchronously (each renderer keeps its
    // own copy), so right after another tab's refresh this tab may still read
    // the stale JWT. The lock manager is one for the whole browser: a tab
    // that refreshed from this very JWT holds a marker lock, and then its new
    // JWT is on its way here; wait for it rather than refresh a second time
    // with the cookie that tab already rotated.
    if (stale && await refreshedElsewhere(stale)) {
      current = await storedChange(stale, 5000);
      if (current && usable(current)) return current;
    }
    // The stale JWT goes along as FusionAuth's `token` member: should the
    // browser send more than one refresh cookie (one planted by a sibling
    // subdomain: cookie tossing), latchkey refreshes the session this JWT
    // names (its sid) and never another user's.
    const res = await doFetch(`${baseURL}/api/jwt/refresh`, {
      method: 'POST',
      credentials: 'include',
      headers: await idpHeaders('/api/jwt/refresh', { 'Content-Type': 'application/json', Accept: 'application/json' }),
      body: stale ? JSON.stringify({ token: stale }) : '{}',
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
    await markRefreshed(stale);
    emit('refresh', { token: body.token, expiresAt: expiresAt(body.token) });
    return body.token;
  }

  /** The marker lock's name for a refresh from JWT t (its signature's tail). @param {string} t */
  function markerName(t) {
    return `${lockName}:from:${t.slice(-24)}`;
  }

  /**
   * Holds the marker lock for a refresh from stale for ten seconds; resolves
   * once it is held, before this tab lets go of the refresh lock.
   * @param {string | null} stale
   */
  function markRefreshed(stale) {
    if (!stale || !locks?.query) return Promise.resolve();
    const request = /** @type {any} */ (locks.request);
    return new Promise((held) => {
      // ifAvailable: a marker already held says the same; never wait for it.
      // The marker only spares other tabs a refresh: a lock manager that
      // refuses it (or throws) costs this refresh nothing.
      try {
        Promise.resolve(request.call(locks, markerName(stale), { ifAvailable: true }, (/** @type {unknown} */ lock) => {
          held(undefined);
          // unref: where timers have it (Node), the marker keeps nothing alive.
          return lock ? new Promise((r) => { /** @type {any} */ (setTimeout(r, 10_000))?.unref?.(); }) : undefined;
        })).catch(() => held(undefined));
      } catch {
        held(undefined);
      }
    });
  }

  /** Whether another tab holds the marker for a refresh from stale. @param {string} stale */
  async function refreshedElsewhere(stale) {
    if (!locks?.query) return false;
    try {
      const { held = [] } = await locks.query();
      return held.some((l) => l.name === markerName(stale));
    } catch {
      return false;
    }
  }

  /**
   * What localStorage holds once it no longer holds stale, or after ms.
   * @param {string} stale @param {number} ms
   */
  async function storedChange(stale, ms) {
    for (const until = Date.now() + ms; stored() === stale && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return stored();
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

  /**
   * A usable JWT, refreshing when the stored one is expired or about to be;
   * null when there is no session (never logged in, or refresh said 404).
   * @returns {Promise<string | null>}
   */
  async function sessionToken() {
    const token = stored();
    if (token && usable(token)) return token;
    if (!token) return null; // workflow step 2: nothing stored → log in
    return refresh(token);
  }

  /**
   * The Authorization header for token t: `Bearer`, or, for a DPoP-bound
   * token (cnf.jkt), `DPoP` plus a proof for this method and URL, bound to
   * the token by ath (RFC 9449 §7.1).
   * @param {string} t @param {string} method @param {() => string} url absolute, asked only for a proof
   * @returns {Promise<Record<string, string>>}
   */
  async function authHeaders(t, method, url) {
    if (proof && decodeJWT(t)?.cnf?.jkt) return { Authorization: `DPoP ${t}`, DPoP: await proof(method, url(), t) };
    return { Authorization: `Bearer ${t}` };
  }

  /**
   * Sends a request with the session's JWT (null without a session); on 401
   * refreshes once and sends once more (the JWT may have expired in flight,
   * or keys rotated).
   * @param {(token: string | null) => Promise<Response>} send
   */
  async function withToken(send) {
    const token = await sessionToken();
    const res = await send(token);
    if (res.status !== 401 || !token) return res;
    const fresh = await refresh(token);
    return fresh ? send(fresh) : res;
  }

  /**
   * The one JSON call to the identity server's API, for the account calls
   * and the user's own two-factor and passkey calls: the body as JSON,
   * credentials included (the refresh and trust cookies go along), and a
   * non-2xx answer thrown as APIError (FusionAuth's error body,
   * `retryAfter` from Retry-After). With `auth` the user's JWT goes along
   * (withToken: refreshed when needed, DPoP-aware), and without a session
   * the call is not sent: APIError 401. Resolves with the parsed body, or
   * null when there is none.
   * @param {string} method @param {string} path @param {any} [body]
   * @param {{auth?: boolean}} [o]
   */
  async function call(method, path, body, { auth = false } = {}) {
    const url = `${baseURL}${path}`;
    /** @type {Record<string, string>} */
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const send = (/** @type {Record<string, string>} */ h) => doFetch(url, {
      method, credentials: 'include', headers: h, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const res = auth
      ? await withToken(async (t) => {
        if (!t) throw new APIError(401, null, undefined, 'Not logged in');
        return send({ ...headers, ...(await authHeaders(t, method, () => url)) });
      })
      : await send(headers);
    const text = await res.text();
    if (res.ok) return text ? JSON.parse(text) : null;
    let parsed = null;
    try { parsed = text ? JSON.parse(text) : null; } catch { /* not FusionAuth's JSON (a proxy's page): status only */ }
    throw new APIError(res.status, parsed, Number(res.headers.get('retry-after')) || undefined);
  }

  /** The pending 242 of the last login, for completeTwoFactor and sendTwoFactorCode. */
  let twoFactorId = '';

  /** What a 404 means on each login path. */
  const notFound = {
    '/api/two-factor/login': 'This login has expired; log in again',
    '/api/passwordless/login': 'This code is unknown, used or expired',
    '/api/webauthn/login': 'This passkey was not accepted',
  };

  /**
   * The one login answer, for every call that can end in a session:
   * login (with a password or a change-password's oneTimePassword),
   * completeTwoFactor, loginWithPasskey and completePasswordless. POSTs
   * with credentials included (the answer sets the refresh cookie, and a
   * DPoP proof when on). 200: the JWT to storage, `login` emitted, resolves
   * {user, token, expiresAt, state}. 242: resolves {twoFactor: {methods}}
   * and remembers the twoFactorId for completeTwoFactor. Anything else is a
   * LoginError with the status: 202 not registered, 203 change the
   * password first and 212 verify the address first (their body in
   * `details`), 404, 409 locked, 421 wrong code, 429 with `retryAfter`.
   * @param {string} path @param {Record<string, any>} body
   */
  async function loginCall(path, body) {
    const res = await doFetch(`${baseURL}${path}`, {
      method: 'POST',
      credentials: 'include',
      headers: await idpHeaders(path, { 'Content-Type': 'application/json', Accept: 'application/json' }),
      body: JSON.stringify(body),
    });
    if (res.status === 200) {
      const answer = await res.json();
      twoFactorId = '';
      storage.setItem(key, answer.token);
      const detail = { user: answer.user, token: answer.token, expiresAt: expiresAt(answer.token), state: answer.state };
      emit('login', detail);
      return detail;
    }
    const text = await res.text();
    /** @type {Record<string, any>} */
    let answer = {};
    try { answer = (text && JSON.parse(text)) || {}; } catch { /* no JSON body: the status says it */ }
    switch (res.status) {
      case 242:
        twoFactorId = answer.twoFactorId;
        return { twoFactor: { methods: answer.methods ?? [] } };
      case 202: throw new LoginError(202, 'Not registered for this application');
      case 203: throw new LoginError(203, 'The password must be changed before logging in', answer);
      case 212: throw new LoginError(212, 'The email address must be verified before logging in', answer);
      case 404: throw new LoginError(404, notFound[path] ?? 'Invalid login id or password');
      case 409: throw new LoginError(409, 'This account is locked; try again later', answer);
      case 421: throw new LoginError(421, 'Invalid code');
      case 429: throw new LoginError(429, 'Too many attempts; try again later', answer, Number(res.headers.get('retry-after')) || undefined);
      default: throw new LoginError(res.status, `Login failed (status ${res.status})`, answer);
    }
  }

  /** The twoFactorId of the login waiting for its second step, or a LoginError. */
  function pendingTwoFactor() {
    if (!twoFactorId) throw new LoginError(400, 'No login is waiting for a second factor');
    return twoFactorId;
  }

  return {
    applicationId,
    baseURL,

    /**
     * Self-service sign-up (POST /api/user/registration without an API key;
     * the application must have registrationConfiguration.enabled). `user`
     * holds email (or username), password and profile fields; anything
     * else is refused by the server. Resolves with {user, registration};
     * no session: log in next (a gated tenant first wants the address
     * verified, see verifyEmail).
     * @param {Record<string, any>} user
     */
    async signUp(user) {
      return call('POST', '/api/user/registration', { user, registration: { applicationId } });
    },

    /**
     * Starts a password reset: the server mails a link to
     * /password/change/{id} on this application's origin. Resolves whether
     * or not the login id names an account (the answer never tells).
     * @param {string} loginId @param {Record<string, any>} [state] returned after the change
     */
    async forgotPassword(loginId, state) {
      await call('POST', '/api/user/forgot-password', { loginId, applicationId, ...(state ? { state } : {}) });
    },

    /**
     * Changes the password: with `changePasswordId` (from the reset link or
     * a 203 login), or as the logged-in user with `currentPassword`. Every
     * session of the user ends; this one continues through the answer's
     * one-time password, exchanged here for a new JWT and refresh cookie.
     * Resolves like login(): the login detail ({user, token, expiresAt,
     * state}), or {twoFactor} should the server ask for a second factor.
     * A user with a second factor also needs `trustToken` (and the
     * `trustChallenge` it was bound to, if any): the one a two-factor login
     * or step-up answered; without it the call throws an APIError 400
     * `[TrustTokenRequired]`.
     * @param {{password: string, changePasswordId?: string, currentPassword?: string, trustToken?: string, trustChallenge?: string}} opts
     */
    async changePassword({ password, changePasswordId, currentPassword, trustToken, trustChallenge }) {
      const trust = { ...(trustToken ? { trustToken } : {}), ...(trustChallenge ? { trustChallenge } : {}) };
      const res = changePasswordId
        ? await call('POST', '/api/user/change-password', { changePasswordId, password, applicationId, ...trust })
        : await call('POST', '/api/user/change-password', { currentPassword, password, applicationId, ...trust }, { auth: true });
      if (!res?.oneTimePassword) return null;
      return loginCall('/api/login', { oneTimePassword: res.oneTimePassword, applicationId });
    },

    /**
     * Whether a changePasswordId can still be used (GET, consumes nothing):
     * true, or false for an unknown, used or expired id.
     * @param {string} changePasswordId
     */
    async checkChangePasswordId(changePasswordId) {
      try {
        await call('GET', `/api/user/change-password/${encodeURIComponent(changePasswordId)}`);
        return true;
      } catch (e) {
        if (e instanceof APIError && e.status === 404) return false;
        throw e;
      }
    },

    /**
     * Verifies an email address with the id from the verification link (and
     * the code from the mail with the FormField strategy).
     * @param {string} verificationId @param {string} [oneTimeCode]
     */
    async verifyEmail(verificationId, oneTimeCode) {
      await call('POST', '/api/user/verify-email', { verificationId, ...(oneTimeCode ? { oneTimeCode } : {}) });
    },

    /**
     * Asks for a new verification mail for `email` (the answer never tells
     * whether the address has an account).
     * @param {string} email
     */
    async resendVerification(email) {
      const q = new URLSearchParams({ email, applicationId });
      await call('PUT', `/api/user/verify-email?${q}`);
    },

    /** The tenant's password rules, for a sign-up form's hints. */
    async passwordRules() {
      return (await call('GET', '/api/tenant/password-validation-rules'))?.passwordValidationRules ?? null;
    },

    /**
     * The second step after login() answered {twoFactor}: a code from the
     * authenticator app, an emailed code or a recovery code. With
     * trustComputer the server remembers this browser (fusionauth.trust
     * cookie) and the next login skips the step.
     * @param {string} code @param {{trustComputer?: boolean}} [o]
     */
    async completeTwoFactor(code, o = {}) {
      return loginCall('/api/two-factor/login', { twoFactorId: pendingTwoFactor(), code, trustComputer: !!o.trustComputer });
    },

    /** Emails a code for the pending second step (the email method). @param {string} methodId */
    async sendTwoFactorCode(methodId) {
      await call('POST', `/api/two-factor/send/${encodeURIComponent(pendingTwoFactor())}`, { methodId });
    },

    /** A new TOTP secret to show as a QR code: {secret, secretBase32Encoded, otpauthURI, qrCode}. */
    twoFactorSecret() { return call('GET', '/api/two-factor/secret', undefined, { auth: true }); },

    /**
     * Enables the authenticator method with a code the app shows for the
     * secret; answers the recovery codes (only for the first method: show
     * them once, they are not retrievable).
     * @param {{secret: string, code: string, name?: string}} o
     */
    enableTwoFactor(o) { return call('POST', '/api/user/two-factor', { method: 'authenticator', ...o }, { auth: true }); },

    /** The user's two-factor methods (no secrets). */
    async twoFactorMethods() { return (await call('GET', '/api/user/two-factor', undefined, { auth: true }))?.twoFactor?.methods ?? []; },

    /** Disables a method with its code, or every method with a recovery code. @param {string} methodId @param {string} code */
    disableTwoFactor(methodId, code) { return call('DELETE', '/api/user/two-factor', { methodId, code }, { auth: true }); },

    /**
     * Registers a passkey for the logged-in user (WebAuthn in this page).
     * @param {{displayName?: string, credentials?: CredentialsContainer}} [o]
     */
    async registerPasskey(o = {}) {
      const creds = o.credentials ?? globalThis.navigator.credentials;
      const start = await call('POST', '/api/webauthn/register/start', { displayName: o.displayName ?? 'Passkey', workflow: 'bootstrap' }, { auth: true });
      const cred = await creds.create({ publicKey: webAuthnOptions(start.options) });
      return (await call('POST', '/api/webauthn/register/complete', { credential: credentialJSON(cred) }, { auth: true })).credential;
    },

    /** The user's passkeys. */
    async passkeys() { return (await call('GET', '/api/webauthn', undefined, { auth: true }))?.credentials ?? []; },

    /** Deletes one of the user's passkeys. @param {string} id */
    deletePasskey(id) { return call('DELETE', `/api/webauthn/${encodeURIComponent(id)}`, undefined, { auth: true }); },

    /**
     * Logs in with a passkey, without a user name: the authenticator offers
     * the passkeys it holds for this site. Ends like login().
     * @param {{credentials?: CredentialsContainer}} [o]
     */
    async loginWithPasskey(o = {}) {
      const creds = o.credentials ?? globalThis.navigator.credentials;
      const { options } = await call('POST', '/api/webauthn/start', { applicationId, workflow: 'bootstrap' });
      const cred = await creds.get({ publicKey: webAuthnOptions(options) });
      return loginCall('/api/webauthn/login', { credential: credentialJSON(cred), applicationId });
    },

    /** Mails a passwordless code; answers the same whether or not the account exists. @param {string} loginId */
    async startPasswordless(loginId) {
      await call('POST', '/api/passwordless/start', { applicationId, loginId });
    },

    /** Logs in with the code from the passwordless email. Ends like login(). @param {string} code */
    completePasswordless(code) { return loginCall('/api/passwordless/login', { code }); },

    /**
     * POST /api/login with {loginId, password, applicationId}; the response
     * sets the refresh cookie on the identity host and the JWT moves to
     * storage (workflow steps 4-6). A user with a second factor gets
     * {twoFactor: {methods}} instead: finish with completeTwoFactor(code).
     * 203 and 212 are LoginErrors saying what comes first (see LoginError).
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
    getToken() {
      return sessionToken();
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
      const method = init.method ?? (typeof url === 'object' && 'method' in url ? url.method : 'GET');
      const target = () => new URL(typeof url === 'object' && 'url' in url ? url.url : String(url), globalThis.location?.href).href;
      return withToken(async (t) => {
        const headers = new Headers(init.headers);
        if (t) for (const [k, v] of Object.entries(await authHeaders(t, method, target))) headers.set(k, v);
        return doFetch(url, { ...init, headers });
      });
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
