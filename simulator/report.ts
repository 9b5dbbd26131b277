/**
 * The simulator's result (the object `--json` prints and `--record` writes; the cost model reads it,
 * so its names are an interface): the run's parameters and provenance, what the clients did, the
 * meter's raw reading after the warm-up reset, and the meter's counts per connected user-hour
 * (counts divided by the users' simulated hours in a session inside the measured window).
 *
 * The timeout sweep runs on a schedule whatever the users do, so it is reported apart as a fixed
 * cost: its executions, its task function, and its Redis commands per execution taken from an idle
 * stack after the measurement (nobody online); those idle commands are taken out of the Redis figures
 * per connected user-hour, so only what the users cause is scaled by users.
 */
import type { LambdaFunctionMeter, MeterSnapshot } from '../local/meter';
import type { GraphStats } from './graph';
import type { LogTotals } from './log-accounting';
import type { LagSummary } from './clock';
import type { StackCpu } from './process-cpu';
import type { SimulationParams } from './params';
import type { FlapDetector, Tally } from './tally';

export const RESULT_VERSION = 1;

export interface ReportInput {
  params: SimulationParams;
  /** The stack's environment for the compressed run. */
  stackSettings: Record<string, string>;
  population: { stats: GraphStats; fingerprint: string };
  measuredAt: string;
  commit: string;
  dirty: boolean;
  node: string;
  /** Wall seconds of the whole run, start-up to the end of the measurement. */
  wallSeconds: number;
  /** Simulated seconds users spent in sessions inside the measured window. */
  connectedUserSeconds: number;
  /** Simulated seconds sockets were open inside the window: all, and while their client was live. */
  connectionSeconds: { all: number; live: number };
  tally: Tally;
  /** Flap events, and how long departures took to reach friends. */
  flaps: Pick<FlapDetector, 'flapEvents' | 'announcementDelays'>;
  friendsOnlineAvg: number;
  lag: { actions: LagSummary; echoes: LagSummary; rest: LagSummary };
  meter: MeterSnapshot;
  logs: LogTotals;
  /** Functions the state machine runs (the sweep's task). */
  sweepFunctions: string[];
  /** The meter over whole sweep executions of the idle stack, after the measurement. */
  idleSweep?: IdleSweep;
  /** CPU seconds the stack's process and its redis-server used in the measured window (Linux only). */
  stackCpu?: StackCpu;
}

/** What whole sweep executions cost with nobody online (the difference of two meter readings). */
export interface IdleSweep {
  executions: number;
  redis: { commands: number; scriptCalls: number; bytesIn: number; bytesOut: number };
  postgres: { queries: number };
  /** Invocations by function. */
  invocations: Record<string, number>;
}

/** The idle sweep between two meter readings taken between executions. */
export function idleSweepBetween(before: MeterSnapshot, after: MeterSnapshot): IdleSweep {
  const invocations: Record<string, number> = {};
  for (const [logicalId, entry] of Object.entries(after.lambda)) {
    const delta = entry.invocations - (before.lambda[logicalId]?.invocations ?? 0);
    if (delta > 0) invocations[logicalId] = delta;
  }
  return {
    executions: after.stepFunctions.executions - before.stepFunctions.executions,
    redis: {
      commands: after.redis.commands - before.redis.commands,
      scriptCalls: after.redis.scriptCalls - before.redis.scriptCalls,
      bytesIn: after.redis.bytesIn - before.redis.bytesIn,
      bytesOut: after.redis.bytesOut - before.redis.bytesOut,
    },
    postgres: { queries: after.postgres.queries - before.postgres.queries },
    invocations,
  };
}

/** Count, median, 90th percentile and maximum of a sample (0 when empty). */
function distribution(values: readonly number[]): { count: number; p50: number; p90: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? 0 : sig(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!));
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), max: sorted.length === 0 ? 0 : sig(sorted[sorted.length - 1]!) };
}

function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? numerator / denominator : 0;
}

/** Rounds to 6 significant digits: the figures are measurements, not identities. */
function sig(value: number): number {
  return value === 0 || !Number.isFinite(value) ? 0 : Number(value.toPrecision(6));
}

