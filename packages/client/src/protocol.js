/**
 * The wire contract as the client needs it: the frames it sends, what each error frame the server
 * answers asks of it, and the connect URL. See docs/CONTRACT.md.
 */
/* global URL, TextEncoder -- the standard web API, in browsers, service workers and Node 20+ */

/** API Gateway closes a connection that sends a larger frame (1009). */
export const MAX_FRAME_BYTES = 32 * 1024;
/** The subprotocol offered beside a token sent in Sec-WebSocket-Protocol. */
export const SUBPROTOCOL = 'presence.v1';
/** The contract's heartbeat interval (the server times a connection out after 150 s of silence). */
export const DEFAULT_HEARTBEAT_SECONDS = 60;
/** The range of a negotiated `heartbeat=<seconds>` the server accepts. */
export const NEGOTIABLE_HEARTBEAT = { min: 1, max: 540 };

export const frames = {
  heartbeat: () => JSON.stringify({ action: 'heartbeat' }),
  keepAlive: () => JSON.stringify({ action: 'keepalive' }),
  /** @param {string} url @param {string} title */
  page: (url, title) => JSON.stringify({ action: 'update-presence', url, title }),
  /** @param {import('../index.js').SubscriptionLevel} level */
  subscribe: (level) => JSON.stringify({ action: 'subscribe', level }),
};

/** Levels in increasing order: raising one makes the server send a presence snapshot. */
export const LEVEL_RANK = { none: 0, status: 1, pages: 2 };

/**
 * What an `error` frame asks of the client.
 * - `reconnect`: the server no longer knows the connection; open a new one now and resynchronise.
 * - `retry`: nothing was applied; send it again after a moment.
 * - `slow-down`: over the message budget; never resend what was refused.
 * - `unknown-action`: the server does not have this route (an older server).
 * - `refused`: this message was refused; the connection stays usable.
 *
 * @param {string} message
 * @returns {'reconnect' | 'retry' | 'slow-down' | 'unknown-action' | 'refused'}
 */
export function errorKind(message) {
  if (/not registered/i.test(message) || /\breconnect\b/i.test(message)) return 'reconnect';
  if (/temporarily unavailable/i.test(message)) return 'retry';
  if (/rate-limited/i.test(message)) return 'slow-down';
  if (/^Unknown action/i.test(message)) return 'unknown-action';
  return 'refused';
}

/**
 * The HTTP status of a refused handshake when the WebSocket implementation says it (Node's `ws`
 * does, in the error event's message; browsers never do).
 *
 * @param {unknown} event
 * @returns {number | undefined}
 */
export function handshakeStatus(event) {
  const message = /** @type {{ message?: unknown }} */ (event ?? {}).message;
  const match = typeof message === 'string' ? /Unexpected server response: (\d{3})/.exec(message) : null;
  return match ? Number(match[1]) : undefined;
}

/**
 * @param {string} webSocketUrl
 * @param {{ token: string, tokenIn: 'query' | 'protocol', heartbeatSeconds?: number }} options
 * @returns {{ url: string, protocols: string[] | undefined }}
 */
export function connectRequest(webSocketUrl, options) {
  const url = new URL(webSocketUrl);
  if (options.tokenIn === 'query') url.searchParams.set('Authorization', options.token);
  if (options.heartbeatSeconds !== undefined) url.searchParams.set('heartbeat', String(options.heartbeatSeconds));
  return { url: url.toString(), protocols: options.tokenIn === 'protocol' ? [SUBPROTOCOL, options.token] : undefined };
}

/** @param {string} text */
export function byteLength(text) {
  return new TextEncoder().encode(text).length;
}
