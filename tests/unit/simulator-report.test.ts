/**
 * The simulator's result: figures per connected user-hour from the meter's counts, the sweep kept
 * apart as a fixed cost, and the refusal to report a run that fell behind.
 */
import type { LambdaFunctionMeter, MeterSnapshot } from '../../local/meter';
import { parseParams, type SimulationParams } from '../../simulator/params';
import { buildResult, idleSweepBetween, lagViolations, type ReportInput } from '../../simulator/report';
import { Tally } from '../../simulator/tally';

/** The defaults, as `npm run simulate` takes them. */
function defaultParams(): SimulationParams {
  return parseParams([], {})!;
}

function lambda(invocations: number, billedMs: number): LambdaFunctionMeter {
  return {
    invocations,
    errors: 0,
    durationMs: billedMs - invocations / 2,
    billedMs,
    cpuMs: billedMs / 4,
    memoryMb: 512,
    architecture: 'arm64',
    gbSeconds: (billedMs / 1000) * 0.5,
    initMs: 40,
    coldStarts: 1,
  };
}

function meter(overrides: Partial<MeterSnapshot> = {}): MeterSnapshot {
  return {
    since: '2026-12-01T00:00:00.000Z',
    now: '2026-12-01T00:02:00.000Z',
    elapsedSeconds: 120,
    notes: [],
    apiGateway: {
      messagesIn: 1000,
      controlFramesIn: 0,
      messagesOut: 4000,
      connects: 20,
      connectsRefused: 0,
      disconnects: 18,
      connectionsOpen: 90,
      connectionMinutes: 160,
      restRequests: 30,
      bytesIn: 50_000,
      bytesOut: 900_000,
    },
    managementApi: { posts: 4100, deletes: 2, gets: 0, gone: 100, refused: 0 },
    lambda: {
      HeartbeatFunction: lambda(800, 2400),
      UpdatePresenceFunction: lambda(200, 4000),
      SweepShardFunction: lambda(960, 9600),
      DefaultFunction: lambda(0, 0),
    },
    stepFunctions: { executions: 60, durationMs: 3000, billedDurationMs: 6000, stateTransitions: 3960, type: 'EXPRESS' },
    redis: { commands: 6000, scriptCalls: 3000, byCommand: {}, bytesIn: 600_000, bytesOut: 200_000 },
    postgres: { queries: 40, connections: 4, bytesIn: 1000, bytesOut: 2000 },
    ...overrides,
  };
}

function input(overrides: Partial<ReportInput> = {}): ReportInput {
  const tally = new Tally();
  tally.framesSent = { heartbeat: 800, 'update-presence': 200 };
  tally.pageChanges = 210;
  tally.pageChangesUnsent = 10;
  tally.pushesReceived = { 'update-presence': 3900, 'presence-timeout': 100 };
  tally.connects = 20;
  tally.restSnapshots = 30;
  return {
    params: defaultParams(),
    stackSettings: {},
    population: { stats: { edges: 5000, meanDegree: 50, maxDegree: 50, minDegree: 50, isolated: 0 }, fingerprint: 'f' },
    measuredAt: '2026-12-01T00:02:00.000Z',
    commit: 'abc',
    dirty: false,
    node: 'v20',
    wallSeconds: 400,
    flaps: { flapEvents: 0, announcementDelays: { clean: [], vanished: [] } },
    // 80 connected user-hours.
    connectedUserSeconds: 80 * 3600,
    connectionSeconds: { all: 100 * 3600, live: 96 * 3600 },
    tally,
    friendsOnlineAvg: 20,
    lag: { actions: { count: 1, p50Ms: 1, p99Ms: 2, maxMs: 3 }, echoes: { count: 1, p50Ms: 5, p99Ms: 9, maxMs: 20 }, rest: { count: 1, p50Ms: 5, p99Ms: 9, maxMs: 20 } },
    meter: meter(),
    logs: { bytesByFunction: { HeartbeatFunction: 400_000, UpdatePresenceFunction: 100_000, SweepShardFunction: 8_000 }, emfBytes: 160_000, lines: 1000, emfLines: 300, byLevel: { INFO: 700 } },
    sweepFunctions: ['SweepShardFunction'],
    idleSweep: { executions: 2, redis: { commands: 96, scriptCalls: 0, bytesIn: 8000, bytesOut: 400 }, postgres: { queries: 0 }, invocations: { SweepShardFunction: 32 } },
    ...overrides,
  };
}

