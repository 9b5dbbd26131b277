/**
 * What the client shows: a snapshot (GET /presence or presence-snapshot frames) with the pushes
 * that followed it applied in order. When frames carry `at` (epoch ms of the state they describe),
 * a user's entry is replaced only by something at least as new (last writer wins, per user); without
 * `at`, in arrival order.
 */

/** @typedef {import('../index.js').PresenceEntry} PresenceEntry */
/** @typedef {import('../index.js').Page} Page */
/** @typedef {import('../index.js').PresenceSnapshot} PresenceSnapshot */

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * @param {unknown} entry
 * @returns {entry is PresenceEntry}
 */
const isEntry = (entry) => isObject(entry) && typeof entry.userId === 'string';

/**
 * Checks what the server sent is a snapshot before anything is replaced with it.
 *
 * @param {unknown} body
 * @returns {PresenceSnapshot | undefined}
 */
export function asSnapshot(body) {
  if (!isObject(body) || !Array.isArray(body.presenceArr)) return undefined;
  /** @type {unknown[]} */
  const entries = body.presenceArr;
  if (!entries.every(isEntry)) return undefined;
  if (body.userPresence !== undefined && body.userPresence !== null && !isObject(body.userPresence)) return undefined;
  return /** @type {PresenceSnapshot} */ ({
    userPresence: body.userPresence ?? null,
    presenceArr: entries,
    userInfoMap: isObject(body.userInfoMap) ? body.userInfoMap : {},
  });
}

/**
 * @param {number | undefined} incoming
 * @param {number | undefined} held
 */
const isCurrent = (incoming, held) => incoming === undefined || held === undefined || incoming >= held;

/**
 * @param {string} url
 * @param {unknown} title
 * @param {unknown} domain
 * @returns {Page}
 */
const pageOf = (url, title, domain) => ({
  url,
  title: typeof title === 'string' ? title : '',
  domain: typeof domain === 'string' ? domain : '',
});

export class PresenceView {
  constructor() {
    /** @type {PresenceEntry | null} */
    this.self = null;
    /** @type {Map<string, PresenceEntry>} */
    this.entries = new Map();
    /** @type {Record<string, import('../index.js').UserInfo>} */
    this.profiles = {};
  }

  /** @param {PresenceSnapshot} snapshot */
  replace(snapshot) {
    this.self = snapshot.userPresence ? { ...snapshot.userPresence } : null;
    this.entries = new Map(snapshot.presenceArr.map((entry) => [entry.userId, { ...entry }]));
    this.profiles = { ...snapshot.userInfoMap };
  }

  /** @returns {PresenceEntry[]} */
  friends() {
    return [...this.entries.values()].map((entry) => ({ ...entry }));
  }

  /**
   * Applies an `update-presence` or `presence-timeout` push.
   *
   * @param {Record<string, unknown>} frame
   * @param {number} now epoch ms, for the time fields when the push has no `at`
   * @returns {'self' | 'friend' | undefined} whose entry changed; undefined when the push was stale or not a presence push
   */
  apply(frame, now) {
    const userId = frame.userId;
    if (typeof userId !== 'string') return undefined;
    const at = typeof frame.at === 'number' ? frame.at : undefined;
    const mine = this.self?.userId === userId;
    const held = mine ? this.self : this.entries.get(userId);
    if (!isCurrent(at, typeof held?.at === 'number' ? held.at : undefined)) return undefined;
    const when = new Date(at ?? now).toISOString();
    /** @type {PresenceEntry} */
    let entry;
    if (frame.type === 'update-presence') {
      if (typeof frame.url !== 'string') return undefined;
      const latestUrl = typeof frame.latestUrl === 'string' ? frame.latestUrl : '';
      entry = {
        userId,
        page: pageOf(frame.url, frame.title, frame.domain),
        latestPage: latestUrl ? pageOf(latestUrl, frame.latestTitle, frame.latestDomain) : null,
        lastActiveAt: when,
        lastSeenAt: null,
      };
    } else if (frame.type === 'presence-timeout') {
      entry = { userId, page: null, latestPage: null, lastActiveAt: null, lastSeenAt: when };
    } else {
      return undefined;
    }
    if (at !== undefined) entry.at = at;
    if (mine) {
      this.self = entry;
      return 'self';
    }
    this.entries.set(userId, entry);
    return 'friend';
  }
}
