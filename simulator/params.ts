/**
 * `npm run simulate` parameters: parsed, checked and turned into the stack's compressed time
 * settings. A wrong value ends the command with one line naming the flag, what it got and what it
 * takes. Every time below is in simulated seconds unless it says otherwise.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_LOGNORMAL_SIGMA, DEFAULT_POWERLAW_ALPHA, DEGREE_DISTRIBUTIONS, type DegreeDistribution } from './graph';
import { CLIENT_KINDS, type ClientKind } from './clients/kinds';

/** A parameter the simulator refuses: its message is the one line to print. */
export class ParameterError extends Error {
  override name = 'ParameterError';
}

export const DEFAULT_ADMIN_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface SimulationParams {
  users: number;
  /** Measured simulated hours (after the warm-up). */
  hours: number;
  /** Simulated minutes before the measurement starts (the meter is reset at their end). */
  warmupMinutes: number;
  /** Compression factor: simulated seconds per wall second. */
  speed: number;
  seed: number;
  degree: DegreeDistribution;
  /** Share of users online at any moment. */
  onlineFraction: number;
  /** Mean session length (exponential), hours. */
  sessionHours: number;
  /** Mean connections per online user, from 1 to 2 (each session has 1 or 2 devices). */
  devices: number;
  /** Heartbeat interval of each connection. */
  heartbeatSeconds: number;
  /** Weibull dwell time on a page. */
  dwellMeanSeconds: number;
  dwellShape: number;
  /** GET /presence per 8 connected hours, besides the one after every (re)connect. */
  snapshotsPer8Hours: number;
  /** Share of page changes sent hidden (url and title ""). */
  hiddenShare: number;
  /** Share of users whose sharing rule is default_none (with a short allow list); the rest share everything. */
  privateShare: number;
  /** Share of sessions that end with the client vanishing (no close frame). */
  abruptShare: number;
  /** Client type -> share of users. */
  mix: Partial<Record<ClientKind, number>>;
  /** Subscribing clients: share of connected time the friends list is on screen (level pages; status otherwise). */
  onScreenShare: number;
  /** Subscribing clients: the heartbeat interval they negotiate (`heartbeat=<s>`). */
  subscribingHeartbeatSeconds: number;
  /** Service-worker clients: the keep-alive interval (a Manifest V3 service worker needs traffic every < 30 s). */
  keepaliveSeconds: number;
  /** The stack's OFFLINE_GRACE_SECONDS. */
  graceSeconds: number;
  /** The stack's settings, in simulated seconds (the template's defaults). */
  presenceTimeoutSeconds: number;
  sweepIntervalSeconds: number;
  connectionCapSeconds: number;
  idleTimeoutSeconds: number;
  /**
   * Bound on the 99th percentile of lateness (actions sent, pages back at their sender), simulated
   * seconds: a third of the heartbeat's slack (timeout - heartbeat, 90 s), so lateness never times a
   * user out, and far below the time between page changes that would make the stack skip pages.
   */
  maxLagSeconds: number;
  databaseUrl: string;
  json: boolean;
  record?: string;
  allowDirty: boolean;
}

/** The budgets of the handlers that are times too, scaled with the rest (template defaults). */
const MESSAGE_RATE_WINDOW_SECONDS = 60;
const FRIEND_CACHE_TTL_SECONDS = 30;
const FANOUT_INTERVAL_MS = 2000;

