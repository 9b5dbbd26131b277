/**
 * One simulated user on the real stack: runs the user's plan (sessions, page changes, REST
 * snapshots) on the simulated clock, opens a WebSocket per device, and lets the user's client model
 * decide the rest (periodic frames, reconnects). Every frame received is read and counted.
 */
import WebSocket from 'ws';
import type { ClientModel } from './clients';
import type { EventHandle, LagRecorder, SimulatedClock } from './clock';
import { PeriodicFrames } from './clients/periodic';
import { nextPage } from './pages';
import type { SimulationParams } from './params';
import type { SimulatedUserSpec } from './population';
import { streamFor, type Random } from './random';
import type { SessionPlan, UserPlan } from './schedule';
import { Tally, type FlapDetector } from './tally';
import type { TokenMinter } from './tokens';

const HANDSHAKE_TIMEOUT_MS = 15_000;

/** A frame's field as text ("" when absent or not a string). */
const textOf = (value: unknown): string => (typeof value === 'string' ? value : '');
const REST_TIMEOUT_MS = 15_000;

/** What every user shares: the clock, the stack's URLs, tokens and the counters. */
export interface SimulationContext {
  clock: SimulatedClock;
  params: SimulationParams;
  websocketUrl: string;
  restUrl: string;
  tokens: TokenMinter;
  /** The counters now (replaced when the measurement starts). */
  tally: Tally;
  flaps: FlapDetector;
  /** update-presence sent -> the sender's own copy received (wall ms). */
  echoLag: LagRecorder;
  /** GET /presence round trips (wall ms). */
  restLag: LagRecorder;
  /** Whether the user with this id has a live (open, not vanished) connection now. */
  isOnline(userId: string): boolean;
  connections: ConnectionLedger;
}

/** Every socket opened, for the connection-hours and the final close. */
export class ConnectionLedger {
  readonly connecting = new Set<SimulatedConnection>();
  readonly open = new Set<SimulatedConnection>();
  private closedSeconds = 0;
  private liveClosedSeconds = 0;

  constructor(private readonly window: () => { start: number; end: number }) {}

  private clip(from: number, to: number): number {
    const { start, end } = this.window();
    return Math.max(0, Math.min(to, end) - Math.max(from, start));
  }

  closed(connection: SimulatedConnection, at: number): void {
    this.open.delete(connection);
    this.closedSeconds += this.clip(connection.openedAt, at);
    this.liveClosedSeconds += this.clip(connection.openedAt, Math.min(at, connection.vanishedAt ?? at));
  }

  /** Simulated seconds sockets were open inside the window (all; and only while their client was live). */
  seconds(now: number): { all: number; live: number } {
    let all = this.closedSeconds;
    let live = this.liveClosedSeconds;
    for (const connection of this.open) {
      all += this.clip(connection.openedAt, now);
      live += this.clip(connection.openedAt, Math.min(now, connection.vanishedAt ?? now));
    }
    return { all, live };
  }

  /** Closes every socket still open or opening (the end of the run). */
  closeAll(): void {
    for (const connection of [...this.connecting, ...this.open]) connection.close();
  }

  /** Forgets what was counted before the window started (the window clips the rest). */
  reset(): void {
    this.closedSeconds = 0;
    this.liveClosedSeconds = 0;
  }
}

interface PendingEcho {
  url: string;
  title: string;
  sentAtMs: number;
}

type ConnectionState = 'connecting' | 'open' | 'closed';

export class SimulatedConnection {
  state: ConnectionState = 'connecting';
  /** Simulated time the handshake completed. */
  openedAt = 0;
  /** Set when the client vanished: it sends nothing more and never reconnects. */
  vanishedAt?: number;
  /** The client itself asked for the close (a session's clean end, or the run's end). */
  closingByClient = false;
  private refusedWith?: string;
  /** The renewal before the cap. */
  private renewal?: EventHandle;
  /** Heartbeats and keep-alives, from the handshake on. */
  private periodic?: PeriodicFrames;
  private readonly echoes: PendingEcho[] = [];
  readonly socket: WebSocket;

