/**
 * createPresenceClient: holds one live connection (the primary) and, while it reconnects or renews,
 * the next one. A connection is used only once it has resynchronised (snapshot, then the pushes
 * that arrived meanwhile); a renewal switches to the new connection before closing the old one, so
 * the user never goes offline for friends.
 */
/* global queueMicrotask, AbortController -- the standard web API, in browsers, service workers and Node 20+ */
import { floodDelay, fullJitterDelay } from './backoff.js';
import { Connection } from './connection.js';
import { settingsOf } from './options.js';
import { PresenceView, asSnapshot } from './presence-view.js';
import { LEVEL_RANK, MAX_FRAME_BYTES, byteLength, connectRequest, errorKind, frames } from './protocol.js';
import { fetchSnapshot } from './rest-snapshot.js';
import { Timers } from './timers.js';
import { TokenSource } from './token.js';

/** @typedef {import('../index.js').PresenceClient} PresenceClient */
/** @typedef {import('../index.js').PresenceClientOptions} PresenceClientOptions */
/** @typedef {import('../index.js').ClientState} ClientState */
/** @typedef {import('../index.js').SubscriptionLevel} SubscriptionLevel */
/** @typedef {import('../index.js').PresenceEvents} PresenceEvents */
/** @typedef {import('../index.js').PresenceSnapshot} PresenceSnapshot */

/** After a `rate-limited` answer, pages go out at most this often for the budget window (60 s by default). */
const SLOW_PAGE_INTERVAL_MS = 5000;
const SLOW_DOWN_FOR_MS = 60_000;
/** A `temporarily unavailable, retry` answer resends after at least this long, growing with full jitter. */
const RESEND_FLOOR_MS = 500;
/** Pushes held for one snapshot; past this the snapshot is too late to be useful and the connection is replaced. */
const MAX_HELD_PUSHES = 5000;

/**
 * @typedef {object} Link one connection and what the client knows of it
 * @property {Connection} connection
 * @property {'opening' | 'syncing' | 'live'} phase
 * @property {Record<string, unknown>[]} buffer pushes held until the snapshot they follow is applied
 * @property {boolean} buffering
 * @property {PresenceSnapshot | undefined} snapshot
 * @property {SubscriptionLevel} level the server's level for it (pages for a new connection)
 * @property {SubscriptionLevel | undefined} subscribing a subscribe sent and not yet answered
 * @property {{ id: unknown, parts: number, received: Map<number, Record<string, unknown>> } | undefined} parts
 * @property {boolean} sentPage
 * @property {boolean} pageUnconfirmed an update-presence sent whose echo has not come back
 * @property {number} rateLimitedAt
 * @property {boolean} notRegistered
 * @property {Record<string, unknown>} timers heartbeat, keepAlive, renew, sync, resend
 */

/**
 * @param {PresenceClientOptions} options
 * @returns {PresenceClient}
 */
