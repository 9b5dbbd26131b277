import type { ConnectionActivity, ConnectionRef, FanOutPage, MessageVerdict, Page, SubscriptionLevel, UserPresence } from '../model';

export interface ConnectResult {
  cameOnline: boolean;
  /** Set when this call must tell friends the user came online (it holds the push lease). */
  fanOut: FanOutPage | null;
}

export type PageUpdateResult =
  | { stored: false; verdict: 'stale' | 'closed' }
  /** Stored. `fanOut` is set when this call holds the user's push lease and must push (then release). */
  | { stored: true; verdict: Exclude<MessageVerdict, 'closed'>; fanOut: FanOutPage | null };

/** 'leaving': the last connection closed; the sweep announces the user offline once the grace ends without a new one. */
export type DisconnectResult = 'unchanged' | 'went-offline' | 'was-unknown' | 'leaving';

export type SubscribeResult =
  | { stored: false; verdict: 'stale' | 'closed' }
  /** `previous` is 'default' when the connection never subscribed (it was at pages since it opened). */
  | { stored: true; verdict: Exclude<MessageVerdict, 'closed'>; previous: SubscriptionLevel | 'default' };

/** A deferred fan-out the sweep claimed: push it, then release it. */
export interface DeferredFanOut extends FanOutPage {
  userId: string;
}

/** API Gateway's $connect integration timeout: a connection this young may not be open yet. */
export const HANDSHAKE_GRACE_MS = 30_000;

/**
 * All presence state: who is online on which connections (each with its subscription level and its
 * deadline), what they look at, the message and fan-out budgets, and who went offline with friends not
 * yet told. Users live in status shards (KeySpace.shardOf); the sweep works one shard at a time. Every
 * state change of one user is atomic and safe to repeat; times are passed in (epoch ms) so callers and
 * tests control the clock. An outage rejects with ServiceUnavailableError('redis').
 *
 * A connection is live until its deadline: its last message plus its allowance, never past API
 * Gateway's cap (connectedAt + the maximum connection age). A user is online while they have a live
 * connection, and for the offline grace after their last one closed; the sweep times out users whose
 * connections all passed their deadlines (`staleCandidates`).
 *
 * The push lease: at most one fan-out per user is in flight, so friends get a user's pages in order.
 * A call that resolves a `fanOut` holds the lease and must push it, then `releasePush`. A page stored
 * while the lease is held, or over a budget, is kept and marked deferred: the release or the sweep
 * (`claimDeferred`) sends the latest page, never an intermediate one.
 */
export interface PresenceStore {
  /**
   * Registers a connection at level pages (until `connectedAt` + the connection's maximum age) and marks
   * the user active now. A user who came online starts with no page shared yet; `fanOut` is set if this
   * call holds the push lease and must tell friends now, else the pusher in flight or the sweep does. A
   * user still online (another device, or within the offline grace) did not come online. The new
   * connection itself is not open yet, so it is no target.
   */
  connect(userId: string, connection: ConnectionActivity, now: number): Promise<ConnectResult>;

  /** Records activity on the connection and counts the message. 'stale' when it is not registered (timed out or closed). */
  heartbeat(userId: string, connection: ConnectionActivity, now: number): Promise<MessageVerdict | 'stale'>;

  /** Sets the connection's subscription level, counting the message and recording activity like a heartbeat. */
  subscribe(userId: string, connection: ConnectionActivity, now: number, level: SubscriptionLevel): Promise<SubscribeResult>;

  /** Counts a message no other operation handles (frames no route matched) against its connection's budget. */
  countMessage(userId: string, connectionId: string): Promise<MessageVerdict>;

  /**
   * Counts the message and stores the (privacy-filtered) page at once, whatever the budgets say; a shared
   * page also becomes the latest shared page, a hidden one leaves it. `fanOut` is set when the message was
   * within its budget, a fan-out token was free and no other fan-out of the user is in flight.
   */
  updatePage(userId: string, connection: ConnectionActivity, now: number, visible: Page): Promise<PageUpdateResult>;

  /**
   * Gives back the push lease after a fan-out. Resolves the page to push next when a newer one was
   * stored meanwhile and `mayPushAgain` and the budget allow it (the caller then holds the lease again);
   * else a newer page stays deferred for the sweep.
   */
  releasePush(userId: string, now: number, mayPushAgain: boolean): Promise<FanOutPage | null>;

  /**
   * Claims up to `limit` deferred fan-outs of one shard whose time has come (over a budget, or left by a
   * pusher whose lease expired), taking their push leases: push each, then release it. Users who went
   * offline are forgotten.
   */
  claimDeferred(shard: number, now: number, limit: number): Promise<DeferredFanOut[]>;

  /**
   * Removes one connection; the user goes offline only with the last one (a late disconnect of an old
   * connection changes nothing). With `graceMs` > 0 the user is then 'leaving': still online, and timed
   * out by the sweep when the grace ends unless a connection returns first. Without a grace a user who
   * went offline stays pending until `friendsTold`, so the sweep finishes a disconnect that could not
   * tell them. 'was-unknown': the store knew nothing of the user (its data was lost), who is announced
   * offline at once too.
   */
  disconnect(userId: string, connectionId: string, now: number, graceMs: number): Promise<DisconnectResult>;

  /** Ends the pending entry a disconnect left for the user, once their friends were told. */
  friendsTold(userId: string): Promise<void>;

  /**
   * Compare-and-delete of connections API Gateway reported gone: removes exactly those ids, and none
   * opened within HANDSHAKE_GRACE_MS (it may still be in its $connect, which the Management API answers
   * 410 for too).
   */
  removeConnections(refs: readonly ConnectionRef[], now: number): Promise<void>;

  /**
   * Live connection ids at or above a level (`pages`: page changes; `status`: came-online and
   * presence-timeout) of those users who have any; offline users are simply absent.
   */
  connectionsOf(userIds: readonly string[], now: number, level: Exclude<SubscriptionLevel, 'none'>): Promise<Map<string, string[]>>;

  /** The presence of many users (a user and all friends); every asked user is a key. */
  snapshot(userIds: readonly string[]): Promise<Map<string, UserPresence>>;

  // --- timeout sweep -------------------------------------------------------

  /** Up to `limit` users of the shard whose connections all passed their deadlines by `now` (or whose grace ended), earliest first. */
  staleCandidates(shard: number, now: number, limit: number): Promise<string[]>;

  /**
   * Atomically claims those candidates that are still stale (activity since the scan keeps its user
   * online), takes them offline, and returns every user of the shard awaiting notification (this
   * claim's, any left by a failed earlier attempt, and users whose disconnect could not tell their
   * friends) with the connections they had.
   */
  claimStale(shard: number, candidates: readonly string[], now: number): Promise<Map<string, string[]>>;

  /** Every user of the shard awaiting notification, with the connections they had. */
  pending(shard: number): Promise<Map<string, string[]>>;

  /** Which of these users of one shard are online again (reconnected since they were claimed). */
  onlineAmong(shard: number, userIds: readonly string[]): Promise<Set<string>>;

  /** Clears pending entries whose friends were told, unless a newer claim replaced them meanwhile (compare-and-delete). */
  clearPending(shard: number, entries: ReadonlyMap<string, readonly string[]>): Promise<void>;
}