export interface SweepFigures {
  executionsPerSimulatedHour: number;
  billedDurationMsPerExecution: number;
  lambdaInvocationsPerExecution: number;
  lambdaBilledMsPerExecution: number;
  lambdaGbSecondsPerExecution: number;
  stateTransitionsPerExecution: number;
  logBytesPerExecution: number;
  idle: {
    executions: number;
    redisCommandsPerExecution: number;
    redisScriptCallsPerExecution: number;
    redisBytesInPerExecution: number;
    redisBytesOutPerExecution: number;
    postgresQueriesPerExecution: number;
  } | null;
}

function sweepFigures(input: ReportInput, measuredHours: number): SweepFigures {
  const { meter, sweepFunctions, idleSweep, logs } = input;
  const executions = meter.stepFunctions.executions;
  const tasks = sweepFunctions.map((id) => meter.lambda[id]).filter((entry): entry is LambdaFunctionMeter => Boolean(entry));
  const sum = (pick: (entry: LambdaFunctionMeter) => number) => tasks.reduce((total, entry) => total + pick(entry), 0);
  const idleExecutions = idleSweep?.executions ?? 0;
  return {
    executionsPerSimulatedHour: sig(ratio(executions, measuredHours)),
    billedDurationMsPerExecution: sig(ratio(meter.stepFunctions.billedDurationMs, executions)),
    lambdaInvocationsPerExecution: sig(ratio(sum((entry) => entry.invocations), executions)),
    lambdaBilledMsPerExecution: sig(ratio(sum((entry) => entry.billedMs), executions)),
    lambdaGbSecondsPerExecution: sig(ratio(sum((entry) => entry.gbSeconds), executions)),
    stateTransitionsPerExecution: sig(ratio(meter.stepFunctions.stateTransitions, executions)),
    logBytesPerExecution: sig(ratio(sweepFunctions.reduce((total, id) => total + (logs.bytesByFunction[id] ?? 0), 0), executions)),
    idle:
      idleSweep && idleExecutions > 0
        ? {
            executions: idleExecutions,
            redisCommandsPerExecution: sig(idleSweep.redis.commands / idleExecutions),
            redisScriptCallsPerExecution: sig(idleSweep.redis.scriptCalls / idleExecutions),
            redisBytesInPerExecution: sig(idleSweep.redis.bytesIn / idleExecutions),
            redisBytesOutPerExecution: sig(idleSweep.redis.bytesOut / idleExecutions),
            postgresQueriesPerExecution: sig(idleSweep.postgres.queries / idleExecutions),
          }
        : null,
  };
}