export const USAGE = `usage: npm run simulate -- [options]

Drives a local stack (started as a child process, on its own database and Redis) with a simulated
population over real WebSockets and REST, time compressed, and reports the meter's counts per
connected user-hour. Times are simulated unless marked wall.

  --users N               users (200)
  --hours H               measured simulated hours (1)
  --warmup M              simulated minutes before the measurement, not counted (120: one connection
                          cap, so connections have the ages of a long-running deployment)
  --speed K               compression: simulated seconds per wall second (30); every time setting of the
                          stack is divided by it and must stay a whole number of seconds
  --seed S                seed of the population, graph and schedule (1)
  --degree D              friend degree distribution: fixed, poisson, lognormal, powerlaw (fixed)
  --mean-degree F         mean number of accepted friends (50)
  --degree-sigma X        lognormal: sigma of the underlying normal (${DEFAULT_LOGNORMAL_SIGMA})
  --degree-alpha X        powerlaw: exponent of the density k^-alpha, > 2 (${DEFAULT_POWERLAW_ALPHA})
  --online-fraction X     share of users online at any moment (0.4)
  --session-hours X       mean session length, exponential (4)
  --devices X             mean connections per online user, 1 to 2 (1.2)
  --heartbeat S           heartbeat interval per connection, seconds (60)
  --dwell-mean S          mean time on a page, Weibull, seconds (144)
  --dwell-shape X         Weibull shape of the time on a page (0.8)
  --snapshots X           GET /presence per 8 connected hours, besides one after every (re)connect (10)
  --hidden-share X        share of page changes sent hidden (0.05)
  --private-share X       share of users sharing only an allow list (default_none); the rest default_all (0)
  --abrupt-share X        share of sessions ending with the client vanishing, no close frame (0.1)
  --mix SPEC              client types by share of users, e.g. legacy=0.5,subscribing=0.5 (legacy=1); the types:
                          legacy (PageNow's extension: heartbeat 60 s, GET /presence after each connect,
                          reconnects at its next one-minute alarm), subscribing (the reference client: levels,
                          a snapshot on subscribe, the negotiated heartbeat, renews before the cap),
                          service-worker (subscribing, plus a keep-alive: held in a Manifest V3 service worker)
  --on-screen X           subscribing clients: share of connected time the friends list is on screen (0.1);
                          it comes on screen --snapshots times per 8 connected hours, at pages, status otherwise
  --subscribing-heartbeat S  the heartbeat subscribing clients negotiate, seconds (300)
  --keepalive S           service-worker clients: keep-alive interval, seconds (25)
  --grace S               the stack's OFFLINE_GRACE_SECONDS (30, the template's default)
  --presence-timeout S    the stack's PRESENCE_TIMEOUT_SECONDS (150)
  --sweep-interval S      the sweep's schedule (60)
  --connection-cap S      API Gateway's maximum connection time (7200)
  --idle-timeout S        API Gateway's idle timeout (600)
  --max-lag S             refuse to report when 1 % of actions, or of pages on their way back to their
                          sender, are later than this (30: a third of the heartbeat's slack before a timeout)
  --database-url URL      PostgreSQL server to create the run's database on (DATABASE_URL, else ${DEFAULT_ADMIN_DATABASE_URL})
  --json                  print exactly one JSON object on stdout (progress stays on stderr)
  --record FILE           also write the result to FILE (pretty JSON); refused on a dirty working tree
  --allow-dirty           let --record write although the working tree has uncommitted changes`;

const OPTIONS = {
  users: { type: 'string' },
  hours: { type: 'string' },
  warmup: { type: 'string' },
  speed: { type: 'string' },
  seed: { type: 'string' },
  degree: { type: 'string' },
  'mean-degree': { type: 'string' },
  'degree-sigma': { type: 'string' },
  'degree-alpha': { type: 'string' },
  'online-fraction': { type: 'string' },
  'session-hours': { type: 'string' },
  devices: { type: 'string' },
  heartbeat: { type: 'string' },
  'dwell-mean': { type: 'string' },
  'dwell-shape': { type: 'string' },
  snapshots: { type: 'string' },
  'hidden-share': { type: 'string' },
  'private-share': { type: 'string' },
  'abrupt-share': { type: 'string' },
  mix: { type: 'string' },
  'on-screen': { type: 'string' },
  'subscribing-heartbeat': { type: 'string' },
  keepalive: { type: 'string' },
  grace: { type: 'string' },
  'presence-timeout': { type: 'string' },
  'sweep-interval': { type: 'string' },
  'connection-cap': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'max-lag': { type: 'string' },
  'database-url': { type: 'string' },
  json: { type: 'boolean', default: false },
  record: { type: 'string' },
  'allow-dirty': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Raw = Record<string, string | boolean | undefined>;

function numberOf(raw: Raw, flag: string, fallback: number, check: (value: number) => boolean, takes: string): number {
  const text = raw[flag];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(value) || !check(value)) {
    throw new ParameterError(`--${flag} takes ${takes}, got "${String(text)}".`);
  }
  return value;
}

const positive = (value: number) => value > 0;
const share = (value: number) => value >= 0 && value <= 1;
const whole = (value: number) => Number.isInteger(value) && value >= 1;

export function parseMix(spec: string): Partial<Record<ClientKind, number>> {
  const mix: Partial<Record<ClientKind, number>> = {};
  for (const part of spec.split(',').map((item) => item.trim()).filter(Boolean)) {
    const [name, weightText] = part.split('=');
    const kind = name?.trim() as ClientKind;
    const weight = weightText === undefined ? 1 : Number(weightText);
    if (!CLIENT_KINDS.includes(kind)) {
      throw new ParameterError(`--mix names an unknown client type "${name}"; the types are ${CLIENT_KINDS.join(', ')}.`);
    }
    if (!Number.isFinite(weight) || weight < 0) throw new ParameterError(`--mix: the share of "${kind}" must be a number ≥ 0, got "${weightText}".`);
    mix[kind] = (mix[kind] ?? 0) + weight;
  }
  const total = Object.values(mix).reduce((sum, weight) => sum + (weight ?? 0), 0);
  if (total <= 0) throw new ParameterError('--mix must give at least one client type a share above 0, e.g. legacy=1.');
  for (const kind of Object.keys(mix) as ClientKind[]) mix[kind] = mix[kind]! / total;
  return mix;
}

