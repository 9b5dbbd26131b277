/**
 * @presence-api/client: a WebSocket client for the Presence API that heartbeats, reconnects with
 * full-jitter backoff, resynchronises after every (re)connect, and renews its connection before API
 * Gateway's 2-hour cap, so friends never see the user flap. No runtime dependencies; browsers,
 * Manifest V3 service workers and Node 20+ (pass `WebSocket` from the `ws` package there).
 */

/** A page as the server sends it (after the user's sharing rule: `url` is "" when not shared). */
export interface Page {
  url: string;
  title: string;
  domain: string;
}

/** One user as `GET /presence` shows them: `page` null means offline. */
export interface PresenceEntry {
  userId: string;
  page: Page | null;
  latestPage: Page | null;
  lastActiveAt: string | null;
  lastSeenAt: string | null;
  /** Epoch ms of the state shown, when the server sends it (newer servers). */
  at?: number;
}

export interface UserInfo {
  user_id: string;
  first_name: string;
  last_name: string;
  profile_image_extension: string | null;
}

export interface PresenceSnapshot {
  userPresence: PresenceEntry | null;
  presenceArr: PresenceEntry[];
  userInfoMap: Record<string, UserInfo>;
}

export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'stopped';
export type SubscriptionLevel = 'pages' | 'status' | 'none';
export type SentKind = 'heartbeat' | 'keepalive' | 'page' | 'subscribe' | 'raw';

/** The part of the browser WebSocket API the client uses (Node's `ws` offers it too). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'error' | 'close', listener: (event: unknown) => void): void;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface FetchResponseLike {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}
export type FetchLike = (url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<FetchResponseLike>;

/** Whether the device is online; by default `navigator.onLine` and the `online`/`offline` events. */
export interface NetworkStatus {
  online(): boolean;
  /** Calls listener on every change; returns a function that stops that. */
  onChange(listener: (online: boolean) => void): () => void;
}

export interface PresenceClientOptions {
  /** The WebSocket API's URL, e.g. wss://abc.execute-api.eu-west-1.amazonaws.com/prod */
  webSocketUrl: string;
  /** The REST API's base URL (GET <restUrl>/presence), e.g. https://def.execute-api.eu-west-1.amazonaws.com/prod */
  restUrl: string;
  /** The user's Cognito JWT, or a promise of it; called again before it expires and after a refusal. */
  getToken: () => string | Promise<string>;
  /** Default: globalThis.WebSocket (Node 20 has none: pass the ws package's WebSocket). */
  WebSocket?: WebSocketConstructor;
  /** Default: globalThis.fetch. */
  fetch?: FetchLike;
  /** Where the token goes: the `Authorization` query parameter (default) or `Sec-WebSocket-Protocol`. */
  tokenIn?: 'query' | 'protocol';
  /** Heartbeat interval; default 60 (the contract); 0 sends none. */
  heartbeatSeconds?: number;
  /** Ask the server for this heartbeat interval (`heartbeat=<s>` in the connect URL, 1-540). Default false: servers before issue 25 do not know it. */
  negotiateHeartbeat?: boolean;
  /** Send `keepalive` when nothing else was sent for this long (a Manifest V3 service worker: 25). Default 0 = never. */
  keepAliveSeconds?: number;
  /** Use subscription levels and presence-snapshot frames (pages while visible, status while hidden). Default true; an older server is detected and falls back to GET /presence. */
  levels?: boolean;
  /** Whether the friends list is on screen at start; default true. */
  visible?: boolean;
  /** API Gateway's maximum connection time; default 7200. The connection is renewed before it. */
  maxConnectionSeconds?: number;
  /** When to renew, as fractions of maxConnectionSeconds (a random point between them); default [0.85, 0.95]. */
  renewBetween?: [number, number];
  /** Full-jitter backoff: the n-th retry waits up to min(cap, base * 2^n); defaults 1000 and 30000. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** A connection up this long resets the backoff; default 30. */
  stableAfterSeconds?: number;
  /** Bounded waits: the handshake, and GET /presence or a presence snapshot; default 10000 each. */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** A token this close to its `exp` is replaced before use; default 60. */
  refreshTokenBeforeExpirySeconds?: number;
  network?: NetworkStatus;
  /** For tests: timers, clock and random source. */
  timers?: { setTimeout(callback: () => void, ms: number): unknown; clearTimeout(handle: unknown): void };
  now?: () => number;
  random?: () => number;
}

export type ClientError =
  /** An error frame from the server; `action` is what the client does about it. */
  | { kind: 'frame'; message: string; action: 'reconnect' | 'retry' | 'slow-down' | 'unknown-action' | 'refused' }
  /** A connection refused or failed before it opened (`status` when the runtime tells it: not browsers). */
  | { kind: 'handshake'; message: string; status?: number }
  | { kind: 'token'; message: string }
  | { kind: 'snapshot'; message: string; status?: number }
  /** A frame the client would not send (over 32 KB). */
  | { kind: 'send'; message: string };

export interface PresenceEvents {
  state: (state: ClientState) => void;
  /** The friends list changed (a snapshot or a push). */
  friends: (friends: PresenceEntry[]) => void;
  /** The user's own entry changed. */
  me: (me: PresenceEntry | null) => void;
  /** A (re)connect or renewal finished resynchronising. */
  synced: (info: { renewal: boolean }) => void;
  /** Every frame the server sent on the connection in use. */
  frame: (frame: Record<string, unknown>, text: string) => void;
  /** Every frame the client sent. */
  sent: (info: { text: string; kind: SentKind }) => void;
  error: (error: ClientError) => void;
  /** The connection in use closed (or the server no longer knew it); the client reconnects in retryInMs. */
  disconnected: (info: { code: number; reason: string; retryInMs: number }) => void;
}

export interface PresenceClient {
  readonly state: ClientState;
  start(): void;
  /** Closes the connection and cancels every timer. start() may be called again. */
  stop(): void;
  /** Tells friends what the user is looking at ("" and "" hides it); re-sent after a reconnect. Returns whether it went out now. */
  setPage(url: string, title?: string): boolean;
  /** With levels on: pages while visible, status while hidden. With levels off it changes nothing on the wire. */
  setVisible(visible: boolean): void;
  /** Sends a frame as it is (tools and tests); returns whether it went out. */
  send(frame: string | object): boolean;
  /** Reads GET /presence once more (e.g. for lastActiveAt, which heartbeats move without a push); resolves whether it was applied. */
  refresh(): Promise<boolean>;
  /** The friends, as GET /presence's presenceArr, with the pushes since applied. */
  friends(): PresenceEntry[];
  /** The user's own entry (userPresence). */
  me(): PresenceEntry | null;
  /** Profiles of the user and the friends (userInfoMap). */
  profiles(): Record<string, UserInfo>;
  on<K extends keyof PresenceEvents>(event: K, listener: PresenceEvents[K]): () => void;
}

export function createPresenceClient(options: PresenceClientOptions): PresenceClient;

/** The n-th retry's delay: uniform in [0, min(cap, base * 2^n)). */
export function fullJitterDelay(attempt: number, limits: { baseMs: number; capMs: number }, random: () => number): number;

/** A JWT's `exp` in epoch ms (unverified), or undefined. */
export function tokenExpiresAt(token: string): number | undefined;
