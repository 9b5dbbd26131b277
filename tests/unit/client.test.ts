/**
 * The reference client (@presence-api/client) against a fake socket, a fake fetch and jest's fake
 * timers: backoff, token refresh, heartbeats, every close code and error frame of docs/CONTRACT.md,
 * resynchronisation and ordering, the renewal before the connection cap, the offline pause, levels
 * (with the fallback for a server without them), and stop() leaving nothing behind.
 */
import {
  createPresenceClient,
  fullJitterDelay,
  tokenExpiresAt,
  type ClientError,
  type ClientState,
  type NetworkStatus,
  type PresenceClientOptions,
  type PresenceEntry,
  type PresenceSnapshot,
} from '@presence-api/client';

// --- fakes --------------------------------------------------------------------------------------

type Listener = (event: unknown) => void;

class FakeSocket {
  readyState = 0;
  readonly sent: string[] = [];
  closedWith?: { code?: number; reason?: string };
  private readonly listeners = new Map<string, Listener[]>();

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {}

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  send(text: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(text);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  // What the server and the network do:
  open(): void {
    this.readyState = 1;
    this.fire('open', {});
  }
  receive(frame: object | string): void {
    this.fire('message', { data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }
  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.fire('close', { code, reason });
  }
  /** A refused handshake, as Node's ws reports it (browsers say nothing about the status). */
  refuse(status?: number): void {
    this.fire('error', { message: status ? `Unexpected server response: ${status}` : 'error' });
    this.readyState = 3;
    this.fire('close', { code: 1006, reason: '' });
  }
  actions(): string[] {
    return this.sent.map((text) => (JSON.parse(text) as { action: string }).action);
  }
  private fire(type: string, event: unknown): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

/** A JWT-shaped token (the client reads `exp`, never verifies). */
function jwt(userId: string, expiresAtMs: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part({ sub: userId, exp: Math.floor(expiresAtMs / 1000) })}.c2lnbmF0dXJl`;
}

/** mulberry32: a seeded uniform [0, 1) source, so the jitter tests are repeatable. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const entry = (userId: string, fields: Partial<PresenceEntry> = {}): PresenceEntry => ({
  userId,
  page: null,
  latestPage: null,
  lastActiveAt: null,
  lastSeenAt: null,
  ...fields,
});
const online = (url = '', title = '', at?: number): Partial<PresenceEntry> => ({
  page: { url, title, domain: url ? new URL(url).hostname : '' },
  lastActiveAt: '2026-12-01T12:00:00.000Z',
  ...(at === undefined ? {} : { at }),
});
const snapshotOf = (friends: PresenceEntry[], self = entry('alice', online())): PresenceSnapshot => ({
  userPresence: self,
  presenceArr: friends,
  userInfoMap: {},
});
const push = (userId: string, url: string, at?: number) => ({
  type: 'update-presence',
  userId,
  url,
  title: url ? `title of ${url}` : '',
  domain: '',
  latestUrl: url,
  latestTitle: '',
  latestDomain: '',
  ...(at === undefined ? {} : { at }),
});
const timeout = (userId: string, at?: number) => ({ type: 'presence-timeout', userId, ...(at === undefined ? {} : { at }) });

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

class FakeNetwork implements NetworkStatus {
  private isOnline = true;
  private readonly listeners = new Set<(online: boolean) => void>();
  online(): boolean {
    return this.isOnline;
  }
  onChange(listener: (online: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(online: boolean): void {
    this.isOnline = online;
    for (const listener of this.listeners) listener(online);
  }
  get watchers(): number {
    return this.listeners.size;
  }
}

const HOUR = 3600_000;

function harness(options: Partial<PresenceClientOptions> = {}) {
  const sockets: FakeSocket[] = [];
  class WebSocket extends FakeSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  let tokenCount = 0;
  const issued: string[] = [];
  const getToken = jest.fn(async () => {
    const token = jwt('alice', Date.now() + HOUR + tokenCount++ * 1000);
    issued.push(token);
    return token;
  });
  let reply: (call: number) => Reply | Promise<Reply> = () => ({
    status: 200,
    body: snapshotOf([entry('bob', online('https://a.example/'))]),
  });
  const fetch = jest.fn(async (_url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => {
    const answer = await reply(fetch.mock.calls.length);
    if (init.signal.aborted) throw new Error('aborted');
    return {
      ok: answer.status >= 200 && answer.status < 300,
      status: answer.status,
      headers: { get: (name: string) => answer.headers?.[name] ?? null },
      json: async () => answer.body,
    };
  });
  const network = new FakeNetwork();
  const client = createPresenceClient({
    webSocketUrl: 'wss://ws.example/prod',
    restUrl: 'https://rest.example/prod',
    getToken,
    WebSocket,
    fetch,
    network,
    random: seeded(42),
    // Most tests here follow the GET /presence flow every server answers; the levels tests turn it on.
    levels: false,
    ...options,
  });
  const states: ClientState[] = [];
  const errors: ClientError[] = [];
  const disconnects: Array<{ code: number; reason: string; retryInMs: number }> = [];
  const everything: unknown[] = [];
  client.on('state', (state) => states.push(state));
  client.on('error', (error) => errors.push(error));
  client.on('disconnected', (info) => disconnects.push(info));
  for (const event of ['state', 'friends', 'me', 'synced', 'frame', 'sent', 'error', 'disconnected'] as const) {
    client.on(event, (...args: unknown[]) => everything.push(args));
  }
  return {
    client,
    sockets,
    last: () => sockets[sockets.length - 1]!,
    getToken,
    issued,
    fetch,
    network,
    states,
    errors,
    disconnects,
    everything,
    answer(next: (call: number) => Reply | Promise<Reply>) {
      reply = next;
    },
  };
}

type Harness = ReturnType<typeof harness>;

/** Lets promises (getToken, fetch) settle without moving the clock. */
const settle = () => jest.advanceTimersByTimeAsync(0);

/** start(), open the socket, let GET /presence answer: the client is open. */
async function connected(h: Harness): Promise<FakeSocket> {
  h.client.start();
  await settle();
  const socket = h.last();
  socket.open();
  await settle();
  expect(h.client.state).toBe('open');
  return socket;
}

beforeEach(() => {
  jest.useFakeTimers({ now: Date.parse('2026-12-01T12:00:00Z') });
});

afterEach(() => {
  jest.useRealTimers();
});

// --- backoff ------------------------------------------------------------------------------------

describe('full-jitter backoff', () => {
  const limits = { baseMs: 1000, capMs: 30_000 };

  it('stays within [0, min(cap, base * 2^n)) for every attempt, reaching near both ends', () => {
    const random = seeded(7);
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(30_000, 1000 * 2 ** attempt);
      const delays = Array.from({ length: 2000 }, () => fullJitterDelay(attempt, limits, random));
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...delays)).toBeLessThan(ceiling);
      expect(Math.min(...delays)).toBeLessThan(ceiling * 0.01);
      expect(Math.max(...delays)).toBeGreaterThan(ceiling * 0.99);
    }
    expect(fullJitterDelay(0, limits, () => 0.999_999)).toBe(999);
    expect(fullJitterDelay(100, limits, () => 0.999_999)).toBe(29_999);
  });

  it('spreads uniformly: ten equal buckets each hold about a tenth (chi-square, 9 degrees of freedom)', () => {
    const random = seeded(2026);
    const samples = 20_000;
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < samples; i++) buckets[Math.floor(fullJitterDelay(5, limits, random) / 3000)]! += 1;
    const expected = samples / 10;
    const chiSquare = buckets.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    // 21.67 is the 99th percentile of chi-square with 9 degrees of freedom.
    expect(chiSquare).toBeLessThan(21.67);
  });

  it('is what the client waits between failed connection attempts, growing until a connection stays up', async () => {
    const h = harness({ random: () => 0.999 });
    h.client.start();
    await settle();
    const waits: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      const before = h.sockets.length;
      h.last().refuse(503);
      await settle();
      let waited = 0;
      while (h.sockets.length === before) {
        await jest.advanceTimersByTimeAsync(100);
        waited += 100;
      }
      waits.push(waited);
    }
    // random() = 0.999: each wait is just under its ceiling (1, 2, 4, 8, 16, 30, 30 s).
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    // A connection that stays up past stableAfterSeconds resets the backoff.
    const socket = h.last();
    socket.open();
    await settle();
    await jest.advanceTimersByTimeAsync(31_000);
    socket.serverClose(1001, 'Going away');
    expect(h.disconnects.at(-1)!.retryInMs).toBe(999);
    h.client.stop();
  });
});

// --- tokens -------------------------------------------------------------------------------------

describe('tokens', () => {
  it('reads exp from the JWT payload without verifying it', () => {
    expect(tokenExpiresAt(jwt('alice', Date.parse('2026-12-01T13:00:00Z')))).toBe(Date.parse('2026-12-01T13:00:00Z'));
    expect(tokenExpiresAt('not-a-token')).toBeUndefined();
    expect(tokenExpiresAt('a.%%%.c')).toBeUndefined();
    const withPayload = (json: string) => `a.${Buffer.from(json).toString('base64url')}.c`;
    expect(tokenExpiresAt(withPayload('{"exp":"1790000000"}'))).toBeUndefined();
    expect(tokenExpiresAt(withPayload('null'))).toBeUndefined();
    expect(tokenExpiresAt(withPayload('{"exp":1790000000}'))).toBe(1790000000 * 1000);
  });

  it('goes in the Authorization query parameter by default, or in Sec-WebSocket-Protocol beside presence.v1', async () => {
    const query = harness();
    query.client.start();
    await settle();
    const url = new URL(query.last().url);
    expect(url.searchParams.get('Authorization')).toBe(query.issued[0]);
    expect(query.last().protocols).toBeUndefined();
    query.client.stop();

    const header = harness({ tokenIn: 'protocol' });
    header.client.start();
    await settle();
    expect(header.last().url).toBe('wss://ws.example/prod');
    expect(header.last().protocols).toEqual(['presence.v1', header.issued[0]]);
    header.client.stop();
  });

  it('asks getToken again before the token expires, and uses a held one while it is fresh', async () => {
    const h = harness();
    const first = await connected(h);
    expect(h.getToken).toHaveBeenCalledTimes(1);
    // A reconnect 10 minutes later: the token is still good for 50 minutes.
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    first.serverClose(1001, 'Going away');
    await jest.advanceTimersByTimeAsync(1000);
    expect(h.getToken).toHaveBeenCalledTimes(1);
    expect(new URL(h.last().url).searchParams.get('Authorization')).toBe(h.issued[0]);
    h.last().open();
    await settle();
    // 49.5 minutes on, the token is within 60 s of its exp: the next connection gets a fresh one.
    await jest.advanceTimersByTimeAsync(49.5 * 60_000);
    h.last().serverClose(1001, 'Going away');
    await jest.advanceTimersByTimeAsync(1000);
    expect(h.getToken).toHaveBeenCalledTimes(2);
    expect(new URL(h.last().url).searchParams.get('Authorization')).toBe(h.issued[1]);
    h.client.stop();
  });

  it.each([401, 403, undefined])('asks getToken again after a handshake refused with %s', async (status) => {
    const h = harness();
    h.client.start();
    await settle();
    h.last().refuse(status);
    await jest.advanceTimersByTimeAsync(1000);
    expect(h.getToken).toHaveBeenCalledTimes(2);
    expect(new URL(h.last().url).searchParams.get('Authorization')).toBe(h.issued[1]);
    expect(h.errors).toEqual([expect.objectContaining({ kind: 'handshake', status })]);
    h.client.stop();
  });

  it('asks getToken again when GET /presence answers 401, and retries at once', async () => {
    const h = harness();
    const fresh = snapshotOf([]);
    h.answer((call) => (call === 1 ? { status: 401, body: { message: 'Unauthorized' } } : { status: 200, body: fresh }));
    await connected(h);
    expect(h.fetch).toHaveBeenCalledTimes(2);
    expect(h.fetch.mock.calls[1]![1].headers.Authorization).toBe(h.issued[1]);
    h.client.stop();
  });

  it('never puts the token in an event, an error or a state', async () => {
    const h = harness();
    h.client.start();
    await settle();
    h.last().refuse(403);
    await jest.advanceTimersByTimeAsync(1000);
    h.last().open();
    await settle();
    h.last().receive({ type: 'error', message: 'rate-limited' });
    h.last().serverClose(1000, 'Connection deleted');
    const seen = JSON.stringify(h.everything);
    for (const token of h.issued) expect(seen).not.toContain(token.split('.')[1]);
    expect(h.issued.length).toBeGreaterThan(0);
    h.client.stop();
  });

  it('stops with one error after a handshake refused with 400 (a bad heartbeat parameter is a client bug)', async () => {
    const h = harness();
    h.client.start();
    await settle();
    h.last().refuse(400);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(h.client.state).toBe('stopped');
    expect(h.sockets).toHaveLength(1);
    expect(h.errors.at(-1)).toMatchObject({ kind: 'handshake', status: 400 });
  });
});

// --- heartbeats, keep-alive and stop() ------------------------------------------------------------

describe('heartbeats and timers', () => {
  it('heartbeats every 60 s, counted from the last heartbeat or update', async () => {
    const h = harness();
    const socket = await connected(h);
    await jest.advanceTimersByTimeAsync(59_999);
    expect(socket.actions()).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(socket.actions()).toEqual(['heartbeat']);
    await jest.advanceTimersByTimeAsync(30_000);
    h.client.setPage('https://a.example/', 'A');
    await jest.advanceTimersByTimeAsync(59_000);
    expect(socket.actions()).toEqual(['heartbeat', 'update-presence']);
    await jest.advanceTimersByTimeAsync(1000);
    expect(socket.actions()).toEqual(['heartbeat', 'update-presence', 'heartbeat']);
    h.client.stop();
  });

  it('negotiates a heartbeat interval in the connect URL when asked, and heartbeats at it', async () => {
    const h = harness({ heartbeatSeconds: 300, negotiateHeartbeat: true });
    const socket = await connected(h);
    expect(new URL(socket.url).searchParams.get('heartbeat')).toBe('300');
    await jest.advanceTimersByTimeAsync(300_000);
    expect(socket.actions()).toEqual(['heartbeat']);
    h.client.stop();
    expect(() => harness({ heartbeatSeconds: 0, negotiateHeartbeat: true })).toThrow(
      /negotiateHeartbeat needs heartbeatSeconds to be a whole number from 1 to 540/,
    );
    expect(new URL((await connected(harness({ heartbeatSeconds: 300 }))).url).searchParams.has('heartbeat')).toBe(false);
  });

  it('sends keepalive when nothing else went out for keepAliveSeconds, and heartbeats instead on a server without the route', async () => {
    const h = harness({ keepAliveSeconds: 25, heartbeatSeconds: 300, negotiateHeartbeat: true });
    const socket = await connected(h);
    await jest.advanceTimersByTimeAsync(25_000);
    expect(socket.actions()).toEqual(['keepalive']);
    h.client.setPage('https://a.example/', 'A');
    await jest.advanceTimersByTimeAsync(24_999);
    expect(socket.actions()).toEqual(['keepalive', 'update-presence']);
    await jest.advanceTimersByTimeAsync(1);
    expect(socket.actions()).toEqual(['keepalive', 'update-presence', 'keepalive']);
    socket.receive({ type: 'error', message: 'Unknown action "keepalive"; expected one of: heartbeat, update-presence' });
    await jest.advanceTimersByTimeAsync(25_000);
    expect(socket.actions().at(-1)).toBe('heartbeat');
    h.client.stop();
  });

  it('sends no heartbeat with heartbeatSeconds 0', async () => {
    const h = harness({ heartbeatSeconds: 0 });
    const socket = await connected(h);
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    expect(socket.sent).toEqual([]);
    h.client.stop();
  });

  it('stop() closes the socket and leaves no timer, no network listener and no reconnect behind', async () => {
    const h = harness();
    const socket = await connected(h);
    expect(jest.getTimerCount()).toBeGreaterThan(0); // heartbeat and renewal
    expect(h.network.watchers).toBe(1);
    h.client.stop();
    expect(jest.getTimerCount()).toBe(0);
    expect(h.network.watchers).toBe(0);
    expect(socket.closedWith).toEqual({ code: 1000, reason: 'client stopped' });
    expect(h.client.state).toBe('stopped');
    socket.serverClose(1000);
    await jest.advanceTimersByTimeAsync(HOUR);
    expect(h.sockets).toHaveLength(1);
    expect(h.states).toEqual(['connecting', 'open', 'stopped']);
  });

  it('stop() in the middle of a reconnect, a GET /presence or a backoff leaves no timer either', async () => {
    const h = harness();
    h.answer(() => new Promise(() => undefined)); // GET /presence never answers
    h.client.start();
    await settle();
    h.last().open();
    await settle();
    h.client.stop();
    expect(jest.getTimerCount()).toBe(0);
    h.client.start();
    await settle();
    h.last().refuse(503);
    await settle();
    expect(jest.getTimerCount()).toBe(1); // the backoff
    h.client.stop();
    expect(jest.getTimerCount()).toBe(0);
  });
});

// --- close codes and error frames -----------------------------------------------------------------

describe('close codes', () => {
  it.each([
    [1000, 'Connection deleted'],
    [1001, 'Going away'],
    [1006, ''],
    [1009, 'Message too big'],
    [1011, 'Internal error'],
  ])('reconnects after %s, within the backoff, and resynchronises', async (code, reason) => {
    const h = harness();
    const socket = await connected(h);
    await jest.advanceTimersByTimeAsync(40_000);
    socket.serverClose(code, reason);
    expect(h.client.state).toBe('reconnecting');
    const [disconnect] = h.disconnects;
    expect(disconnect).toMatchObject({ code, reason });
    expect(disconnect!.retryInMs).toBeLessThan(1000);
    await jest.advanceTimersByTimeAsync(disconnect!.retryInMs);
    expect(h.sockets).toHaveLength(2);
    h.last().open();
    await settle();
    expect(h.client.state).toBe('open');
    expect(h.fetch).toHaveBeenCalledTimes(2);
    expect(h.states).toEqual(['connecting', 'open', 'reconnecting', 'open']);
    h.client.stop();
  });

  it('never sends a frame over 32 KB (API Gateway would close with 1009), so no page it keeps to resend can close a connection', async () => {
    const h = harness();
    const socket = await connected(h);
    expect(h.client.setPage('https://a.example/', 'x'.repeat(40_000))).toBe(false);
    expect(h.errors).toEqual([
      expect.objectContaining({ kind: 'send', message: expect.stringMatching(/over the 32768 API Gateway accepts/) }),
    ]);
    expect(socket.sent).toEqual([]);
    expect(h.client.send('y'.repeat(33_000))).toBe(false);
    expect(socket.sent).toEqual([]);
    h.client.stop();
  });

  it('backs off more after the server closed a flooding connection (rate-limited, then 1000)', async () => {
    const h = harness();
    const socket = await connected(h);
    await jest.advanceTimersByTimeAsync(40_000);
    socket.receive({ type: 'error', message: 'rate-limited' });
    socket.serverClose(1000, 'Connection deleted');
    expect(h.disconnects[0]!.retryInMs).toBeGreaterThanOrEqual(15_000);
    expect(h.disconnects[0]!.retryInMs).toBeLessThan(30_000);
    await jest.advanceTimersByTimeAsync(14_999);
    expect(h.sockets).toHaveLength(1);
    h.client.stop();
  });
});

describe('error frames', () => {
  it('"Connection is not registered; reconnect": a new connection at once, a fresh snapshot, the page sent again', async () => {
    const h = harness();
    const socket = await connected(h);
    h.client.setPage('https://a.example/', 'A');
    await jest.advanceTimersByTimeAsync(40_000);
    h.answer(() => ({ status: 200, body: snapshotOf([entry('bob')]) })); // Redis lost bob
    socket.receive({ type: 'error', message: 'Connection is not registered; reconnect' });
    expect(socket.closedWith).toEqual({ code: 1000, reason: 'reconnecting' });
    expect(h.disconnects[0]).toMatchObject({ retryInMs: 0 });
    await settle();
    expect(h.sockets).toHaveLength(2);
    h.last().open();
    expect(h.last().actions()).toEqual(['update-presence']);
    await settle();
    expect(h.client.state).toBe('open');
    expect(h.client.friends()).toEqual([entry('bob')]);
    // The server's own close of the old socket changes nothing.
    socket.serverClose(1000, 'Connection deleted');
    await jest.advanceTimersByTimeAsync(5000);
    expect(h.sockets).toHaveLength(2);
    h.client.stop();
  });

  it('"temporarily unavailable, retry": resends the unconfirmed page after a moment, never a heartbeat', async () => {
    const h = harness();
    const socket = await connected(h);
    h.client.setPage('https://a.example/', 'A');
    socket.receive({ type: 'error', message: 'temporarily unavailable, retry' });
    await jest.advanceTimersByTimeAsync(499);
    expect(socket.actions()).toEqual(['update-presence']);
    await jest.advanceTimersByTimeAsync(1000);
    expect(socket.actions()).toEqual(['update-presence', 'update-presence']);
    // The echo confirms it: a later "retry" (answering a heartbeat) resends nothing.
    socket.receive(push('alice', 'https://a.example/'));
    await jest.advanceTimersByTimeAsync(60_000);
    expect(socket.actions()).toEqual(['update-presence', 'update-presence', 'heartbeat']);
    socket.receive({ type: 'error', message: 'temporarily unavailable, retry' });
    await jest.advanceTimersByTimeAsync(30_000);
    expect(socket.actions()).toEqual(['update-presence', 'update-presence', 'heartbeat']);
    expect(h.client.state).toBe('open');
    h.client.stop();
  });

  it('"rate-limited": never resends, and sends only the latest page, at most one per 5 s, for a minute', async () => {
    const h = harness();
    const socket = await connected(h);
    h.client.setPage('https://a.example/1', '1');
    socket.receive({ type: 'error', message: 'rate-limited' });
    h.client.setPage('https://a.example/2', '2');
    h.client.setPage('https://a.example/3', '3');
    await jest.advanceTimersByTimeAsync(4999);
    expect(socket.sent.map((text) => JSON.parse(text).url)).toEqual(['https://a.example/1']);
    await jest.advanceTimersByTimeAsync(1);
    expect(socket.sent.map((text) => JSON.parse(text).url)).toEqual(['https://a.example/1', 'https://a.example/3']);
    await jest.advanceTimersByTimeAsync(60_000);
    h.client.setPage('https://a.example/4', '4');
    expect(socket.sent.map((text) => JSON.parse(text).url).at(-1)).toBe('https://a.example/4');
    expect(h.client.state).toBe('open');
    h.client.stop();
  });

  it('any other error frame: reported, and the connection stays in use', async () => {
    const h = harness();
    const socket = await connected(h);
    socket.receive({ type: 'error', message: '"url" must be a string ("" when the page is hidden)' });
    socket.receive({ message: 'Forbidden', connectionId: 'x', requestId: 'y' });
    socket.receive('not json');
    expect(h.errors).toEqual([{ kind: 'frame', message: '"url" must be a string ("" when the page is hidden)', action: 'refused' }]);
    expect(socket.closedWith).toBeUndefined();
    expect(h.client.state).toBe('open');
    h.client.stop();
  });
});

// --- resynchronisation and ordering ---------------------------------------------------------------

describe('resynchronisation', () => {
  it('applies pushes that arrived while GET /presence was on its way after the snapshot, in arrival order (no at)', async () => {
    const h = harness();
    let answer!: (reply: Reply) => void;
    h.answer(() => new Promise<Reply>((resolve) => (answer = resolve)));
    h.client.start();
    await settle();
    const socket = h.last();
    socket.open();
    await settle();
    socket.receive(push('bob', 'https://b.example/1'));
    socket.receive(push('bob', 'https://b.example/2'));
    socket.receive(timeout('dave'));
    expect(h.client.friends()).toEqual([]);
    answer({ status: 200, body: snapshotOf([entry('bob', online('https://b.example/0')), entry('dave', online())]) });
    await settle();
    const friends = h.client.friends();
    expect(friends.map((friend) => [friend.userId, friend.page?.url ?? null])).toEqual([
      ['bob', 'https://b.example/2'],
      ['dave', null],
    ]);
    h.client.stop();
  });

  it('discards a push older than the snapshot, and a snapshot entry never overrides a newer push (by at)', async () => {
    const h = harness();
    let answer!: (reply: Reply) => void;
    h.answer(() => new Promise<Reply>((resolve) => (answer = resolve)));
    h.client.start();
    await settle();
    const socket = h.last();
    socket.open();
    await settle();
    socket.receive(push('bob', 'https://b.example/old', 1000)); // older than the snapshot's bob
    socket.receive(push('dave', 'https://d.example/new', 3000)); // newer than the snapshot's dave
    answer({
      status: 200,
      body: snapshotOf([
        entry('bob', online('https://b.example/snap', '', 2000)),
        entry('dave', online('https://d.example/snap', '', 2000)),
      ]),
    });
    await settle();
    expect(h.client.friends().map((friend) => [friend.userId, friend.page?.url, friend.at])).toEqual([
      ['bob', 'https://b.example/snap', 2000],
      ['dave', 'https://d.example/new', 3000],
    ]);
    // Later pushes: a stale one (at 2500 < 3000) is discarded, a newer one applies.
    socket.receive(push('dave', 'https://d.example/stale', 2500));
    socket.receive(timeout('bob', 4000));
    expect(h.client.friends().map((friend) => [friend.userId, friend.page?.url ?? null])).toEqual([
      ['bob', null],
      ['dave', 'https://d.example/new'],
    ]);
    expect(h.client.friends()[0]).toEqual(entry('bob', { lastSeenAt: new Date(4000).toISOString(), at: 4000 }));
    h.client.stop();
  });

  it('keeps friends() in the shape of presenceArr, the user apart in me(), and tells listeners', async () => {
    const h = harness();
    const lists: PresenceEntry[][] = [];
    h.client.on('friends', (friends) => lists.push(friends));
    const socket = await connected(h);
    socket.receive(push('carol', 'https://c.example/'));
    socket.receive(push('alice', 'https://me.example/'));
    expect(h.client.friends().map((friend) => Object.keys(friend).sort())).toEqual([
      ['lastActiveAt', 'lastSeenAt', 'latestPage', 'page', 'userId'],
      ['lastActiveAt', 'lastSeenAt', 'latestPage', 'page', 'userId'],
    ]);
    expect(h.client.me()?.page?.url).toBe('https://me.example/');
    expect(lists.map((list) => list.map((friend) => friend.userId))).toEqual([['bob'], ['bob', 'carol']]);
    h.client.stop();
  });

  it('retries GET /presence after a 503 (honouring Retry-After) while the connection stays, and is open only after it', async () => {
    const h = harness();
    h.answer((call) => (call <= 2 ? { status: 503, headers: { 'Retry-After': '2' } } : { status: 200, body: snapshotOf([]) }));
    h.client.start();
    await settle();
    h.last().open();
    await settle();
    expect(h.client.state).toBe('connecting');
    await jest.advanceTimersByTimeAsync(1999);
    expect(h.fetch).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(2001);
    expect(h.fetch).toHaveBeenCalledTimes(3);
    expect(h.client.state).toBe('open');
    expect(h.errors.filter((error) => error.kind === 'snapshot')).toHaveLength(2);
    h.client.stop();
  });

  it('refresh() reads the snapshot again, holding pushes that arrive meanwhile', async () => {
    const h = harness();
    const socket = await connected(h);
    let answer!: (reply: Reply) => void;
    h.answer(() => new Promise<Reply>((resolve) => (answer = resolve)));
    const refreshed = h.client.refresh();
    await settle();
    socket.receive(push('bob', 'https://b.example/after'));
    expect(h.client.friends()[0]!.page?.url).toBe('https://a.example/');
    answer({ status: 200, body: snapshotOf([entry('bob', online('https://b.example/before')), entry('dave')]) });
    expect(await refreshed).toBe(true);
    expect(h.client.friends().map((friend) => [friend.userId, friend.page?.url ?? null])).toEqual([
      ['bob', 'https://b.example/after'],
      ['dave', null],
    ]);
    h.client.stop();
  });

  it('refresh() tries once: on a 503 the pushes held meanwhile apply and the connection stays in use', async () => {
    const h = harness();
    const socket = await connected(h);
    let answer!: (reply: Reply) => void;
    h.answer(() => new Promise<Reply>((resolve) => (answer = resolve)));
    const refreshed = h.client.refresh();
    await settle();
    socket.receive(push('bob', 'https://b.example/held'));
    answer({ status: 503, headers: { 'Retry-After': '2' } });
    expect(await refreshed).toBe(false);
    expect(h.client.friends()[0]!.page?.url).toBe('https://b.example/held');
    await jest.advanceTimersByTimeAsync(10_000);
    expect(h.fetch).toHaveBeenCalledTimes(2);
    socket.receive(push('bob', 'https://b.example/live'));
    expect(h.client.friends()[0]!.page?.url).toBe('https://b.example/live');
    expect(h.client.state).toBe('open');
    h.client.stop();
  });

  it('replaces a connection whose snapshot is so late that thousands of pushes wait for it', async () => {
    const h = harness();
    h.answer(() => new Promise<Reply>(() => undefined));
    h.client.start();
    await settle();
    const socket = h.last();
    socket.open();
    await settle();
    for (let i = 0; i <= 5000; i++) socket.receive(push('bob', `https://b.example/${i}`));
    expect(socket.closedWith).toBeDefined();
    await jest.advanceTimersByTimeAsync(1000);
    expect(h.sockets).toHaveLength(2);
    h.client.stop();
  });
});