describe('buildResult', () => {
  it('divides the counts by the connected user-hours, and connection minutes are simulated minutes', () => {
    const result = buildResult(input());
    expect(result.simulated.connectedUserHours).toBe(80);
    expect(result.perConnectedUserHour.apiGateway).toEqual({
      messagesIn: 12.5,
      messagesOut: 50,
      connects: 0.25,
      // 160 wall minutes × 30 / 80 hours.
      connectionMinutes: 60,
      restRequests: 0.375,
      bytesIn: 625,
      bytesOut: 11_250,
    });
    expect(result.perConnectedUserHour.managementApi).toEqual({ posts: 51.25, deletes: 0.025, gone: 1.25 });
    expect(result.perConnectedUserHour.lambda.HeartbeatFunction).toEqual({ invocations: 10, billedMs: 30, gbSeconds: 0.015, cpuMs: 7.5 });
    expect(result.perConnectedUserHour.postgres).toEqual({ queries: 0.5 });
  });

  it("keeps the sweep's task apart, and takes the idle sweep's Redis commands out of the per-user figures", () => {
    const result = buildResult(input());
    expect(result.perConnectedUserHour.lambda.SweepShardFunction).toBeUndefined();
    // 60 executions × 48 idle commands = 2,880 of the 6,000.
    expect(result.perConnectedUserHour.redis).toEqual({ commands: (6000 - 2880) / 80, scriptCalls: 3000 / 80, bytesIn: (600_000 - 240_000) / 80, bytesOut: (200_000 - 12_000) / 80 });
    expect(result.perConnectedUserHour.logs).toEqual({ bytes: 500_000 / 80, emfBytes: 2000 });
    expect(result.sweep).toEqual({
      executionsPerSimulatedHour: 60,
      billedDurationMsPerExecution: 100,
      lambdaInvocationsPerExecution: 16,
      lambdaBilledMsPerExecution: 160,
      lambdaGbSecondsPerExecution: 0.08,
      stateTransitionsPerExecution: 66,
      logBytesPerExecution: 133.333,
      idle: { executions: 2, redisCommandsPerExecution: 48, redisScriptCallsPerExecution: 0, redisBytesInPerExecution: 4000, redisBytesOutPerExecution: 200, postgresQueriesPerExecution: 0 },
    });
    expect(result.perInvocation.SweepShardFunction).toMatchObject({ billedMs: 10, redisCommands: 3, pgQueries: 0 });
    expect(result.perInvocation.DefaultFunction).toBeUndefined();
    expect(result.perInvocation.HeartbeatFunction).toEqual({ billedMs: 3, durationMs: 2.5, cpuMs: 0.75, gbSeconds: 0.0015, logBytes: 500, errors: 0 });
  });

  it('summarises what the clients did beside the meter', () => {
    const result = buildResult(input());
    expect(result.summary).toMatchObject({ pageChanges: 200, heartbeats: 800, pushesPerPageChange: 19.5, connectionsPerOnlineUser: 1.2, friendsOnlineAvg: 20 });
    expect(result.checks.messagesIn).toEqual({ meter: 1000, framesSent: 1000 });
    expect(result.checks.messagesOut).toEqual({ meter: 4000, framesReceived: 4000, replies: 0 });
    expect(result.simulator).toMatchObject({ version: 1, seed: 1, speed: 30 });
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('reports no idle sweep figures when none was measured, and keeps every count', () => {
    const result = buildResult(input({ idleSweep: undefined }));
    expect(result.sweep.idle).toBeNull();
    expect(result.perConnectedUserHour.redis.commands).toBe(6000 / 80);
  });
});

describe('idleSweepBetween', () => {
  it('is the difference of two readings', () => {
    const before = meter();
    const after = meter({
      stepFunctions: { ...before.stepFunctions, executions: 62 },
      redis: { ...before.redis, commands: 6096, bytesIn: 608_000 },
      lambda: { ...before.lambda, SweepShardFunction: lambda(992, 9900) },
    });
    expect(idleSweepBetween(before, after)).toEqual({
      executions: 2,
      redis: { commands: 96, scriptCalls: 0, bytesIn: 8000, bytesOut: 0 },
      postgres: { queries: 0 },
      invocations: { SweepShardFunction: 32 },
    });
  });
});

describe('lagViolations', () => {
  const params = { speed: 30, maxLagSeconds: 10, presenceTimeoutSeconds: 150, heartbeatSeconds: 60 };
  const quick = { count: 10, p50Ms: 1, p99Ms: 50, maxMs: 200 };

  it('passes a run that kept up', () => {
    expect(lagViolations({ actions: quick, echoes: quick, rest: quick }, params)).toEqual([]);
  });

  it('refuses a run whose actions or echoes were late beyond the bound (10 simulated s = 333 ms at 30x)', () => {
    expect(lagViolations({ actions: { ...quick, p99Ms: 400 }, echoes: quick, rest: quick }, params)[0]).toContain('over the bound of 333.3 ms');
    expect(lagViolations({ actions: quick, echoes: { ...quick, p99Ms: 400 }, rest: quick }, params)[0]).toContain('the stack fell behind');
    // Beyond the heartbeat's slack (90 simulated s = 3 s) a late heartbeat can time a user out.
    expect(lagViolations({ actions: { ...quick, maxMs: 3100 }, echoes: quick, rest: quick }, params)[0]).toContain('slack before a timeout (3000 ms)');
  });
});