function parseFlags(argv: string[]): { raw: Raw; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    return { raw: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    throw new ParameterError(`${(error as Error).message}; see npm run simulate -- --help.`);
  }
}

/** Parsed and checked parameters, or undefined when --help was asked for (the usage is printed by the caller). */
export function parseParams(argv: string[], env: NodeJS.ProcessEnv = process.env): SimulationParams | undefined {
  const { raw, positionals } = parseFlags(argv);
  if (raw.help) return undefined;
  if (positionals.length > 0) throw new ParameterError(`unexpected argument "${positionals[0]}"; see npm run simulate -- --help.`);

  const degreeName = (raw.degree ?? 'fixed') as DegreeDistribution['name'];
  if (!DEGREE_DISTRIBUTIONS.includes(degreeName)) {
    throw new ParameterError(`--degree takes one of ${DEGREE_DISTRIBUTIONS.join(', ')}, got "${String(raw.degree)}".`);
  }
  const users = numberOf(raw, 'users', 200, (value) => Number.isInteger(value) && value >= 2 && value <= 100_000, 'a whole number from 2 to 100000');
  const meanDegree = numberOf(raw, 'mean-degree', 50, (value) => value >= 0, 'a number ≥ 0');
  if (meanDegree > users - 1) throw new ParameterError(`--mean-degree ${meanDegree} is more than the other users there are (--users ${users}).`);
  const degree: DegreeDistribution = { name: degreeName, mean: meanDegree };
  if (degreeName === 'lognormal') degree.sigma = numberOf(raw, 'degree-sigma', DEFAULT_LOGNORMAL_SIGMA, positive, 'a number > 0');
  if (degreeName === 'powerlaw') degree.alpha = numberOf(raw, 'degree-alpha', DEFAULT_POWERLAW_ALPHA, (value) => value > 2, 'a number > 2 (the mean is infinite below)');

  const params: SimulationParams = {
    users,
    hours: numberOf(raw, 'hours', 1, positive, 'a number of hours > 0'),
    warmupMinutes: numberOf(raw, 'warmup', 120, (value) => value >= 0, 'a number of minutes ≥ 0'),
    speed: numberOf(raw, 'speed', 30, (value) => Number.isInteger(value) && value >= 1, 'a whole number ≥ 1'),
    seed: numberOf(raw, 'seed', 1, (value) => Number.isInteger(value) && value >= 0 && value < 2 ** 32, 'a whole number from 0 to 4294967295'),
    degree,
    onlineFraction: numberOf(raw, 'online-fraction', 0.4, (value) => value > 0 && value < 1, 'a share between 0 and 1 (exclusive)'),
    sessionHours: numberOf(raw, 'session-hours', 4, positive, 'a number of hours > 0'),
    devices: numberOf(raw, 'devices', 1.2, (value) => value >= 1 && value <= 2, 'a mean from 1 to 2'),
    heartbeatSeconds: numberOf(raw, 'heartbeat', 60, positive, 'a number of seconds > 0'),
    dwellMeanSeconds: numberOf(raw, 'dwell-mean', 144, positive, 'a number of seconds > 0'),
    dwellShape: numberOf(raw, 'dwell-shape', 0.8, positive, 'a number > 0'),
    snapshotsPer8Hours: numberOf(raw, 'snapshots', 10, (value) => value >= 0, 'a number ≥ 0'),
    hiddenShare: numberOf(raw, 'hidden-share', 0.05, share, 'a share from 0 to 1'),
    privateShare: numberOf(raw, 'private-share', 0, share, 'a share from 0 to 1'),
    abruptShare: numberOf(raw, 'abrupt-share', 0.1, share, 'a share from 0 to 1'),
    mix: parseMix(typeof raw.mix === 'string' ? raw.mix : 'legacy=1'),
    onScreenShare: numberOf(raw, 'on-screen', 0.1, (value) => value > 0 && value < 1, 'a share between 0 and 1 (exclusive)'),
    subscribingHeartbeatSeconds: numberOf(raw, 'subscribing-heartbeat', 300, (value) => whole(value) && value <= 540, 'a whole number of seconds from 1 to 540'),
    keepaliveSeconds: numberOf(raw, 'keepalive', 25, positive, 'a number of seconds > 0'),
    graceSeconds: numberOf(raw, 'grace', 30, (value) => Number.isInteger(value) && value >= 0 && value <= 300, 'a whole number of seconds from 0 to 300'),
    presenceTimeoutSeconds: numberOf(raw, 'presence-timeout', 150, whole, 'a whole number of seconds ≥ 1'),
    sweepIntervalSeconds: numberOf(raw, 'sweep-interval', 60, whole, 'a whole number of seconds ≥ 1'),
    connectionCapSeconds: numberOf(raw, 'connection-cap', 7200, (value) => whole(value) && value <= 7200, 'a whole number of seconds from 1 to 7200'),
    idleTimeoutSeconds: numberOf(raw, 'idle-timeout', 600, whole, 'a whole number of seconds ≥ 1'),
    maxLagSeconds: numberOf(raw, 'max-lag', 30, positive, 'a number of seconds > 0'),
    databaseUrl: typeof raw['database-url'] === 'string' ? raw['database-url'] : env.DATABASE_URL?.trim() || DEFAULT_ADMIN_DATABASE_URL,
    json: raw.json === true,
    record: typeof raw.record === 'string' ? raw.record : undefined,
    allowDirty: raw['allow-dirty'] === true,
  };
  if (params.heartbeatSeconds >= params.presenceTimeoutSeconds) {
    throw new ParameterError(
      `--heartbeat ${params.heartbeatSeconds} is not below --presence-timeout ${params.presenceTimeoutSeconds}: every user would be timed out between heartbeats.`,
    );
  }
  stackTimeSettings(params);
  return params;
}