  constructor(
    readonly device: SimulatedDevice,
    private readonly context: SimulationContext,
    url: string,
  ) {
    this.socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    context.connections.connecting.add(this);
    this.socket.on('open', () => this.opened());
    this.socket.on('unexpected-response', (_request, response) => {
      this.refusedWith = String(response.statusCode ?? 'error');
      response.resume();
      this.socket.terminate();
    });
    this.socket.on('error', () => {
      this.refusedWith ??= 'error';
    });
    this.socket.on('message', (data: Buffer) => this.received(data.toString('utf8')));
    this.socket.on('close', (code) => this.closed(code));
  }

  get live(): boolean {
    return this.state === 'open' && this.vanishedAt === undefined;
  }

  private opened(): void {
    const { clock, tally } = this.context;
    this.state = 'open';
    this.openedAt = clock.now();
    this.context.connections.connecting.delete(this);
    this.context.connections.open.add(this);
    const user = this.device.user;
    const cameOnline = !user.connections().some((other) => other !== this && other.live);
    tally.connects += 1;
    this.device.connectedAfter(this);
    if (!this.device.active) {
      // The session ended while the handshake ran.
      this.close();
      return;
    }
    if (cameOnline) this.context.flaps.cameOnline(user.spec.userId, this.openedAt);
    const model = user.model;
    this.periodic = new PeriodicFrames(model.periodicFrames, clock, (periodic) => this.send(periodic.action, periodic.frame));
    this.periodic.start(this.openedAt, (period) => this.device.random.uniform(0, period));
    for (const frame of model.framesOnOpen(this.device.onScreen)) this.send(String(frame.action), frame);
    if (model.renewBeforeCap) {
      const [from, to] = model.renewBeforeCap;
      const cap = this.context.params.connectionCapSeconds;
      this.renewal = clock.at(this.openedAt + cap * this.device.random.uniform(from, to), () => this.device.renew(this));
    }
    if (model.snapshotAfterConnect) user.readSnapshot();
  }

  send(action: string, frame: Record<string, unknown>): boolean {
    if (!this.live || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    Tally.bump(this.context.tally.framesSent, action);
    this.periodic?.sent(action, this.context.clock.now());
    return true;
  }

  sendPage(url: string, title: string): boolean {
    const sent = this.send('update-presence', { action: 'update-presence', url, title });
    // Own updates are echoed only to connections at pages: a client on levels at status gets none.
    const echoed = !this.device.user.model.screen || this.device.onScreen;
    if (sent && echoed) this.echoes.push({ url, title, sentAtMs: performance.now() });
    return sent;
  }

  /** The connection left pages: the echoes it waited for will not come. */
  forgetEchoes(): void {
    this.echoes.length = 0;
  }

  private received(text: string): void {
    const { tally } = this.context;
    let frame: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) frame = parsed as Record<string, unknown>;
    } catch {
      // not JSON: counted as a reply below
    }
    const type = typeof frame.type === 'string' ? frame.type : 'reply';
    Tally.bump(tally.pushesReceived, type);
    if (this.vanishedAt !== undefined) {
      tally.receivedWhileVanished += 1;
      return;
    }
    const own = this.device.user.spec.userId;
    if (type === 'update-presence') {
      if (frame.userId === own) this.echoed(textOf(frame.url), textOf(frame.title));
      else tally.friendUpdates += 1;
    } else if (type === 'presence-timeout' && typeof frame.userId === 'string') {
      this.context.flaps.timeoutReceived(frame.userId, this.context.clock.now(), this.context.isOnline(frame.userId));
    } else if (type === 'error') {
      Tally.bump(tally.errorFrames, textOf(frame.message));
    }
  }

  /** The user's own copy of a page it sent: pages arrive in order, intermediate ones may be skipped. */
  private echoed(url: string, title: string): void {
    let match = this.echoes.findIndex((echo) => echo.url === url && echo.title === title);
    // A page the sharing rule hid arrives as "": it answers the oldest one waiting.
    if (match === -1 && url === '' && this.echoes.length > 0) match = 0;
    if (match === -1) return;
    this.context.echoLag.record(performance.now() - this.echoes[match]!.sentAtMs);
    this.echoes.splice(0, match + 1);
  }

  /** The client stops sending and never reconnects; the socket stays open until the gateway ends it. */
  vanish(at: number): void {
    this.vanishedAt ??= at;
    this.stopTimers();
  }

  /** A clean close by the client. */
  close(): void {
    this.closingByClient = true;
    this.stopTimers();
    if (this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
    else if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000, 'Client closed');
  }

  private stopTimers(): void {
    this.context.clock.cancel(this.renewal);
    this.periodic?.stop();
  }

  private closed(code: number): void {
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.context.connections.connecting.delete(this);
    this.stopTimers();
    const at = this.context.clock.now();
    if (!wasOpen) {
      if (this.closingByClient) return;
      Tally.bump(this.context.tally.connectsRefused, this.refusedWith ?? 'error');
      this.device.attemptFailed(this);
      return;
    }
    this.context.connections.closed(this, at);
    if (this.closingByClient) return;
    if (this.vanishedAt !== undefined) {
      Tally.bump(this.context.tally.vanishedCloses, String(code));
      return;
    }
    Tally.bump(this.context.tally.serverCloses, String(code));
    this.device.closedByServer(this, code, at - this.openedAt);
  }
}

