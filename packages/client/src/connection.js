/**
 * One WebSocket, through the browser WebSocket API (which Node's `ws` also offers): opens it with a
 * bounded wait, parses each frame, and reports one close per socket, saying whether it had opened
 * and, when the implementation tells, the HTTP status that refused the handshake. Once the client
 * lets go of it (`discard`), nothing more is reported.
 */
import { handshakeStatus } from './protocol.js';

const OPEN = 1;

/**
 * @typedef {object} ConnectionEvents
 * @property {(connection: Connection) => void} onOpen
 * @property {(connection: Connection, frame: Record<string, unknown>, text: string) => void} onFrame
 * @property {(connection: Connection, close: { code: number, reason: string, opened: boolean, status?: number, error?: string }) => void} onClose
 */

export class Connection {
  /**
   * @param {{
   *   WebSocket: import('../index.js').WebSocketConstructor,
   *   url: string,
   *   protocols: string[] | undefined,
   *   connectTimeoutMs: number,
   *   timers: import('./timers.js').Timers,
   *   now: () => number,
   * } & ConnectionEvents} options
   */
  constructor(options) {
    this.options = options;
    this.opened = false;
    this.openedAt = 0;
    this.discarded = false;
    /** @type {number | undefined} */
    this.status = undefined;
    /** @type {string | undefined} what the implementation said went wrong (browsers say nothing) */
    this.error = undefined;
    this.connectTimer = options.timers.later(() => this.fail(1006, 'no answer to the handshake'), options.connectTimeoutMs);
    /** @type {import('../index.js').WebSocketLike | undefined} */
    this.socket = undefined;
    try {
      this.socket = new options.WebSocket(options.url, options.protocols);
    } catch (error) {
      // A malformed URL throws synchronously: reported like any failed handshake, on the next tick.
      const reason = error instanceof Error ? error.message : String(error);
      options.timers.later(() => this.fail(1006, reason), 0);
      return;
    }
    const socket = this.socket;
    socket.addEventListener('open', () => {
      if (this.discarded) return;
      this.options.timers.cancel(this.connectTimer);
      this.opened = true;
      this.openedAt = this.options.now();
      this.options.onOpen(this);
    });
    socket.addEventListener('message', (event) => {
      if (this.discarded) return;
      const data = /** @type {{ data?: unknown }} */ (event).data;
      const text = typeof data === 'string' ? data : String(data);
      /** @type {unknown} */
      let frame;
      try {
        frame = JSON.parse(text);
      } catch {
        frame = undefined;
      }
      const isObject = typeof frame === 'object' && frame !== null && !Array.isArray(frame);
      this.options.onFrame(this, isObject ? /** @type {Record<string, unknown>} */ (frame) : { raw: text }, text);
    });
    socket.addEventListener('error', (event) => {
      this.status ??= handshakeStatus(event);
      const message = /** @type {{ message?: unknown }} */ (event ?? {}).message;
      if (typeof message === 'string' && message) this.error ??= message;
    });
    socket.addEventListener('close', (event) => {
      const { code, reason } = /** @type {{ code?: number, reason?: string }} */ (event);
      this.report(code ?? 1006, reason ?? '');
    });
  }

  get isOpen() {
    return !this.discarded && this.socket?.readyState === OPEN;
  }

  /**
   * @param {string} text
   * @returns {boolean} whether it was handed to the socket
   */
  send(text) {
    if (!this.isOpen) return false;
    /** @type {import('../index.js').WebSocketLike} */ (this.socket).send(text);
    return true;
  }

  /**
   * Closes the socket and reports nothing more about it.
   *
   * @param {number} [code]
   * @param {string} [reason]
   */
  discard(code = 1000, reason = '') {
    if (this.discarded) return;
    this.discarded = true;
    this.options.timers.cancel(this.connectTimer);
    this.closeSocket(code, reason);
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  closeSocket(code, reason) {
    try {
      this.socket?.close(code, reason.slice(0, 120));
    } catch {
      // Already closing, or an implementation that refuses a close while connecting: either way it ends.
    }
  }

  /**
   * Gives up on the socket and reports it closed, as if the network had cut it.
   *
   * @param {number} code
   * @param {string} reason
   */
  fail(code, reason) {
    if (this.discarded) return;
    this.report(code, reason);
    this.closeSocket(1000, reason);
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  report(code, reason) {
    if (this.discarded) return;
    this.discarded = true;
    this.options.timers.cancel(this.connectTimer);
    this.options.onClose(this, { code, reason, opened: this.opened, status: this.status, error: this.error });
  }
}
