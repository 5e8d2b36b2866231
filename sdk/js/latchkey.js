// latchkey browser SDK: the SPA side of "native login, JWT in localStorage,
// refresh token in an HttpOnly cookie on the identity server's host".
// An ES module with no dependencies and no build step; latchkey serves it at
// GET /sdk/latchkey.js so a page on another origin can `import` it.
//
// Wire format is FusionAuth's (POST /api/login, POST /api/jwt/refresh,
// POST /api/logout, and the account API: forgot and change password, verify
// email), so the same code works against FusionAuth itself; keyless sign-up
// (signUp) is latchkey's.

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

/**
 * Thrown by login() for any non-200 answer. `status` is the HTTP status;
 * `details` is the answer's body where it says what to do next: 203
 * `{changePasswordId, changePasswordReason}` (the password must be changed
 * first: pass the id to changePassword), 212 `{user, emailVerificationId?}`
 * (the email address must be verified first).
 */
export class LoginError extends Error {
  /** @param {number} status @param {string} message @param {Record<string, any>} [details] */
  constructor(status, message, details = {}) {
    super(message);
    this.name = 'LoginError';
    this.status = status;
    this.details = details;
  }
}

/**
 * Thrown by the account calls (signUp, forgotPassword, changePassword,
 * verifyEmail, ...) for a non-2xx answer: FusionAuth's error body, e.g.
 * `fieldErrors['user.password'][0].code === '[tooShort]user.password'`;
 * `retryAfter` (seconds) on 429.
 */
export class APIError extends Error {
  /** @param {number} status @param {any} body @param {number} [retryAfter] */
  constructor(status, body, retryAfter) {
    const fieldErrors = body?.fieldErrors ?? {};
    const generalErrors = body?.generalErrors ?? [];
    const first = Object.values(fieldErrors).flat()[0] ?? generalErrors[0];
    super(first?.message ?? `latchkey: request failed with status ${status}`);
    this.name = 'APIError';
    this.status = status;
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

  /**
   * POST /api/login and, on 200, the JWT to storage. Any other answer is a
   * LoginError (203 and 212 carry what to do next in `details`).
   * @param {Record<string, any>} body
   */
  async function postLogin(body) {
    const res = await doFetch(`${baseURL}/api/login`, {
      method: 'POST',
      credentials: 'include',
      headers: await idpHeaders('/api/login', { 'Content-Type': 'application/json', Accept: 'application/json' }),
      body: JSON.stringify(body),
    });
    const json = async () => (res.headers.get('content-type')?.includes('json') ? res.json() : {});
    if (res.status === 404) throw new LoginError(404, 'Invalid login id or password');
    if (res.status === 202) throw new LoginError(202, 'Not registered for this application');
    if (res.status === 203) throw new LoginError(203, 'The password must be changed before logging in', await json());
    if (res.status === 212) throw new LoginError(212, 'The email address must be verified before logging in', await json());
    if (res.status === 429) throw new LoginError(429, 'Too many attempts; try again later');
    if (res.status !== 200) throw new LoginError(res.status, `Login failed (status ${res.status})`);
    const answer = await res.json();
    storage.setItem(key, answer.token);
    const detail = { user: answer.user, token: answer.token, expiresAt: expiresAt(answer.token), state: answer.state };
    emit('login', detail);
    return detail;
  }

  /**
   * A call of the account API: JSON in and out, FusionAuth's errors as
   * APIError. Resolves with the parsed body, or null when there is none.
   * @param {string} method @param {string} path @param {any} [body] @param {Record<string, string>} [headers]
   */
  async function call(method, path, body, headers = {}) {
    const init = { method, credentials: /** @type {RequestCredentials} */ ('include'), headers: { Accept: 'application/json', ...headers } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await doFetch(`${baseURL}${path}`, init);
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : null;
    if (!res.ok) {
      const retry = Number(res.headers.get('retry-after')) || undefined;
      throw new APIError(res.status, parsed, retry);
    }
    return parsed;
  }

  /** Authorization (and DPoP proof) for the stored JWT on an identity-server call. */
  async function bearer(/** @type {string} */ method, /** @type {string} */ path) {
    const t = stored();
    if (!t) return {};
    if (proof && decodeJWT(t)?.cnf?.jkt) return { Authorization: `DPoP ${t}`, DPoP: await proof(method, `${baseURL}${path}`, t) };
    return { Authorization: `Bearer ${t}` };
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
     * Resolves with the login detail ({user, token, expiresAt, state}).
     * @param {{password: string, changePasswordId?: string, currentPassword?: string}} opts
     */
    async changePassword({ password, changePasswordId, currentPassword }) {
      const path = '/api/user/change-password';
      const headers = changePasswordId ? {} : await bearer('POST', path);
      const body = changePasswordId ? { changePasswordId, password, applicationId } : { currentPassword, password, applicationId };
      const res = await call('POST', path, body, headers);
      if (!res?.oneTimePassword) return null;
      return postLogin({ oneTimePassword: res.oneTimePassword, applicationId });
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
     * POST /api/login with {loginId, password, applicationId}; the response
     * sets the refresh cookie on the identity host and the JWT moves to
     * storage (workflow steps 4-6).
     * @param {string} loginId @param {string} password
     */
    async login(loginId, password) {
      return postLogin({ loginId, password, applicationId });
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
