/**
 * The token the client authenticates with: asked of the application's getToken(), kept while it is
 * valid, and asked again shortly before its `exp` or after the server refused it. The token is never
 * logged or put in an error message.
 */
/* global atob -- the standard web API, in browsers, service workers and Node 20+ */

/**
 * When a JWT expires, from its payload's `exp` (no verification: the server verifies).
 *
 * @param {string} token
 * @returns {number | undefined} epoch milliseconds, or undefined when the token has no readable `exp`
 */
export function tokenExpiresAt(token) {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const claims = /** @type {unknown} */ (JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='))));
    const exp = typeof claims === 'object' && claims !== null && 'exp' in claims ? claims.exp : undefined;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export class TokenSource {
  /**
   * @param {() => string | Promise<string>} getToken
   * @param {{ refreshBeforeExpiryMs: number, now: () => number }} options
   */
  constructor(getToken, options) {
    this.getToken = getToken;
    this.options = options;
    /** @type {string | undefined} */
    this.token = undefined;
    /** @type {number | undefined} */
    this.expiresAt = undefined;
    /** @type {Promise<string> | undefined} */
    this.pending = undefined;
  }

  /**
   * A token to use now: the one held while it is more than `refreshBeforeExpiryMs` from expiring,
   * else a fresh one from getToken() (one call at a time, shared by concurrent callers).
   *
   * @returns {Promise<string>}
   */
  current() {
    const fresh =
      this.token !== undefined &&
      (this.expiresAt === undefined || this.expiresAt - this.options.refreshBeforeExpiryMs > this.options.now());
    if (fresh) return Promise.resolve(/** @type {string} */ (this.token));
    this.pending ??= Promise.resolve()
      .then(() => this.getToken())
      .then(
        (token) => {
          this.pending = undefined;
          if (typeof token !== 'string' || token.length === 0)
            throw new Error('getToken() did not return a token (expected a non-empty string)');
          this.token = token;
          this.expiresAt = tokenExpiresAt(token);
          return token;
        },
        (error) => {
          this.pending = undefined;
          throw new Error(`getToken() failed: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
    return this.pending;
  }

  /** The server refused the token (or may have): the next use asks getToken() again. */
  refused() {
    this.token = undefined;
    this.expiresAt = undefined;
  }
}