export function createPresenceClient(options) {
  const settings = settingsOf(options);
  const timers = new Timers(settings.timers);
  const tokens = new TokenSource(settings.getToken, { refreshBeforeExpiryMs: settings.refreshBeforeExpiryMs, now: settings.now });
  const view = new PresenceView();
  /** @type {{ [K in keyof PresenceEvents]: Set<PresenceEvents[K]> }} */
  const listeners = {
    state: new Set(),
    friends: new Set(),
    me: new Set(),
    synced: new Set(),
    frame: new Set(),
    sent: new Set(),
    error: new Set(),
    disconnected: new Set(),
  };

  /** @type {ClientState} */
  let state = 'stopped';
  /** @type {Link | undefined} */
  let primary;
  /** @type {Link | undefined} the connection being established (a reconnect or a renewal) */
  let next;
  let fetchingToken = false;
  /** @type {unknown} */
  let retryTimer;
  /** @type {unknown} */
  let slowPageTimer;
  let failures = 0;
  let resendFailures = 0;
  let everOpen = false;
  let offline = false;
  let run = 0;
  /** @type {{ url: string, title: string } | undefined} */
  let page;
  let lastPageSentAt = -Infinity;
  let slowUntil = -Infinity;
  let visible = Boolean(settings.visible);
  /** @type {boolean | undefined} undefined until the server answers a subscribe */
  let levelsSupported = settings.levels ? undefined : false;
  let keepAliveSupported = true;
  /** @type {(() => void) | undefined} */
  let unwatchNetwork;
  /** @type {Set<AbortController>} */
  const requests = new Set();

  /**
   * @template {keyof PresenceEvents} K
   * @param {K} event
   * @param {Parameters<PresenceEvents[K]>} args
   */
  function emit(event, ...args) {
    for (const listener of [...listeners[event]]) {
      try {
        /** @type {(...a: unknown[]) => void} */ (listener)(...args);
      } catch (error) {
        // A listener's bug must not stop the client: reported the way the host reports uncaught errors.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** @param {ClientState} value */
  function setState(value) {
    if (state === value) return;
    state = value;
    emit('state', value);
  }

  const levelsActive = () => settings.levels && levelsSupported !== false;
  const targetLevel = () => /** @type {SubscriptionLevel} */ (visible ? 'pages' : 'status');
  /** The connection whose frames the application sees: the primary, or while there is none, the one replacing it. */
  const visibleLink = () => primary ?? next;
  /** @param {Link} link */
  const isCurrent = (link) => link === primary || link === next;
  const nextDelay = () => fullJitterDelay(failures++, settings.backoff, settings.random);

  // --- connecting -------------------------------------------------------------------------------

  function connectNow() {
    if (state === 'stopped' || next || fetchingToken || offline) return;
    timers.cancel(retryTimer);
    fetchingToken = true;
    const thisRun = run;
    tokens.current().then(
      (token) => {
        fetchingToken = false;
        if (thisRun !== run || next || offline) return;
        open(token);
      },
      (/** @type {Error} */ error) => {
        fetchingToken = false;
        if (thisRun !== run) return;
        emit('error', { kind: 'token', message: error.message });
        retryLater(nextDelay());
      },
    );
  }

  /** @param {number} delayMs */
  function retryLater(delayMs) {
    timers.cancel(retryTimer);
    if (state === 'stopped' || offline) return;
    retryTimer = timers.later(connectNow, delayMs);
  }

  /** @param {string} token */
  function open(token) {
    const request = connectRequest(settings.webSocketUrl, {
      token,
      tokenIn: settings.tokenIn,
      heartbeatSeconds: settings.negotiatedHeartbeatSeconds,
    });
    /** @type {Link} */
    const link = {
      phase: 'opening',
      buffer: [],
      buffering: true,
      snapshot: undefined,
      level: 'pages',
      subscribing: undefined,
      parts: undefined,
      sentPage: false,
      pageUnconfirmed: false,
      rateLimitedAt: -Infinity,
      notRegistered: false,
      timers: {},
      connection: /** @type {Connection} */ (/** @type {unknown} */ (undefined)),
    };
    next = link;
    link.connection = new Connection({
      WebSocket: settings.WebSocket,
      url: request.url,
      protocols: request.protocols,
      connectTimeoutMs: settings.connectTimeoutMs,
      timers,
      now: settings.now,
      onOpen: () => onOpen(link),
      onFrame: (_connection, frame, text) => onFrame(link, frame, text),
      onClose: (_connection, close) => onClose(link, close),
    });
  }

  /** @param {Link} link */
  function onOpen(link) {
    link.phase = 'syncing';
    // After a loss the user's page is gone from the server: send it at once, not after the snapshot.
    if (!primary && page) sendPage(link);
    // A connection's first subscribe to status or pages is answered with the snapshot.
    if (levelsActive()) subscribe(link, targetLevel());
    else void restSync(link);
  }

  /**
   * @param {Link} link
   * @param {{ code: number, reason: string, opened: boolean, status?: number, error?: string }} close
   */
  function onClose(link, close) {
    stopLinkTimers(link);
    if (link === next) {
      next = undefined;
      if (!close.opened) {
        if (close.status === 400) {
          emit('error', {
            kind: 'handshake',
            status: 400,
            message: 'the server refused the connect request (400): a client bug; the client stopped',
          });
          stop();
          return;
        }
        // 401/403, or a browser that does not say why: the next attempt asks getToken() again.
        if (close.status === undefined || close.status === 401 || close.status === 403) tokens.refused();
        emit('error', {
          kind: 'handshake',
          status: close.status,
          message: close.status
            ? `the server refused the connection (${close.status})`
            : `the connection failed before it opened: ${close.error ?? close.reason ?? ''}`.replace(/: $/, ` (${close.code})`),
        });
      }
      const delay = nextDelay();
      if (!primary) emit('disconnected', { code: close.code, reason: close.reason, retryInMs: delay });
      retryLater(delay);
      return;
    }
    if (link !== primary) return;
    primary = undefined;
    if (settings.now() - link.connection.openedAt >= settings.stableAfterMs) failures = 0;
    setState(everOpen ? 'reconnecting' : 'connecting');
    const floodClosed = close.code === 1000 && settings.now() - link.rateLimitedAt < SLOW_DOWN_FOR_MS;
    const delay = next || fetchingToken ? 0 : floodClosed ? floodDelay(settings.backoff, settings.random) : nextDelay();
    emit('disconnected', { code: close.code, reason: close.reason, retryInMs: delay });
    if (!next && !fetchingToken) retryLater(delay);
  }

  // --- resynchronising --------------------------------------------------------------------------

  /**
   * GET /presence for a connection that just opened, retried while the connection lives; or once,
   * for refresh(), after which the pushes held meanwhile apply whatever the outcome.
   *
   * @param {Link} link
   * @param {{ once?: boolean }} [options]
   * @returns {Promise<boolean>} whether a snapshot was applied
   */
  async function restSync(link, options = {}) {
    const thisRun = run;
    const alive = () => thisRun === run && isCurrent(link) && !link.connection.discarded;
    for (let tries = 0; alive(); tries++) {
      let token;
      try {
        token = await tokens.current();
      } catch (error) {
        if (!alive()) return false;
        emit('error', { kind: 'token', message: /** @type {Error} */ (error).message });
        if (options.once) {
          if (link === primary) applyHeld(link);
          return false;
        }
        await pause(fullJitterDelay(tries, settings.backoff, settings.random));
        continue;
      }
      if (!alive()) return false;
      const controller = new AbortController();
      requests.add(controller);
      const result = await fetchSnapshot({
        fetch: settings.fetch,
        restUrl: settings.restUrl,
        token,
        timeoutMs: settings.requestTimeoutMs,
        timers,
        signal: controller.signal,
      });
      requests.delete(controller);
      if (!alive()) return false;
      if (result.ok) {
        onSnapshot(link, result.snapshot);
        return true;
      }
      const refused = result.status === 401 || result.status === 403;
      if (refused) tokens.refused();
      emit('error', { kind: 'snapshot', status: result.status, message: result.message });
      if (options.once && !(refused && tries === 0)) {
        if (link === primary) applyHeld(link);
        return false;
      }
      await pause(refused && tries === 0 ? 0 : (result.retryAfterMs ?? fullJitterDelay(tries, settings.backoff, settings.random)));
    }
    return false;
  }

  /** @param {number} ms */
  function pause(ms) {
    return new Promise((resolve) => timers.later(() => resolve(undefined), ms));
  }

  /**
   * @param {Link} link
   * @param {PresenceSnapshot} snapshot
   */
  function onSnapshot(link, snapshot) {
    if (link.phase === 'syncing') {
      link.snapshot = snapshot;
      promote(link);
      return;
    }
    if (link !== primary) return;
    view.replace(snapshot);
    replay(link);
    emit('friends', view.friends());
    emit('me', view.self);
  }

  /**
   * A refresh that got no snapshot: the pushes held for it apply on what is shown.
   *
   * @param {Link} link
   */
  function applyHeld(link) {
    const held = link.buffer.length > 0;
    replay(link);
    if (held) {
      emit('friends', view.friends());
      emit('me', view.self);
    }
  }

  /**
   * Applies the pushes held while a snapshot was on its way, in arrival order (stale ones are
   * discarded by `at`), and stops holding them.
   *
   * @param {Link} link
   */
  function replay(link) {
    for (const frame of link.buffer) {
      if (frame.type === 'update-presence' && frame.userId === view.self?.userId) confirmPage(link);
      view.apply(frame, settings.now());
    }
    link.buffer = [];
    link.buffering = false;
  }

  /**
   * The connection is resynchronised: it becomes the primary, and the one it replaces is closed.
   *
   * @param {Link} link
   */
  function promote(link) {
    timers.cancel(link.timers.sync);
    const previous = primary;
    view.replace(/** @type {PresenceSnapshot} */ (link.snapshot));
    replay(link);
    link.phase = 'live';
    primary = link;
    next = undefined;
    if (previous) {
      stopLinkTimers(previous);
      previous.connection.discard(1000, 'renewed');
      failures = 0;
    } else if (page && !link.sentPage) {
      sendPage(link);
    }
    armHeartbeat(link);
    armKeepAlive(link);
    armRenewal(link);
    if (levelsActive() && link.level !== targetLevel()) subscribe(link, targetLevel());
    everOpen = true;
    setState('open');
    emit('friends', view.friends());
    emit('me', view.self);
    emit('synced', { renewal: Boolean(previous) });
  }

  // --- frames -----------------------------------------------------------------------------------

  /**
   * @param {Link} link
   * @param {Record<string, unknown>} frame
   * @param {string} text
   */
  function onFrame(link, frame, text) {
    if (link === visibleLink()) emit('frame', frame, text);
    switch (frame.type) {
      case 'update-presence':
      case 'presence-timeout':
        onPush(link, frame);
        return;
      case 'subscribed':
        onSubscribed(link, frame);
        return;
      case 'presence-snapshot':
        onSnapshotPart(link, frame);
        return;
      case 'error':
        onError(link, typeof frame.message === 'string' ? frame.message : '');
        return;
      default:
      // API Gateway's own answers ({"message": "Forbidden", ...}) and frames of a newer server: nothing to do.
    }
  }

  /**
   * @param {Link} link
   * @param {Record<string, unknown>} frame
   */
  function onPush(link, frame) {
    if (link.buffering) {
      link.buffer.push(frame);
      if (link.buffer.length > MAX_HELD_PUSHES) link.connection.fail(1006, 'too many pushes held while waiting for the snapshot');
      return;
    }
    if (link !== primary) return;
    if (frame.type === 'update-presence' && frame.userId === view.self?.userId) confirmPage(link);
    const changed = view.apply(frame, settings.now());
    if (changed === 'friend') emit('friends', view.friends());
    else if (changed === 'self') emit('me', view.self);
  }

  /**
   * @param {Link} link
   * @param {Record<string, unknown>} frame
   */
  function onSubscribed(link, frame) {
    const level = /** @type {SubscriptionLevel} */ (frame.level);
    if (!(level in LEVEL_RANK)) return;
    levelsSupported = true;
    link.level = level;
    if (link.subscribing === level) link.subscribing = undefined;
    resendFailures = 0;
    if (link.phase === 'live' && !link.subscribing && link.level !== targetLevel()) subscribe(link, targetLevel());
  }

  /**
   * Collects the parts of a presence-snapshot; the whole applies once every part is in.
   *
   * @param {Link} link
   * @param {Record<string, unknown>} frame
   */
  function onSnapshotPart(link, frame) {
    const part = Number(frame.part ?? 1);
    const parts = Number(frame.parts ?? 1);
    if (!Number.isInteger(part) || !Number.isInteger(parts) || part < 1 || part > parts) return;
    if (!link.parts || link.parts.id !== frame.snapshotId) link.parts = { id: frame.snapshotId, parts, received: new Map() };
    link.parts.received.set(part, frame);
    if (link.parts.received.size < link.parts.parts) return;
    const ordered = [...link.parts.received.entries()].sort(([a], [b]) => a - b).map(([, value]) => value);
    link.parts = undefined;
    /** @type {Record<string, unknown>} */
    const userInfoMap = {};
    for (const value of ordered) Object.assign(userInfoMap, value.userInfoMap);
    const snapshot = asSnapshot({
      userPresence: ordered[0]?.userPresence,
      presenceArr: ordered.flatMap((value) => (Array.isArray(value.presenceArr) ? /** @type {unknown[]} */ (value.presenceArr) : [])),
      userInfoMap,
    });
    if (!snapshot) {
      emit('error', { kind: 'snapshot', message: 'a presence-snapshot frame was not a snapshot' });
      return;
    }
    onSnapshot(link, snapshot);
  }

  /**
   * @param {Link} link
   * @param {string} message
   */
  function onError(link, message) {
    const kind = errorKind(message);
    if (link === visibleLink()) emit('error', { kind: 'frame', message, action: kind });
    switch (kind) {
      case 'reconnect':
        reconnectNow(link, message);
        return;
      case 'retry':
        resendSoon(link);
        return;
      case 'slow-down':
        // What was refused was still applied (the contract): never resend it; send less for a while.
        link.rateLimitedAt = settings.now();
        slowUntil = settings.now() + SLOW_DOWN_FOR_MS;
        return;
      case 'unknown-action': {
        const action = /^Unknown action "([^"]*)"/i.exec(message)?.[1];
        if (action === 'subscribe' && link.subscribing) {
          // An older server: no levels, so the snapshot comes from GET /presence.
          levelsSupported = false;
          link.subscribing = undefined;
          timers.cancel(link.timers.sync);
          if (link.phase === 'syncing') void restSync(link);
        } else if (action === 'keepalive') {
          keepAliveSupported = false;
        }
        return;
      }
      default:
    }
  }

  /**
   * "Connection is not registered; reconnect": the server no longer knows this connection (timed
   * out, past its age, or Redis lost its data). A new one now, not after the server's close.
   *
   * @param {Link} link
   * @param {string} message
   */
  function reconnectNow(link, message) {
    if (!isCurrent(link) || link.notRegistered) return;
    link.notRegistered = true;
    if (link === next) {
      link.connection.fail(1000, message);
      return;
    }
    stopLinkTimers(link);
    primary = undefined;
    link.connection.discard(1000, 'reconnecting');
    if (settings.now() - link.connection.openedAt >= settings.stableAfterMs) failures = 0;
    setState('reconnecting');
    const delay = next || fetchingToken ? 0 : failures === 0 ? 0 : nextDelay();
    if (failures === 0) failures = 1;
    emit('disconnected', { code: 1000, reason: message, retryInMs: delay });
    if (!next && !fetchingToken) retryLater(delay);
  }

  /**
   * "temporarily unavailable, retry": nothing was applied. The page (until its echo confirms it)
   * and an unanswered subscribe go again after a moment; heartbeats simply go on.
   *
   * @param {Link} link
   */
  function resendSoon(link) {
    if (link.timers.resend !== undefined) return;
    const delay = RESEND_FLOOR_MS + fullJitterDelay(resendFailures++, settings.backoff, settings.random);
    link.timers.resend = timers.later(() => {
      link.timers.resend = undefined;
      if (!isCurrent(link)) return;
      if (link.pageUnconfirmed && page) sendPage(link);
      if (link.subscribing) send(link, frames.subscribe(link.subscribing), 'subscribe');
    }, delay);
  }

  /** @param {Link} link */
  function confirmPage(link) {
    link.pageUnconfirmed = false;
    resendFailures = 0;
  }

  // --- sending ----------------------------------------------------------------------------------

  /**
   * @param {Link} link
   * @param {string} text
   * @param {import('../index.js').SentKind} kind
   * @returns {boolean}
   */
  function send(link, text, kind) {
    if (!link.connection.send(text)) return false;
    emit('sent', { text, kind });
    if (link === primary) {
      // Each of these moves the connection's deadline on the server, so the next heartbeat can wait.
      if (kind === 'heartbeat' || kind === 'page' || kind === 'subscribe') armHeartbeat(link);
      armKeepAlive(link);
    }
    return true;
  }

  /**
   * @param {Link} link
   * @param {SubscriptionLevel} level
   */
  function subscribe(link, level) {
    link.subscribing = level;
    if (!send(link, frames.subscribe(level), 'subscribe')) return;
    if (link.phase === 'syncing') {
      timers.cancel(link.timers.sync);
      link.timers.sync = timers.later(() => link.connection.fail(1006, 'no presence snapshot in time'), settings.requestTimeoutMs);
    }
  }

  /** @param {Link} link */
  function sendPage(link) {
    if (!page) return;
    if (settings.now() < slowUntil && settings.now() - lastPageSentAt < SLOW_PAGE_INTERVAL_MS) {
      // Slowed down after rate-limited: only the latest page goes, once the interval has passed.
      if (slowPageTimer === undefined) {
        slowPageTimer = timers.later(
          () => {
            slowPageTimer = undefined;
            const target = visibleLink();
            if (target?.connection.isOpen) sendPage(target);
          },
          lastPageSentAt + SLOW_PAGE_INTERVAL_MS - settings.now(),
        );
      }
      return;
    }
    if (send(link, frames.page(page.url, page.title), 'page')) {
      link.sentPage = true;
      link.pageUnconfirmed = true;
      lastPageSentAt = settings.now();
    }
  }

  /** @param {Link} link */
  function armHeartbeat(link) {
    timers.cancel(link.timers.heartbeat);
    if (settings.heartbeatMs === 0) return;
    link.timers.heartbeat = timers.later(() => {
      if (link === primary) send(link, frames.heartbeat(), 'heartbeat');
    }, settings.heartbeatMs);
  }

  /** @param {Link} link */
  function armKeepAlive(link) {
    timers.cancel(link.timers.keepAlive);
    if (settings.keepAliveMs === 0) return;
    link.timers.keepAlive = timers.later(() => {
      if (link !== primary) return;
      // A server without the keepalive route answers it with an error from a Lambda: a heartbeat costs the same and refreshes presence.
      if (keepAliveSupported) send(link, frames.keepAlive(), 'keepalive');
      else send(link, frames.heartbeat(), 'heartbeat');
    }, settings.keepAliveMs);
  }

  /**
   * The next connection opens at a random point between renewBetween[0] and [1] of the maximum
   * connection time, so a fleet that connected together does not renew together.
   *
   * @param {Link} link
   */
  function armRenewal(link) {
    const [from, to] = settings.renewBetween;
    const at = link.connection.openedAt + settings.maxConnectionMs * (from + settings.random() * (to - from));
    link.timers.renew = timers.later(() => {
      if (link === primary) connectNow();
    }, at - settings.now());
  }

  /** @param {Link} link */
  function stopLinkTimers(link) {
    for (const handle of Object.values(link.timers)) timers.cancel(handle);
    link.timers = {};
  }

  // --- the network ------------------------------------------------------------------------------

  /** @param {boolean} isOnline */
  function onNetwork(isOnline) {
    if (state === 'stopped') return;
    if (!isOnline) {
      offline = true;
      timers.cancel(retryTimer);
      return;
    }
    if (!offline) return;
    offline = false;
    failures = 0;
    // Back online: retry at once; a socket that looks open may have died with the network, so it is
    // replaced the way a renewal does it (it closes only once the new one works).
    connectNow();
  }

  // --- the public API ---------------------------------------------------------------------------

  function start() {
    if (state !== 'stopped') return;
    everOpen = false;
    failures = 0;
    setState('connecting');
    unwatchNetwork = settings.network.onChange(onNetwork);
    offline = !settings.network.online();
    connectNow();
  }

  function stop() {
    if (state === 'stopped') return;
    run++;
    timers.cancelAll();
    retryTimer = undefined;
    slowPageTimer = undefined;
    for (const controller of requests) controller.abort();
    requests.clear();
    for (const link of [primary, next]) link?.connection.discard(1000, 'client stopped');
    primary = undefined;
    next = undefined;
    fetchingToken = false;
    unwatchNetwork?.();
    unwatchNetwork = undefined;
    setState('stopped');
  }

  /**
   * @param {string} url
   * @param {string} [title]
   */
  function setPage(url, title = '') {
    if (typeof url !== 'string' || typeof title !== 'string')
      throw new TypeError('setPage(url, title): both must be strings ("" hides the page)');
    const size = byteLength(frames.page(url, title));
    if (size > MAX_FRAME_BYTES) {
      emit('error', {
        kind: 'send',
        message: `update-presence not sent: its frame is ${size} bytes, over the ${MAX_FRAME_BYTES} API Gateway accepts`,
      });
      return false;
    }
    page = { url, title };
    const link = visibleLink();
    if (!link || link.phase === 'opening' || !link.connection.isOpen) return false;
    sendPage(link);
    return true;
  }

  /** @param {boolean} isVisible */
  function setVisible(isVisible) {
    visible = Boolean(isVisible);
    if (!levelsActive() || !primary || primary.subscribing) return;
    if (primary.level !== targetLevel()) subscribe(primary, targetLevel());
  }

  /**
   * @param {string | object} frame
   * @returns {boolean}
   */
  function sendFrame(frame) {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    const link = visibleLink();
    if (!link || link.phase === 'opening') return false;
    if (byteLength(text) > MAX_FRAME_BYTES) {
      emit('error', { kind: 'send', message: `not sent: the frame is over the ${MAX_FRAME_BYTES} bytes API Gateway accepts` });
      return false;
    }
    return send(link, text, 'raw');
  }

  async function refresh() {
    const link = primary;
    if (!link || link.phase !== 'live' || link.buffering) return false;
    link.buffering = true;
    return restSync(link, { once: true });
  }

  return {
    get state() {
      return state;
    },
    start,
    stop,
    setPage,
    setVisible,
    send: sendFrame,
    refresh,
    friends: () => view.friends(),
    me: () => (view.self ? { ...view.self } : null),
    profiles: () => ({ ...view.profiles }),
    on(event, listener) {
      const set = /** @type {Set<unknown> | undefined} */ (listeners[event]);
      if (!set) throw new TypeError(`on(event): unknown event ${String(event)}; expected one of ${Object.keys(listeners).join(', ')}`);
      if (typeof listener !== 'function') throw new TypeError('on(event, listener): listener must be a function');
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
  };
}
