/**
 * The presence domain's vocabulary: the users, pages, connections and presence entries the service,
 * the sweeper and every adapter (Redis, PostgreSQL, API Gateway) speak in. Data only: the rules live
 * in privacy.ts, presence-service.ts and timeout-sweeper.ts; the operations on it in ports/.
 */

/** Epoch milliseconds now; injected so tests control time. */
export type Clock = () => number;

// --- users -------------------------------------------------------------------

/** A user's profile as the user service stores it (and GET /presence sends it in `userInfoMap`). */
export interface UserProfile {
  user_id: string;
  first_name: string;
  last_name: string;
  profile_image_extension: string | null;
}

/** A user's sharing settings as the user service stores them (applied by privacy.ts). */
export interface SharingSettings {
  shareMode: 'default_none' | 'default_all';
  domainAllow: readonly string[];
  domainDeny: readonly string[];
}

// --- pages -------------------------------------------------------------------

/** What a user looks at, after their sharing rules. */
export interface Page {
  url: string;
  title: string;
  domain: string;
}

/** A page the user does not share (or no page yet): stored and sent as empty strings. */
export const HIDDEN_PAGE: Page = Object.freeze({ url: '', title: '', domain: '' });

// --- connections -------------------------------------------------------------

/** One WebSocket connection of one user: a push target. */
export interface ConnectionRef {
  userId: string;
  connectionId: string;
}

/**
 * What a connection is pushed: `pages`, every friend's page changes, came-online and presence-timeout
 * (every connection starts here: the original contract); `status`, only came-online and
 * presence-timeout; `none`, nothing (it still keeps its user online).
 */
export type SubscriptionLevel = 'pages' | 'status' | 'none';

export const SUBSCRIPTION_LEVELS: readonly SubscriptionLevel[] = ['pages', 'status', 'none'];

/** How much a level receives, as the Redis scripts rank it: a push of a kind reaches the levels ranked at least its own. */
export const LEVEL_RANK: Readonly<Record<SubscriptionLevel, number>> = { none: 0, status: 1, pages: 2 };

/** The connection a message arrived on, as its route knows it from API Gateway's event. */
export interface ConnectionActivity {
  connectionId: string;
  /** When API Gateway opened it (epoch ms); it closes it after the maximum connection age. */
  connectedAt: number;
  /** How long it may stay silent before its user is timed out: 2 x its heartbeat interval + 30 s. */
  allowanceMs: number;
}

// --- presence ----------------------------------------------------------------

/** A user's presence as the store keeps it (times in epoch ms). */
export interface UserPresence {
  online: boolean;
  /** Last activity (ms) while online. */
  lastActiveAt: number | null;
  /** Current page while online (HIDDEN_PAGE when hidden or not yet known); null offline. */
  page: Page | null;
  /** Most recent page the user did share during this session; null when none. */
  latestPage: Page | null;
  /** When the user went offline (ms), within the retention window; null when online or unknown. */
  lastSeenAt: number | null;
  /** When the state shown began (ms): the page was stored or the user came online; offline, lastSeenAt; 0 unknown. */
  at: number;
}

/** A user's presence as GET /presence sends it (CONTRACT.md). */
export interface PresenceEntry {
  userId: string;
  page: Page | null;
  latestPage: Page | null;
  /** ISO time of the last activity while online; null offline. */
  lastActiveAt: string | null;
  /** ISO time the user went offline (bounded retention); null when online or unknown. */
  lastSeenAt: string | null;
  /** When this state began (epoch ms; 0 unknown): a client applies a push only if it is no older (CONTRACT.md). */
  at: number;
}

/** GET /presence: the caller, every accepted friend, and their profiles. */
export interface PresenceSnapshot {
  userPresence: PresenceEntry;
  presenceArr: PresenceEntry[];
  userInfoMap: Record<string, UserProfile>;
}

// --- budgets and fan-outs ----------------------------------------------------

/**
 * Where a message stands against its connection's budget: within it; over it (the first time: tell the
 * client, later: quietly); over it for the floodCloseAfter-th time (close the connection now); or
 * arriving after that (drop it: the connection is being closed).
 */
export type MessageVerdict = 'ok' | 'limited' | 'limited-quietly' | 'close' | 'closed';

/** The page a fan-out sends: what the user looks at now and the latest page they shared. */
export interface FanOutPage {
  page: Page;
  latest: Page;
  /** When the page became the user's state (epoch ms): the push's `at`. */
  at: number;
  /** The user's own live connections (they get their update too). */
  ownConnections: string[];
}