// --- renewal before the connection cap ------------------------------------------------------------

describe('renewal before the 2-hour cap', () => {
  it('opens the next connection between 85 % and 95 % of the cap, switches once it has resynchronised, then closes the old one', async () => {
    const h = harness({ random: () => 0.5 }); // renew at 90 %
    const old = await connected(h);
    h.client.setPage('https://a.example/', 'A');
    await jest.advanceTimersByTimeAsync(0.9 * 7200_000 - 1);
    expect(h.sockets).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.sockets).toHaveLength(2);
    const renewed = h.last();
    let answer!: (reply: Reply) => void;
    h.answer(() => new Promise<Reply>((resolve) => (answer = resolve)));
    renewed.open();
    await settle();
    // Until the new one has its snapshot, the old one is in use: its pushes apply, the new one's wait.
    old.receive(push('bob', 'https://b.example/1'));
    renewed.receive(push('bob', 'https://b.example/1'));
    expect(h.client.friends()[0]!.page?.url).toBe('https://b.example/1');
    expect(old.closedWith).toBeUndefined();
    answer({ status: 200, body: snapshotOf([entry('bob', online('https://b.example/0'))]) });
    await settle();
    expect(old.closedWith).toEqual({ code: 1000, reason: 'renewed' });
    expect(h.client.friends()[0]!.page?.url).toBe('https://b.example/1');
    // The old one's late frames are ignored; the page was not sent again (the user never went offline).
    old.receive(push('bob', 'https://b.example/late-duplicate'));
    expect(h.client.friends()[0]!.page?.url).toBe('https://b.example/1');
    expect(renewed.actions()).toEqual([]);
    old.serverClose(1000);
    expect(h.states).toEqual(['connecting', 'open']);
    expect(h.disconnects).toEqual([]);
    // Heartbeats go on the new connection.
    await jest.advanceTimersByTimeAsync(60_000);
    expect(renewed.actions()).toEqual(['heartbeat']);
    h.client.stop();
  });

  it('spreads renewals of a fleet across the window (seeded)', async () => {
    const random = seeded(99);
    const points: number[] = [];
    for (let i = 0; i < 200; i++) {
      const h = harness({ random, maxConnectionSeconds: 100 });
      const socket = await connected(h);
      const opened = Date.now();
      while (h.sockets.length === 1) await jest.advanceTimersByTimeAsync(500);
      points.push((Date.now() - opened) / 100_000);
      h.client.stop();
      expect(socket.closedWith).toBeDefined();
    }
    expect(Math.min(...points)).toBeGreaterThanOrEqual(0.85);
    expect(Math.max(...points)).toBeLessThanOrEqual(0.955);
    const buckets = [0, 0, 0, 0];
    for (const point of points) buckets[Math.min(3, Math.floor((point - 0.85) / 0.025))]! += 1;
    for (const count of buckets) expect(count).toBeGreaterThan(25); // 50 expected in each quarter
  });

  it('reconnects the usual way when the cap closes the old connection before the next one opened, and sends the page again', async () => {
    const h = harness({ random: () => 0.5, maxConnectionSeconds: 100 });
    const old = await connected(h);
    h.client.setPage('https://a.example/', 'A');
    await jest.advanceTimersByTimeAsync(90_000);
    expect(h.sockets).toHaveLength(2);
    old.serverClose(1001, 'Going away');
    expect(h.client.state).toBe('reconnecting');
    h.last().open();
    await settle();
    expect(h.client.state).toBe('open');
    expect(h.last().actions()).toEqual(['update-presence']);
    h.client.stop();
  });
});

