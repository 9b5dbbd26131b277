/**
 * Each user's plan, drawn from the seed before anything runs: sessions (who is online when, on how
 * many devices, ending cleanly or by vanishing), page changes and periodic REST snapshots. What depends
 * on the stack (the gateway's 2-hour close and the reconnect after it, a heartbeat's phase) is drawn
 * while running, from the same user's own streams, so it never shifts another user's draws.
 *
 * Steady state at the start of the measurement (time W = the end of the warm-up): exactly
 * round(onlineFraction × users) users are online, drawn without replacement (a draw per user would let
 * the number online, and with it every user's friends online and so the pushes per page change, vary
 * by ±9 % between seeds at 200 users); an online user's session is given an age and a remaining length
 * (both exponential, so the process is stationary), and each device's current connection the age its
 * history since the session began gives it (replayed here: caps and reconnect gaps, without sending).
 * That connection opens that long before W, i.e. during the warm-up, so connections have the ages (and
 * meet the gateway's cap at the times) of a long-running deployment. Connections older than the warm-up cannot
 * open before time 0 and open at 0 instead: a warm-up of at least the connection cap avoids that.
 * Sessions are exponential with mean `sessionHours`; the gaps between them exponential with mean
 * sessionHours × (1 - f) / f, so a share f of users is online at any time.
 */
import type { SimulationParams } from './params';
import { streamFor, type Random } from './random';

/** A second device joins its session within this many simulated seconds of its start. */
export const SECOND_DEVICE_DELAY_SECONDS = 60;
/** The legacy client's reconnect gap after the cap, for replaying a device's history (its mean is what matters). */
const HISTORY_RECONNECT_SECONDS = 60;

export interface DevicePlan {
  index: number;
  /** Simulated time its first real connection of the session opens (≥ 0). */
  firstOpen: number;
}

export interface SessionPlan {
  /** Session start; before 0 for a session already running when the simulation starts. */
  start: number;
  end: number;
  /** Ends with the client vanishing (no close frame) instead of a clean close. */
  abrupt: boolean;
  devices: DevicePlan[];
}

export interface UserPlan {
  user: number;
  sessions: SessionPlan[];
  /** Times the user changes page, inside sessions, once a device is connected. */
  pageChanges: number[];
  /** Times of the periodic GET /presence (the ones after each (re)connect come on top). */
  snapshots: number[];
}

export type PlanParams = Pick<
  SimulationParams,
  'seed' | 'onlineFraction' | 'sessionHours' | 'devices' | 'abruptShare' | 'dwellMeanSeconds' | 'dwellShape' | 'snapshotsPer8Hours' | 'connectionCapSeconds'
>;

export interface PlanWindow {
  /** Measurement start (end of the warm-up), simulated seconds. */
  start: number;
  /** Measurement end. */
  end: number;
}

/**
 * When the connection live at `at` opened, for a device that first connected at `firstOpen`:
 * connections last `cap`, then the client reconnects after a gap. Returns the open time of the
 * connection live at `at`, or of the next one if `at` falls in a gap.
 */
export function currentConnectionOpen(firstOpen: number, at: number, cap: number, history: Random): number {
  let open = firstOpen;
  while (open + cap <= at) {
    open = open + cap + history.uniform(0, HISTORY_RECONNECT_SECONDS);
  }
  return open;
}

function devicesOf(session: { start: number; end: number }, params: PlanParams, sessions: Random, history: Random, window: PlanWindow): DevicePlan[] {
  const count = sessions.chance(params.devices - 1) ? 2 : 1;
  const devices: DevicePlan[] = [];
  for (let index = 0; index < count; index++) {
    const joins = session.start + (index === 0 ? 0 : sessions.uniform(0, SECOND_DEVICE_DELAY_SECONDS));
    const open = joins < window.start ? currentConnectionOpen(joins, window.start, params.connectionCapSeconds, history) : joins;
    if (open < session.end) devices.push({ index, firstOpen: Math.max(0, open) });
  }
  return devices;
}

