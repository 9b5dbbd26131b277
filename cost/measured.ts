/**
 * A simulator output file (`npm run simulate -- --record <file>`), read and checked once: every field
 * the cost model uses must be there and be a finite number >= 0, or loading fails with one line naming
 * the field. Counts are per connected user-hour (simulated), as the simulator reports them.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface LambdaPerHour {
  invocations: number;
  billedMs: number;
  gbSeconds: number;
  cpuMs: number;
}

export interface LambdaPerInvocation {
  billedMs: number;
  durationMs: number;
  cpuMs: number;
  redisCommands?: number;
  /** Round trips to Redis (a pipeline or script call is one); when absent, redisCommands stands in (an upper bound). */
  redisRoundTrips?: number;
  pgQueries?: number;
  /** @connections posts (pushes) made by one invocation. */
  posts?: number;
}

export interface PerConnectedUserHour {
  apiGateway: {
    messagesIn: number;
    messagesOut: number;
    connects: number;
    connectionMinutes: number;
    restRequests: number;
    bytesIn: number;
    bytesOut: number;
  };
  managementApi: { posts: number; deletes: number };
  lambda: Record<string, LambdaPerHour>;
  redis: { commands: number; scriptCalls: number; bytesIn: number; bytesOut: number };
  postgres: { queries: number };
  logs: { bytes: number; emfBytes: number };
}

export interface MeasuredRun {
  file: string;
  measuredAt: string;
  commit: string;
  dirty: boolean;
  speed: number;
  params: Record<string, unknown>;
  simulated: { hours: number; users: number; connectedUserHours: number };
  summary: {
    pageChanges: number;
    heartbeats: number;
    restSnapshots: number;
    pushesReceived: Record<string, number>;
    friendsOnlineAvg: number;
    connectionsPerOnlineUser: number;
    /** presence-timeout pushes friends received about a user who was back (or came back within the flap window). */
    flaps?: number;
    /** Departures friends were wrongly told about: one per user and return. */
    flapEvents?: number;
  };
  perConnectedUserHour: PerConnectedUserHour;
  perInvocation: Record<string, LambdaPerInvocation>;
  sweep: {
    executionsPerSimulatedHour: number;
    billedDurationMsPerExecution: number;
    lambdaInvocationsPerExecution: number;
    /** Log bytes the sweep's task writes per execution, when reported. */
    logBytesPerExecution?: number;
    /** What an execution does with nobody to time out (its fixed share of Redis), when reported. */
    idleRedisPerExecution?: { commands: number; scriptCalls: number; bytesIn: number; bytesOut: number };
  };
  /** Total log bytes of the measured window per function, when the simulator reports them. */
  logBytesByFunction: Record<string, number>;
  /** Simulated hours of the measured window (meter elapsed time x speed), when known. */
  windowHours?: number;
  /** From the raw meter: INIT time and cold starts per function, when recorded. */
  init: Record<string, { initMs: number; coldStarts: number }>;
}

export class MeasuredFileError extends Error {}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

class Reader {
  constructor(private readonly file: string) {}

  fail(path: string, what: string): never {
    throw new MeasuredFileError(`${this.file}: ${path} ${what}`);
  }

  object(value: unknown, path: string): Json {
    if (!isObject(value)) this.fail(path, 'is missing or not an object');
    return value;
  }

  number(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) this.fail(path, 'is missing or not a number >= 0');
    return value;
  }

  optionalNumber(value: unknown, path: string): number | undefined {
    return value === undefined ? undefined : this.number(value, path);
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string' || value === '') this.fail(path, 'is missing or not a string');
    return value;
  }

  numbers<K extends string>(value: unknown, path: string, keys: readonly K[]): Record<K, number> {
    const object = this.object(value, path);
    return Object.fromEntries(keys.map((key) => [key, this.number(object[key], `${path}.${key}`)])) as Record<K, number>;
  }
}

function readSweep(read: Reader, value: unknown): MeasuredRun['sweep'] {
  const sweep = read.object(value, 'sweep');
  const base = read.numbers(sweep, 'sweep', [
    'executionsPerSimulatedHour',
    'billedDurationMsPerExecution',
    'lambdaInvocationsPerExecution',
  ] as const);
  const logBytes = read.optionalNumber(sweep.logBytesPerExecution, 'sweep.logBytesPerExecution');
  const idle = isObject(sweep.idle) ? sweep.idle : undefined;
  return {
    ...base,
    ...(logBytes === undefined ? {} : { logBytesPerExecution: logBytes }),
    ...(idle
      ? {
          idleRedisPerExecution: {
            commands: read.number(idle.redisCommandsPerExecution, 'sweep.idle.redisCommandsPerExecution'),
            scriptCalls: read.number(idle.redisScriptCallsPerExecution, 'sweep.idle.redisScriptCallsPerExecution'),
            bytesIn: read.number(idle.redisBytesInPerExecution, 'sweep.idle.redisBytesInPerExecution'),
            bytesOut: read.number(idle.redisBytesOutPerExecution, 'sweep.idle.redisBytesOutPerExecution'),
          },
        }
      : {}),
  };
}