// --- offline pause -----------------------------------------------------------------------------

describe('offline', () => {
  it('does not retry while offline, and retries at once when the network comes back', async () => {
    const h = harness();
    const socket = await connected(h);
    h.network.set(false);
    socket.serverClose(1006);
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    expect(h.sockets).toHaveLength(1);
    expect(h.client.state).toBe('reconnecting');
    h.network.set(true);
    await settle();
    expect(h.sockets).toHaveLength(2);
    h.last().open();
    await settle();
    expect(h.client.state).toBe('open');
    h.client.stop();
  });

  it('does not connect at start while offline; back online, it replaces a socket that may have died, closing the old one after', async () => {
    const h = harness();
    h.network.set(false);
    h.client.start();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(h.sockets).toHaveLength(0);
    expect(h.client.state).toBe('connecting');
    h.network.set(true);
    await settle();
    h.last().open();
    await settle();
    const first = h.last();
    h.network.set(false);
    h.network.set(true);
    await settle();
    expect(h.sockets).toHaveLength(2);
    expect(first.closedWith).toBeUndefined();
    h.last().open();
    await settle();
    expect(first.closedWith).toEqual({ code: 1000, reason: 'renewed' });
    h.client.stop();
  });
});

// --- subscription levels ------------------------------------------------------------------------