/** One device of a session: its connection, the reconnects its client makes, and its friends list on screen or not. */
export class SimulatedDevice {
  connection?: SimulatedConnection;
  /** The connection being replaced, while the next one (opened before the cap) has not opened yet. */
  private previous?: SimulatedConnection;
  /** True while its session runs and its client has not vanished. */
  active = true;
  /** The friends list is on screen (its client holds the connection at pages; status otherwise). */
  onScreen = false;
  private retry?: EventHandle;
  private screenToggle?: EventHandle;
  private reconnecting?: 'cap' | 'other';

  constructor(
    readonly user: SimulatedUser,
    readonly random: Random,
    private readonly context: SimulationContext,
  ) {
    const screen = user.model.screen;
    if (screen) {
      this.onScreen = random.chance(screen.onScreenShare);
      this.scheduleScreenToggle();
    }
  }

  /**
   * The list alternates on and off screen: on for an exponential time with mean share x 8 h / episodes,
   * off for one with mean on x (1 - share) / share, so it is on screen `onScreenShare` of the time.
   */
  private scheduleScreenToggle(): void {
    const screen = this.user.model.screen!;
    const onMean = (screen.onScreenShare * 8 * 3600) / screen.episodesPer8Hours;
    const mean = this.onScreen ? onMean : (onMean * (1 - screen.onScreenShare)) / screen.onScreenShare;
    this.screenToggle = this.context.clock.after(this.random.exponential(mean), () => {
      this.onScreen = !this.onScreen;
      if (this.onScreen) this.context.tally.screenOpens += 1;
      else this.connection?.forgetEchoes();
      this.connection?.send('subscribe', { action: 'subscribe', level: this.onScreen ? 'pages' : 'status' });
      if (this.active) this.scheduleScreenToggle();
    });
  }

  connect(): void {
    if (!this.active) return;
    const token = this.context.tokens.tokenFor(this.user.spec.userId);
    const query = new URLSearchParams({ ...this.user.model.connectQuery, Authorization: token });
    this.connection = new SimulatedConnection(this, this.context, `${this.context.websocketUrl}?${query.toString()}`);
  }

  /** The client opens the next connection before the cap closes `current` (the reference client's renewal). */
  renew(current: SimulatedConnection): void {
    if (!this.active || current !== this.connection || !current.live) return;
    this.previous = current;
    this.connect();
  }

  connectedAfter(connection: SimulatedConnection): void {
    if (connection !== this.connection) return;
    if (this.previous) {
      // The new one is open: close the one it replaces (make before break, so the user never goes offline).
      this.previous.close();
      this.previous = undefined;
      this.context.tally.renewals += 1;
    }
    if (!this.reconnecting) return;
    this.context.tally.reconnects += 1;
    if (this.reconnecting === 'cap') this.context.tally.capReconnects += 1;
    this.reconnecting = undefined;
  }

  attemptFailed(connection: SimulatedConnection): void {
    if (connection !== this.connection || !this.active) return;
    if (this.previous?.live) {
      // A failed renewal: keep the current connection; the cap's close then reconnects as usual.
      this.connection = this.previous;
      this.previous = undefined;
      return;
    }
    this.retry = this.context.clock.after(this.user.model.retryDelaySeconds(this.random), () => this.connect());
  }

  closedByServer(connection: SimulatedConnection, code: number, ageSeconds: number): void {
    if (connection !== this.connection || !this.active) return;
    // The gateway's cap closes with 1001 once the connection is as old as the cap (its timer may be a little late).
    const cap = this.context.params.connectionCapSeconds;
    this.reconnecting = code === 1001 && ageSeconds >= cap * 0.99 ? 'cap' : 'other';
    this.retry = this.context.clock.after(this.user.model.reconnectDelaySeconds(this.random, code), () => this.connect());
  }