export function buildResult(input: ReportInput) {
  const { params, meter, tally, logs } = input;
  const speed = params.speed;
  const hours = input.connectedUserSeconds / 3600;
  const per = (value: number) => sig(ratio(value, hours));
  const sweepSet = new Set(input.sweepFunctions);
  const executions = meter.stepFunctions.executions;
  const sweep = sweepFigures(input, params.hours);

  // The sweep's fixed share of Redis (what it does with nobody to time out), scaled to this run's executions.
  const sweepRedis = {
    commands: (sweep.idle?.redisCommandsPerExecution ?? 0) * executions,
    scriptCalls: (sweep.idle?.redisScriptCallsPerExecution ?? 0) * executions,
    bytesIn: (sweep.idle?.redisBytesInPerExecution ?? 0) * executions,
    bytesOut: (sweep.idle?.redisBytesOutPerExecution ?? 0) * executions,
  };

  const lambda: Record<string, { invocations: number; billedMs: number; gbSeconds: number; cpuMs: number }> = {};
  const perInvocation: Record<string, Record<string, number>> = {};
  for (const [logicalId, entry] of Object.entries(meter.lambda)) {
    if (!sweepSet.has(logicalId)) {
      lambda[logicalId] = { invocations: per(entry.invocations), billedMs: per(entry.billedMs), gbSeconds: per(entry.gbSeconds), cpuMs: per(entry.cpuMs) };
    }
    if (entry.invocations > 0) {
      const figures: Record<string, number> = {
        billedMs: sig(entry.billedMs / entry.invocations),
        durationMs: sig(entry.durationMs / entry.invocations),
        cpuMs: sig(entry.cpuMs / entry.invocations),
        gbSeconds: sig(entry.gbSeconds / entry.invocations),
        logBytes: sig((logs.bytesByFunction[logicalId] ?? 0) / entry.invocations),
        errors: sig(entry.errors / entry.invocations),
      };
      const idleInvocations = input.idleSweep?.invocations[logicalId] ?? 0;
      if (sweepSet.has(logicalId) && input.idleSweep && idleInvocations > 0) {
        // Idle: only the sweep talks to Redis and PostgreSQL, so its commands are the task's.
        figures.redisCommands = sig(input.idleSweep.redis.commands / idleInvocations);
        figures.pgQueries = sig(input.idleSweep.postgres.queries / idleInvocations);
      }
      perInvocation[logicalId] = figures;
    }
  }

  const functionLogBytes = Object.entries(logs.bytesByFunction)
    .filter(([logicalId]) => !sweepSet.has(logicalId))
    .reduce((total, [, bytes]) => total + bytes, 0);
  const pageChangesSent = tally.pageChanges - tally.pageChangesUnsent;
  const heartbeats = tally.framesSent.heartbeat ?? 0;
  const replies = tally.pushesReceived.reply ?? 0;

  return {
    simulator: {
      version: RESULT_VERSION,
      seed: params.seed,
      speed,
      params: { ...params, record: params.record ?? null },
      stackSettings: input.stackSettings,
      population: { ...input.population.stats, fingerprint: input.population.fingerprint },
    },
    measuredAt: input.measuredAt,
    commit: input.commit,
    dirty: input.dirty,
    node: input.node,
    simulated: {
      hours: params.hours,
      users: params.users,
      connectedUserHours: sig(hours),
      connectionHours: sig(input.connectionSeconds.all / 3600),
      liveConnectionHours: sig(input.connectionSeconds.live / 3600),
      wallSeconds: sig(input.wallSeconds),
      measuredWallSeconds: sig(meter.elapsedSeconds),
      maxLagMs: input.lag.actions.maxMs,
      lag: input.lag,
      stackCpu: input.stackCpu
        ? {
            stackSeconds: sig(input.stackCpu.stackSeconds),
            redisServerSeconds: sig(input.stackCpu.redisServerSeconds),
            stackShareOfCore: sig(ratio(input.stackCpu.stackSeconds, input.stackCpu.wallSeconds)),
          }
        : null,
    },
    summary: {
      sessions: tally.sessions,
      sessionsEnded: tally.sessionsEnded,
      sessionsVanished: tally.sessionsVanished,
      connects: tally.connects,
      connectsRefused: tally.connectsRefused,
      reconnects: tally.reconnects,
      capReconnects: tally.capReconnects,
      pageChanges: pageChangesSent,
      pageChangesUnsent: tally.pageChangesUnsent,
      heartbeats,
      framesSent: tally.framesSent,
      restSnapshots: tally.restSnapshots,
      restByStatus: tally.restByStatus,
      pushesReceived: tally.pushesReceived,
      receivedWhileVanished: tally.receivedWhileVanished,
      errorFrames: tally.errorFrames,
      serverCloses: tally.serverCloses,
      vanishedCloses: tally.vanishedCloses,
      pushesPerPageChange: sig(ratio(tally.pushesReceived['update-presence'] ?? 0, pageChangesSent)),
      friendUpdatesPerPageChange: sig(ratio(tally.friendUpdates, pageChangesSent)),
      friendsOnlineAvg: sig(input.friendsOnlineAvg),
      connectionsPerOnlineUser: sig(ratio(input.connectionSeconds.live, input.connectedUserSeconds)),
      // presence-timeout pushes a friend received about a user who was back (or came back within the window).
      flaps: tally.flaps,
      // Departures friends were wrongly told about: one per user and return, whatever the number of friends.
      flapEvents: input.flaps.flapEvents,
      renewals: tally.renewals,
      screenOpens: tally.screenOpens,
      // Simulated seconds from a session's end to the first presence-timeout a friend received about it.
      announcementDelaySeconds: {
        clean: distribution(input.flaps.announcementDelays.clean),
        vanished: distribution(input.flaps.announcementDelays.vanished),
      },
    },
    /** The client's counts beside the meter's: equal when nothing was in flight at the reset and at the reading. */
    checks: {
      messagesIn: { meter: meter.apiGateway.messagesIn, framesSent: tally.framesSentTotal() },
      messagesOut: { meter: meter.apiGateway.messagesOut, framesReceived: tally.framesReceivedTotal(), replies },
      connects: { meter: meter.apiGateway.connects, clients: tally.connects },
      restRequests: { meter: meter.apiGateway.restRequests, clients: tally.restSnapshots },
      heartbeats: { meter: meter.lambda.HeartbeatFunction?.invocations ?? 0, clients: heartbeats },
      pageChanges: { meter: meter.lambda.UpdatePresenceFunction?.invocations ?? 0, clients: pageChangesSent },
    },
    meter,
    logs: { bytesByFunction: logs.bytesByFunction, emfBytes: logs.emfBytes, lines: logs.lines, emfLines: logs.emfLines, byLevel: logs.byLevel },
    perConnectedUserHour: {
      apiGateway: {
        messagesIn: per(meter.apiGateway.messagesIn),
        messagesOut: per(meter.apiGateway.messagesOut),
        connects: per(meter.apiGateway.connects),
        // The meter counts wall minutes; a wall minute is `speed` simulated ones.
        connectionMinutes: per(meter.apiGateway.connectionMinutes * speed),
        restRequests: per(meter.apiGateway.restRequests),
        bytesIn: per(meter.apiGateway.bytesIn),
        bytesOut: per(meter.apiGateway.bytesOut),
      },
      managementApi: { posts: per(meter.managementApi.posts), deletes: per(meter.managementApi.deletes), gone: per(meter.managementApi.gone) },
      lambda,
      redis: {
        commands: per(Math.max(0, meter.redis.commands - sweepRedis.commands)),
        scriptCalls: per(Math.max(0, meter.redis.scriptCalls - sweepRedis.scriptCalls)),
        bytesIn: per(Math.max(0, meter.redis.bytesIn - sweepRedis.bytesIn)),
        bytesOut: per(Math.max(0, meter.redis.bytesOut - sweepRedis.bytesOut)),
      },
      postgres: { queries: per(meter.postgres.queries) },
      logs: { bytes: per(functionLogBytes), emfBytes: per(logs.emfBytes) },
    },
    perInvocation,
    sweep,
    notes: [
      'perConnectedUserHour: counts in the measured window divided by the simulated hours users spent in a session in it.',
      `connectionMinutes per connected user-hour are simulated minutes (the meter's wall minutes × speed ${speed}).`,
      "The sweep's task function, its log lines and its idle Redis commands per execution are fixed costs: reported under sweep, not per user.",
      'logs.bytesByFunction counts each JSON line a function wrote (bytes + newline); EMF lines name no function and are counted apart.',
      `Redis per connected user-hour excludes ${sig(sweepRedis.commands)} commands: the idle sweep's per execution × ${executions} executions.`,
    ],
  };
}