/** The stack's environment for the compressed run: every time setting divided by the speed. */
export function stackTimeSettings(
  params: Pick<
    SimulationParams,
    'speed' | 'presenceTimeoutSeconds' | 'sweepIntervalSeconds' | 'connectionCapSeconds' | 'idleTimeoutSeconds' | 'graceSeconds'
  > &
    Partial<Pick<SimulationParams, 'mix' | 'subscribingHeartbeatSeconds'>>,
): Record<string, string> {
  const { speed } = params;
  const seconds: Array<[string, string, number]> = [
    ['PRESENCE_TIMEOUT_SECONDS', '--presence-timeout', params.presenceTimeoutSeconds],
    ['SWEEP_INTERVAL_SECONDS', '--sweep-interval', params.sweepIntervalSeconds],
    ['WS_MAX_CONNECTION_SECONDS', '--connection-cap', params.connectionCapSeconds],
    ['WS_IDLE_TIMEOUT_SECONDS', '--idle-timeout', params.idleTimeoutSeconds],
    ['MESSAGE_RATE_WINDOW_SECONDS', 'the message budget window', MESSAGE_RATE_WINDOW_SECONDS],
    ['FRIEND_CACHE_TTL_SECONDS', 'the friend cache TTL', FRIEND_CACHE_TTL_SECONDS],
    ['OFFLINE_GRACE_SECONDS', '--grace', params.graceSeconds],
  ];
  // The heartbeat subscribing clients negotiate is sent to the stack in wall seconds too (checked, not a setting).
  const negotiates = (params.mix?.subscribing ?? 0) > 0 || (params.mix?.['service-worker'] ?? 0) > 0;
  if (negotiates) seconds.push(['', '--subscribing-heartbeat', params.subscribingHeartbeatSeconds ?? 300]);
  const settings: Record<string, string> = {};
  for (const [name, source, simulated] of seconds) {
    const wall = simulated / speed;
    if (!Number.isInteger(wall)) {
      const fits = largestFittingSpeed(seconds.map(([, , value]) => value), speed);
      throw new ParameterError(
        `--speed ${speed} does not divide ${source} (${simulated} s) into whole seconds; the largest speed up to ${speed} that divides every time setting is ${fits}.`,
      );
    }
    if (name) settings[name] = String(wall);
  }
  if (Number(settings.PRESENCE_TIMEOUT_SECONDS) < 5) {
    throw new ParameterError(`--speed ${speed} makes PRESENCE_TIMEOUT_SECONDS ${settings.PRESENCE_TIMEOUT_SECONDS}, below the handlers' minimum of 5 s; lower --speed.`);
  }
  // Milliseconds: rounding keeps the budget within half a millisecond of the scaled one.
  settings.FANOUT_INTERVAL_MS = String(Math.max(1, Math.round(FANOUT_INTERVAL_MS / speed)));
  return settings;
}

function largestFittingSpeed(values: number[], limit: number): number {
  for (let candidate = limit; candidate > 1; candidate--) if (values.every((value) => value % candidate === 0)) return candidate;
  return 1;
}