  end(abrupt: boolean, at: number): void {
    this.active = false;
    this.context.clock.cancel(this.retry);
    this.context.clock.cancel(this.screenToggle);
    for (const connection of [this.previous, this.connection]) {
      if (!connection) continue;
      if (abrupt) connection.vanish(at);
      else connection.close();
    }
    this.previous = undefined;
  }
}

export class SimulatedUser {
  private devices: SimulatedDevice[] = [];
  private inSession = false;
  private readonly pages: Random;
  private readonly targets: Random;

  constructor(
    readonly spec: SimulatedUserSpec,
    readonly model: ClientModel,
    private readonly plan: UserPlan,
    private readonly context: SimulationContext,
  ) {
    const { seed } = context.params;
    this.pages = streamFor(seed, 'user', spec.index, 'pages');
    this.targets = streamFor(seed, 'user', spec.index, 'targets');
  }

  /** The user's sockets of the current session (vanished ones of past sessions are the ledger's). */
  connections(): SimulatedConnection[] {
    return this.devices.flatMap((device) => (device.connection ? [device.connection] : []));
  }

  /** In a session whose client has not vanished. */
  get online(): boolean {
    return this.inSession;
  }

  /** Has an open connection its client still uses. */
  get connected(): boolean {
    return this.devices.some((device) => device.connection?.live === true);
  }

  /** Puts the whole plan on the clock, up to `end`. */
  schedule(end: number): void {
    const { clock } = this.context;
    this.plan.sessions.forEach((session, index) => {
      clock.at(Math.max(0, session.start), () => this.beginSession(session, index));
      if (session.end < end) clock.at(session.end, () => this.endSession(session));
    });
    for (const at of this.plan.pageChanges) clock.at(at, () => this.changePage());
    // A client on levels reads its snapshots by raising its level when the list comes on screen.
    if (this.model.restSnapshots) for (const at of this.plan.snapshots) clock.at(at, () => this.readSnapshot());
  }

  private beginSession(session: SessionPlan, index: number): void {
    this.inSession = true;
    // A session under way when the simulation starts (start < 0) did not start now.
    if (session.start >= 0) this.context.tally.sessions += 1;
    this.devices = session.devices.map(
      (device) => new SimulatedDevice(this, streamFor(this.context.params.seed, 'user', this.spec.index, 'session', index, 'device', device.index), this.context),
    );
    session.devices.forEach((device, i) => this.context.clock.at(device.firstOpen, () => this.devices[i]!.connect()));
  }

  private endSession(session: SessionPlan): void {
    this.inSession = false;
    const at = this.context.clock.now();
    this.context.flaps.sessionEnded(this.spec.userId, at, session.abrupt);
    if (session.abrupt) this.context.tally.sessionsVanished += 1;
    else this.context.tally.sessionsEnded += 1;
    for (const device of this.devices) device.end(session.abrupt, at);
  }

  private changePage(): void {
    // Drawn whether or not it can be sent, so the user's pages never depend on the stack's timing.
    const page = nextPage(this.pages, this.context.params.hiddenShare);
    const draw = this.targets.next();
    if (!this.inSession) return;
    this.context.tally.pageChanges += 1;
    const live = this.connections().filter((connection) => connection.live);
    const target = live[Math.floor(draw * live.length)];
    if (!target || !target.sendPage(page.url, page.title)) this.context.tally.pageChangesUnsent += 1;
  }

  /** GET /presence, as after a (re)connect or when the user opens the friends list. */
  readSnapshot(): void {
    const { tally, restLag, restUrl, tokens } = this.context;
    tally.restSnapshots += 1;
    const started = performance.now();
    fetch(`${restUrl}/presence`, { headers: { Authorization: tokens.tokenFor(this.spec.userId) }, signal: AbortSignal.timeout(REST_TIMEOUT_MS) })
      .then(async (response) => {
        await response.arrayBuffer();
        restLag.record(performance.now() - started);
        Tally.bump(this.context.tally.restByStatus, String(response.status));
      })
      .catch(() => Tally.bump(this.context.tally.restByStatus, 'error'));
  }
}