describe('subscription levels (levels: true)', () => {
  const snapshotFrame = (part: number, parts: number, friends: PresenceEntry[], self?: PresenceEntry) => ({
    type: 'presence-snapshot',
    snapshotId: 's1',
    part,
    parts,
    ...(self ? { userPresence: self } : {}),
    presenceArr: friends,
    userInfoMap: Object.fromEntries(
      friends.map((friend) => [friend.userId, { user_id: friend.userId, first_name: 'F', last_name: 'L', profile_image_extension: null }]),
    ),
  });

  it('resynchronises from the presence-snapshot frames answering its first subscribe (pages), without GET /presence', async () => {
    const h = harness({ levels: true });
    h.client.start();
    await settle();
    const socket = h.last();
    socket.open();
    expect(socket.sent).toEqual(['{"action":"subscribe","level":"pages"}']);
    socket.receive({ type: 'subscribed', level: 'pages' });
    socket.receive(snapshotFrame(1, 2, [entry('bob', online('https://b.example/', '', 10))], entry('alice', online('', '', 5))));
    expect(h.client.state).toBe('connecting');
    socket.receive(snapshotFrame(2, 2, [entry('dave', { at: 7 })]));
    expect(h.client.state).toBe('open');
    expect(h.fetch).not.toHaveBeenCalled();
    expect(h.client.friends().map((friend) => friend.userId)).toEqual(['bob', 'dave']);
    expect(Object.keys(h.client.profiles()).sort()).toEqual(['bob', 'dave']);
    h.client.stop();
  });

  it('subscribes to status while hidden and pages while visible; raising the level applies the snapshot that follows', async () => {
    const h = harness({ levels: true, visible: false });
    h.client.start();
    await settle();
    const socket = h.last();
    socket.open();
    expect(socket.sent).toEqual(['{"action":"subscribe","level":"status"}']);
    socket.receive({ type: 'subscribed', level: 'status' });
    socket.receive(snapshotFrame(1, 1, [entry('bob', online('https://b.example/old', '', 10))], entry('alice', online())));
    expect(h.client.state).toBe('open');
    h.client.setVisible(true);
    expect(socket.sent.at(-1)).toBe('{"action":"subscribe","level":"pages"}');
    socket.receive({ type: 'subscribed', level: 'pages' });
    socket.receive({
      ...snapshotFrame(1, 1, [entry('bob', online('https://b.example/new', '', 20))], entry('alice', online())),
      snapshotId: 's2',
    });
    expect(h.client.friends()[0]!.page?.url).toBe('https://b.example/new');
    h.client.setVisible(false);
    expect(socket.sent.at(-1)).toBe('{"action":"subscribe","level":"status"}');
    h.client.stop();
  });

  it('falls back to GET /presence and no levels on a server that answers subscribe with "Unknown action"', async () => {
    const h = harness({ levels: true });
    h.client.start();
    await settle();
    const socket = h.last();
    socket.open();
    socket.receive({ type: 'error', message: 'Unknown action "subscribe"; expected one of: heartbeat, update-presence' });
    await settle();
    expect(h.client.state).toBe('open');
    expect(h.fetch).toHaveBeenCalledTimes(1);
    h.client.setVisible(false);
    expect(socket.actions()).toEqual(['subscribe']);
    // The next connection does not try again.
    socket.serverClose(1001, 'Going away');
    await jest.advanceTimersByTimeAsync(1000);
    h.last().open();
    await settle();
    expect(h.last().sent).toEqual([]);
    expect(h.fetch).toHaveBeenCalledTimes(2);
    h.client.stop();
  });

  it('counts a subscribe as activity: the next heartbeat waits a full interval after it', async () => {
    const h = harness({ levels: true });
    h.client.start();
    await settle();
    const socket = h.last();
    socket.open();
    socket.receive({ type: 'subscribed', level: 'pages' });
    socket.receive(snapshotFrame(1, 1, [], entry('alice', online())));
    expect(h.client.state).toBe('open');
    await jest.advanceTimersByTimeAsync(30_000);
    h.client.setVisible(false);
    socket.receive({ type: 'subscribed', level: 'status' });
    await jest.advanceTimersByTimeAsync(59_999);
    expect(socket.actions()).toEqual(['subscribe', 'subscribe']);
    await jest.advanceTimersByTimeAsync(1);
    expect(socket.actions()).toEqual(['subscribe', 'subscribe', 'heartbeat']);
    h.client.stop();
  });

  it('uses levels unless told not to', async () => {
    const h = harness({ levels: undefined });
    h.client.start();
    await settle();
    h.last().open();
    expect(h.last().actions()).toEqual(['subscribe']);
    h.client.stop();
  });

  it('with levels off, setVisible sends nothing', async () => {
    const h = harness();
    const socket = await connected(h);
    h.client.setVisible(false);
    h.client.setVisible(true);
    expect(socket.sent).toEqual([]);
    h.client.stop();
  });

  it('gives up on a connection whose snapshot does not come, and tries another', async () => {
    const h = harness({ levels: true });
    h.client.start();
    await settle();
    h.last().open();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(h.last().closedWith).toBeDefined();
    await jest.advanceTimersByTimeAsync(1000);
    expect(h.sockets).toHaveLength(2);
    h.client.stop();
  });
});