/** Which users are online when the measurement starts: exactly round(onlineFraction × users) of them. */
export function onlineAtStart(users: number, params: Pick<PlanParams, 'seed' | 'onlineFraction'>): boolean[] {
  const order = streamFor(params.seed, 'online-at-start').shuffle(Array.from({ length: users }, (_, user) => user));
  const online = new Array<boolean>(users).fill(false);
  for (const user of order.slice(0, Math.round(params.onlineFraction * users))) online[user] = true;
  return online;
}

/** Every user's plan up to the end of the measurement. */
export function planUsers(users: number, params: PlanParams, window: PlanWindow): UserPlan[] {
  const online = onlineAtStart(users, params);
  return online.map((isOnline, user) => planUser(user, params, window, isOnline));
}

/** One user's plan up to the end of the measurement, online or not when it starts. */
export function planUser(user: number, params: PlanParams, window: PlanWindow, online: boolean): UserPlan {
  const sessionsStream = streamFor(params.seed, 'user', user, 'sessions');
  const history = streamFor(params.seed, 'user', user, 'history');
  const pagesStream = streamFor(params.seed, 'user', user, 'page-times');
  const snapshotsStream = streamFor(params.seed, 'user', user, 'snapshot-times');
  const sessionMean = params.sessionHours * 3600;
  const gapMean = (sessionMean * (1 - params.onlineFraction)) / params.onlineFraction;

  const spans: Array<{ start: number; end: number }> = [];
  if (online) {
    spans.push({ start: window.start - sessionsStream.exponential(sessionMean), end: window.start + sessionsStream.exponential(sessionMean) });
  } else {
    const start = window.start + sessionsStream.exponential(gapMean);
    spans.push({ start, end: start + sessionsStream.exponential(sessionMean) });
  }
  while (spans[spans.length - 1]!.end < window.end) {
    const start = spans[spans.length - 1]!.end + sessionsStream.exponential(gapMean);
    spans.push({ start, end: start + sessionsStream.exponential(sessionMean) });
  }

  const sessions: SessionPlan[] = [];
  const pageChanges: number[] = [];
  const snapshots: number[] = [];
  const snapshotMean = params.snapshotsPer8Hours > 0 ? (8 * 3600) / params.snapshotsPer8Hours : Infinity;
  for (const span of spans) {
    if (span.start >= window.end) break;
    const abrupt = sessionsStream.chance(params.abruptShare);
    const devices = devicesOf(span, params, sessionsStream, history, window);
    sessions.push({ start: span.start, end: span.end, abrupt, devices });
    if (devices.length === 0) continue;
    const connected = Math.min(...devices.map((device) => device.firstOpen));
    const until = Math.min(span.end, window.end);
    // The page-change renewal process runs from the session's start; changes before a device is connected are not sent.
    for (let at = span.start + pagesStream.weibull(params.dwellShape, params.dwellMeanSeconds); at < until; at += pagesStream.weibull(params.dwellShape, params.dwellMeanSeconds)) {
      if (at >= connected) pageChanges.push(at);
    }
    // Poisson: memoryless, so it may start where the user is first connected.
    for (let at = connected + snapshotsStream.exponential(snapshotMean); at < until; at += snapshotsStream.exponential(snapshotMean)) {
      snapshots.push(at);
    }
  }
  return { user, sessions, pageChanges, snapshots };
}

/** Simulated seconds each user spends in a session inside the window, summed (the connected user-hours' numerator). */
export function sessionSecondsIn(plans: readonly UserPlan[], window: PlanWindow): number {
  let total = 0;
  for (const plan of plans) {
    for (const session of plan.sessions) {
      total += Math.max(0, Math.min(session.end, window.end) - Math.max(session.start, window.start));
    }
  }
  return total;
}
