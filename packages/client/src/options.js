/**
 * The client's options, checked once when it is created: a wrong one throws a TypeError naming it.
 */
/* global URL -- the standard web API, in browsers, service workers and Node 20+ */
import { DEFAULT_HEARTBEAT_SECONDS, NEGOTIABLE_HEARTBEAT } from './protocol.js';
import { hostNetwork } from './network.js';
import { hostTimers } from './timers.js';

/** @typedef {import('../index.js').PresenceClientOptions} PresenceClientOptions */

/**
 * @typedef {object} Settings
 * @property {string} webSocketUrl
 * @property {string} restUrl
 * @property {() => string | Promise<string>} getToken
 * @property {import('../index.js').WebSocketConstructor} WebSocket
 * @property {import('../index.js').FetchLike} fetch
 * @property {'query' | 'protocol'} tokenIn
 * @property {number} heartbeatMs 0 = no heartbeat
 * @property {number | undefined} negotiatedHeartbeatSeconds put in the connect URL when set
 * @property {number} keepAliveMs 0 = no keep-alive
 * @property {boolean} levels
 * @property {boolean} visible
 * @property {number} maxConnectionMs
 * @property {[number, number]} renewBetween
 * @property {{ baseMs: number, capMs: number }} backoff
 * @property {number} stableAfterMs
 * @property {number} connectTimeoutMs
 * @property {number} requestTimeoutMs
 * @property {number} refreshBeforeExpiryMs
 * @property {import('../index.js').NetworkStatus} network
 * @property {{ setTimeout: (callback: () => void, ms: number) => unknown, clearTimeout: (handle: unknown) => void }} timers
 * @property {() => number} now
 * @property {() => number} random
 */

/**
 * @param {string} name
 * @param {unknown} value
 * @param {number} fallback
 * @param {{ min?: number, max?: number, integer?: boolean }} [bounds]
 */
function number(name, value, fallback, bounds = {}) {
  if (value === undefined) return fallback;
  const { min = 0, max = Number.MAX_SAFE_INTEGER, integer = false } = bounds;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const got = typeof value === 'number' ? value : value === null ? 'null' : typeof value;
    throw new TypeError(
      `createPresenceClient: ${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${got}`,
    );
  }
  return value;
}

/**
 * @param {string} name
 * @param {unknown} value
 * @param {string[]} protocols
 */
function url(name, value, protocols) {
  let parsed;
  try {
    parsed = new URL(String(value));
  } catch {
    parsed = undefined;
  }
  if (typeof value !== 'string' || !parsed || !protocols.includes(parsed.protocol)) {
    throw new TypeError(
      `createPresenceClient: ${name} must be a ${protocols.join(' or ')}// URL, got ${typeof value === 'string' ? value.split('?')[0] : typeof value}`,
    );
  }
  return value;
}

/**
 * @param {PresenceClientOptions} options
 * @returns {Settings}
 */
export function settingsOf(options) {
  if (typeof options !== 'object' || options === null) throw new TypeError('createPresenceClient: pass an options object');
  if (typeof options.getToken !== 'function')
    throw new TypeError('createPresenceClient: getToken must be a function returning the token (or a promise of it)');
  const WebSocketClass =
    options.WebSocket ??
    /** @type {{ WebSocket?: import('../index.js').WebSocketConstructor }} */ (/** @type {unknown} */ (globalThis)).WebSocket;
  if (typeof WebSocketClass !== 'function') {
    throw new TypeError(
      'createPresenceClient: this runtime has no WebSocket; pass one as the WebSocket option (in Node 20: the ws package)',
    );
  }
  const fetchFunction =
    options.fetch ??
    (typeof globalThis.fetch === 'function'
      ? (/** @type {string} */ url, /** @type {RequestInit} */ init) => globalThis.fetch(url, init)
      : undefined);
  if (typeof fetchFunction !== 'function')
    throw new TypeError('createPresenceClient: this runtime has no fetch; pass one as the fetch option');
  const tokenIn = options.tokenIn ?? 'query';
  if (tokenIn !== 'query' && tokenIn !== 'protocol')
    throw new TypeError(`createPresenceClient: tokenIn must be "query" or "protocol", got ${String(tokenIn)}`);

  const heartbeatSeconds = number('heartbeatSeconds', options.heartbeatSeconds, DEFAULT_HEARTBEAT_SECONDS, {
    max: NEGOTIABLE_HEARTBEAT.max,
  });
  if (options.negotiateHeartbeat && (!Number.isInteger(heartbeatSeconds) || heartbeatSeconds < NEGOTIABLE_HEARTBEAT.min)) {
    throw new TypeError(
      `createPresenceClient: negotiateHeartbeat needs heartbeatSeconds to be a whole number from ${NEGOTIABLE_HEARTBEAT.min} to ${NEGOTIABLE_HEARTBEAT.max}, got ${heartbeatSeconds}`,
    );
  }
  const renewBetween = options.renewBetween ?? [0.85, 0.95];
  if (
    !Array.isArray(renewBetween) ||
    renewBetween.length !== 2 ||
    !(renewBetween[0] > 0 && renewBetween[0] <= renewBetween[1] && renewBetween[1] < 1)
  ) {
    throw new TypeError('createPresenceClient: renewBetween must be two fractions [from, to] with 0 < from <= to < 1');
  }
  const backoffBaseMs = number('backoffBaseMs', options.backoffBaseMs, 1000, { min: 1 });
  return {
    webSocketUrl: url('webSocketUrl', options.webSocketUrl, ['ws:', 'wss:']),
    restUrl: url('restUrl', options.restUrl, ['http:', 'https:']),
    getToken: options.getToken,
    WebSocket: WebSocketClass,
    fetch: fetchFunction,
    tokenIn,
    heartbeatMs: heartbeatSeconds * 1000,
    negotiatedHeartbeatSeconds: options.negotiateHeartbeat ? heartbeatSeconds : undefined,
    keepAliveMs: number('keepAliveSeconds', options.keepAliveSeconds, 0) * 1000,
    levels: options.levels ?? true,
    visible: options.visible ?? true,
    maxConnectionMs: number('maxConnectionSeconds', options.maxConnectionSeconds, 7200, { min: 1, max: 7200 }) * 1000,
    renewBetween: [renewBetween[0], renewBetween[1]],
    backoff: { baseMs: backoffBaseMs, capMs: number('backoffCapMs', options.backoffCapMs, 30_000, { min: backoffBaseMs }) },
    stableAfterMs: number('stableAfterSeconds', options.stableAfterSeconds, 30) * 1000,
    connectTimeoutMs: number('connectTimeoutMs', options.connectTimeoutMs, 10_000, { min: 1 }),
    requestTimeoutMs: number('requestTimeoutMs', options.requestTimeoutMs, 10_000, { min: 1 }),
    refreshBeforeExpiryMs: number('refreshTokenBeforeExpirySeconds', options.refreshTokenBeforeExpirySeconds, 60) * 1000,
    network: options.network ?? hostNetwork(),
    timers: options.timers ?? hostTimers,
    now: options.now ?? (() => Date.now()),
    random: options.random ?? Math.random,
  };
}