describe('options', () => {
  it('refuses a wrong option with one line naming it', () => {
    const base = {
      webSocketUrl: 'wss://x.example',
      restUrl: 'https://x.example',
      getToken: () => 't',
      WebSocket: FakeSocket,
      fetch: jest.fn(),
    };
    expect(() => createPresenceClient({ ...base, webSocketUrl: 'https://x.example?Authorization=secret' })).toThrow(
      'createPresenceClient: webSocketUrl must be a ws: or wss:// URL, got https://x.example',
    );
    expect(() => createPresenceClient({ ...base, heartbeatSeconds: -1 })).toThrow(
      /heartbeatSeconds must be a number from 0 to 540, got -1$/,
    );
    expect(() => createPresenceClient({ ...base, heartbeatSeconds: '30' as unknown as number })).toThrow(
      /heartbeatSeconds must be a number from 0 to 540, got string$/,
    );
    expect(() => createPresenceClient({ ...base, WebSocket: undefined })).toThrow(
      /this runtime has no WebSocket; pass one as the WebSocket option/,
    );
    expect(() => createPresenceClient({ ...base, renewBetween: [0.95, 0.85] })).toThrow(/renewBetween/);
    expect(() => createPresenceClient({ ...base, maxConnectionSeconds: 8000 })).toThrow(/maxConnectionSeconds/);
  });
});