/** Checks a parsed simulator output and keeps what the model uses. */
export function parseMeasured(document: unknown, file: string): MeasuredRun {
  const read = new Reader(file);
  const root = read.object(document, '(file)');
  const simulator = read.object(root.simulator, 'simulator');
  const per = read.object(root.perConnectedUserHour, 'perConnectedUserHour');
  const lambdaPer = read.object(per.lambda, 'perConnectedUserHour.lambda');
  const lambda: Record<string, LambdaPerHour> = {};
  for (const [fn, value] of Object.entries(lambdaPer)) {
    lambda[fn] = read.numbers(value, `perConnectedUserHour.lambda.${fn}`, ['invocations', 'billedMs', 'gbSeconds', 'cpuMs'] as const);
  }
  const perInvocationRaw = read.object(root.perInvocation, 'perInvocation');
  const perInvocation: Record<string, LambdaPerInvocation> = {};
  for (const [fn, value] of Object.entries(perInvocationRaw)) {
    const path = `perInvocation.${fn}`;
    const entry = read.object(value, path);
    const optional = (key: 'redisCommands' | 'redisRoundTrips' | 'pgQueries' | 'posts') => {
      const n = read.optionalNumber(entry[key], `${path}.${key}`);
      return n === undefined ? {} : { [key]: n };
    };
    perInvocation[fn] = {
      ...read.numbers(entry, path, ['billedMs', 'durationMs', 'cpuMs'] as const),
      ...optional('redisCommands'),
      ...optional('redisRoundTrips'),
      ...optional('pgQueries'),
      ...optional('posts'),
    };
  }
  for (const fn of Object.keys(lambda)) {
    if ((lambda[fn]?.invocations ?? 0) > 0 && !perInvocation[fn]) read.fail(`perInvocation.${fn}`, 'is missing (the function was invoked)');
  }
  const summary = read.object(root.summary, 'summary');
  const pushesRaw = read.object(summary.pushesReceived, 'summary.pushesReceived');
  const pushesReceived = Object.fromEntries(
    Object.entries(pushesRaw).map(([type, n]) => [type, read.number(n, `summary.pushesReceived.${type}`)]),
  );
  const logs = isObject(root.logs) ? root.logs : {};
  const byFunction = isObject(logs.bytesByFunction) ? logs.bytesByFunction : {};
  const meter = isObject(root.meter) ? root.meter : {};
  const meterLambda = isObject(meter.lambda) ? meter.lambda : {};
  const init: Record<string, { initMs: number; coldStarts: number }> = {};
  for (const [fn, value] of Object.entries(meterLambda)) {
    if (!isObject(value)) continue;
    const initMs = read.optionalNumber(value.initMs, `meter.lambda.${fn}.initMs`);
    const coldStarts = read.optionalNumber(value.coldStarts, `meter.lambda.${fn}.coldStarts`);
    if (initMs !== undefined && coldStarts !== undefined) init[fn] = { initMs, coldStarts };
  }
  const speed = read.number(simulator.speed, 'simulator.speed');
  const elapsed = read.optionalNumber(meter.elapsedSeconds, 'meter.elapsedSeconds');
  const flaps = read.optionalNumber(summary.flaps, 'summary.flaps');
  const flapEvents = read.optionalNumber(summary.flapEvents, 'summary.flapEvents');
  return {
    file,
    measuredAt: read.string(root.measuredAt, 'measuredAt'),
    commit: read.string(root.commit, 'commit'),
    dirty: root.dirty === true,
    speed,
    params: isObject(simulator.params) ? simulator.params : {},
    simulated: read.numbers(root.simulated, 'simulated', ['hours', 'users', 'connectedUserHours'] as const),
    summary: {
      ...read.numbers(summary, 'summary', [
        'pageChanges',
        'heartbeats',
        'restSnapshots',
        'friendsOnlineAvg',
        'connectionsPerOnlineUser',
      ] as const),
      pushesReceived,
      ...(flaps === undefined ? {} : { flaps }),
      ...(flapEvents === undefined ? {} : { flapEvents }),
    },
    perConnectedUserHour: {
      apiGateway: read.numbers(per.apiGateway, 'perConnectedUserHour.apiGateway', [
        'messagesIn',
        'messagesOut',
        'connects',
        'connectionMinutes',
        'restRequests',
        'bytesIn',
        'bytesOut',
      ] as const),
      managementApi: read.numbers(per.managementApi, 'perConnectedUserHour.managementApi', ['posts', 'deletes'] as const),
      lambda,
      redis: read.numbers(per.redis, 'perConnectedUserHour.redis', ['commands', 'scriptCalls', 'bytesIn', 'bytesOut'] as const),
      postgres: read.numbers(per.postgres, 'perConnectedUserHour.postgres', ['queries'] as const),
      logs: read.numbers(per.logs, 'perConnectedUserHour.logs', ['bytes', 'emfBytes'] as const),
    },
    perInvocation,
    sweep: readSweep(read, root.sweep),
    logBytesByFunction: Object.fromEntries(Object.entries(byFunction).map(([fn, n]) => [fn, read.number(n, `logs.bytesByFunction.${fn}`)])),
    ...(elapsed === undefined ? {} : { windowHours: (elapsed * speed) / 3600 }),
    init,
  };
}

/** Reads and checks a measured file; a missing or malformed file is one clear error. */
export function loadMeasured(file: string, hint: string): MeasuredRun {
  if (!existsSync(file)) throw new MeasuredFileError(`no measurement at ${file}; ${hint}`);
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new MeasuredFileError(`${file}: not JSON (${(error as Error).message})`);
  }
  return parseMeasured(document, file);
}