export type SimulationResult = ReturnType<typeof buildResult>;

/** Figures the run must not report: the simulation fell behind. Empty when it kept up. */
export function lagViolations(
  lag: ReportInput['lag'],
  params: Pick<SimulationParams, 'speed' | 'maxLagSeconds' | 'presenceTimeoutSeconds' | 'heartbeatSeconds'>,
): string[] {
  const boundMs = (params.maxLagSeconds * 1000) / params.speed;
  const slackMs = ((params.presenceTimeoutSeconds - params.heartbeatSeconds) * 1000) / params.speed;
  const problems: string[] = [];
  if (lag.actions.p99Ms > boundMs)
    problems.push(`99 % of actions ran within ${lag.actions.p99Ms} ms of their time, over the bound of ${round(boundMs)} ms (--max-lag ${params.maxLagSeconds} s simulated)`);
  if (lag.actions.maxMs > slackMs)
    problems.push(`an action ran ${lag.actions.maxMs} ms late, more than the heartbeat's slack before a timeout (${round(slackMs)} ms)`);
  if (lag.echoes.p99Ms > boundMs)
    problems.push(`99 % of pages reached their own sender within ${lag.echoes.p99Ms} ms, over the bound of ${round(boundMs)} ms: the stack fell behind`);
  return problems;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
