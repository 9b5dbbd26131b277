/**
 * The capacity plan: for N users online, the rate each limit sees (from the measured counts per
 * connected user-hour and the AWS durations of the cost model), the limit's default quota, the
 * headroom, and the N at which each limit binds. Every rate grows linearly with N (plus a constant
 * for the sweep), so a limit binds at N x (quota - constant) / (rate - constant).
 */
import type { MeasuredRun } from './measured';
import { ecpuPerConnectedHour, functionTimings, SWEEP_FUNCTION, type FunctionTiming, type ModelInput } from './model';
import { QUOTAS, type Quota } from './quotas';

export interface LimitRow {
  name: string;
  what: string;
  rate: number;
  unit: string;
  /** The default quota, or an assumed ceiling when AWS publishes none (then `assumed` is true). */
  quota: number;
  source: string;
  assumed: boolean;
  utilization: number;
  headroom: number;
  /** Users online at which the rate reaches the quota. */
  bindsAtOnline: number;
  moves: string[];
}

export interface FunctionLoad {
  invocationsPerSecond: number;
  awsDurationMs: number;
  /** Environments busy at once: invocations/s x duration. */
  concurrencyByDuration: number;
  /** Environments needed when one serves at most 10 invocations/s. */
  concurrencyByRequestRate: number;
  environments: number;
}

export interface CapacityResult {
  online: number;
  connections: number;
  shards: number;
  limits: LimitRow[];
  lambda: {
    byFunction: Record<string, FunctionLoad>;
    environments: number;
    sweepEnvironments: number;
    /** From no environment to this load, each function adding at most 1,000 every 10 s. */
    secondsToScaleFromZero: number;
  };
  redis: { commandsPerSecond: number; ecpuPerSecond: number; perShard: { commandsPerSecond: number; ecpuPerSecond: number } };
  postgres: { queriesPerSecondMeasured: number; queriesPerSecondUpperBound: number; connections: number; note: string };
  steadyNewConnectionsPerSecond: number;
  reconnectStorm: {
    connections: number;
    /** REST snapshots a client takes after each (re)connect, from the measurement. */
    snapshotsPerConnect: number;
    requests: number;
    secondsAtNewConnectionQuota: number;
    secondsAtThrottle: number;
    secondsUntilAllBack: number;
    bindingLimit: string;
    lambdaEnvironmentsAtFullRate: number;
    secondsToScaleLambda: number;
  };
  binding: { first: LimitRow; next: LimitRow | null };
  warnings: string[];
}

const PG_POOL_MAX = 2; // layers/core/config.ts PG_POOL_MAX default: connections per environment of a PostgreSQL-using function
const SWEEP_MAX_CONCURRENCY_DEFAULT = 16; // template.yaml SweepMaxConcurrency default: shard batches running at once

function row(
  name: string,
  what: string,
  unit: string,
  quota: Quota | { value: number; url: string; assumed: true },
  slopePerOnline: number,
  constant: number,
  online: number,
  moves: string[],
): LimitRow {
  const rate = slopePerOnline * online + constant;
  const assumed = 'assumed' in quota;
  return {
    name,
    what,
    rate,
    unit,
    quota: quota.value,
    source: quota.url,
    assumed,
    utilization: rate / quota.value,
    headroom: quota.value - rate,
    bindsAtOnline: slopePerOnline > 0 ? Math.max(0, (quota.value - constant) / slopePerOnline) : Number.POSITIVE_INFINITY,
    moves: assumed ? moves : [...('raise' in quota && quota.raise ? [quota.raise] : []), ...moves],
  };
}

function perSecond(perConnectedHour: number, online: number): number {
  return (perConnectedHour * online) / 3600;
}

function loads(timings: Record<string, FunctionTiming>, online: number, rpsPerEnvironment: number): Record<string, FunctionLoad> {
  const result: Record<string, FunctionLoad> = {};
  for (const [fn, t] of Object.entries(timings)) {
    if (fn === SWEEP_FUNCTION) continue;
    const rps = perSecond(t.invocationsPerConnectedHour, online);
    const byDuration = (rps * t.aws.billedMs) / 1000;
    const byRate = rps / rpsPerEnvironment;
    result[fn] = {
      invocationsPerSecond: rps,
      awsDurationMs: t.aws.billedMs,
      concurrencyByDuration: byDuration,
      concurrencyByRequestRate: byRate,
      environments: Math.max(byDuration, byRate),
    };
  }
  return result;
}

export function computeCapacity(input: ModelInput, online: number, shards: number): CapacityResult {
  const { measured, assumptions: a, inventory } = input;
  const per = measured.perConnectedUserHour;
  const timings = functionTimings(input);
  const warnings: string[] = [];
  const rpsPerEnvironment = QUOTAS.lambdaRequestsPerSecondPerEnvironment.value;
  const connectionsPerUser = measured.summary.connectionsPerOnlineUser || input.profile.connectionsPerOnlineUser;

  // API Gateway: everything that reaches the account's throttle per connected user-hour.
  const apiPerHour =
    per.apiGateway.messagesIn + per.apiGateway.connects + per.apiGateway.restRequests + per.managementApi.posts + per.managementApi.deletes;

  // Lambda: environments per user online, and the sweep's shards running at once as a constant.
  const perOnline = loads(timings, 1, rpsPerEnvironment);
  const envSlope = Object.values(perOnline).reduce((sum, l) => sum + l.environments, 0);
  const concurrencySlope = Object.values(perOnline).reduce((sum, l) => sum + l.concurrencyByDuration, 0);
  const invocationSlope = Object.values(perOnline).reduce((sum, l) => sum + l.invocationsPerSecond, 0);
  const sweepEnvironments = Math.min(shards, SWEEP_MAX_CONCURRENCY_DEFAULT);
  const byFunction = loads(timings, online, rpsPerEnvironment);
  const environments = envSlope * online + sweepEnvironments;

  // Redis: commands and ECPUs; one status shard's keys share one hash slot.
  const ecpuPerHour = ecpuPerConnectedHour(per.redis, a.ecpuPerScriptCall);

  // PostgreSQL: measured (one environment per function locally, so its friend cache hits) and the AWS upper bound.
  let pgUpperPerHour = 0;
  let pgEnvSlope = 0;
  for (const [fn, l] of Object.entries(perOnline)) {
    if (!inventory.functions[fn]?.usesPostgres) continue;
    const queries = fn === 'GetPresenceFunction' ? a.getPresenceQueriesPerMiss : 1;
    pgUpperPerHour += l.invocationsPerSecond * 3600 * queries * a.friendCacheMissShareInAws;
    pgEnvSlope += l.environments;
  }

  const limits: LimitRow[] = [
    row(
      'apiGatewayRequests',
      'API Gateway requests/s: messages received, connects, REST requests, @connections posts and deletes (a 5,000-request burst bucket absorbs spikes above the rate)',
      'requests/s',
      QUOTAS.apiGatewayAccountRps,
      apiPerHour / 3600,
      0,
      online,
      [
        'fewer messages per user: subscription levels and longer negotiated heartbeats (the subscription-level issue)',
        'split users across accounts or Regions',
      ],
    ),
    row(
      'newConnections',
      'new WebSocket connections/s in steady state (session starts and the 2-hour cap)',
      'connections/s',
      QUOTAS.websocketNewConnectionsPerSecond,
      per.apiGateway.connects / 3600,
      0,
      online,
      ['fewer reconnects: one connection per user instead of one per device'],
    ),
    row(
      'lambdaConcurrency',
      "Lambda concurrency: invocations/s x AWS duration, summed over functions, plus the sweep's shards",
      'concurrent executions',
      QUOTAS.lambdaConcurrentExecutions,
      concurrencySlope,
      sweepEnvironments,
      online,
      ['shorter invocations (fewer round trips per message)'],
    ),
    row(
      'lambdaInvocations',
      'Lambda invocations/s: an execution environment serves at most 10 a second, so the account serves 10 x its concurrency quota',
      'invocations/s',
      {
        ...QUOTAS.lambdaRequestsPerSecondPerEnvironment,
        value: QUOTAS.lambdaRequestsPerSecondPerEnvironment.value * QUOTAS.lambdaConcurrentExecutions.value,
        raise: QUOTAS.lambdaConcurrentExecutions.raise,
      },
      invocationSlope,
      0,
      online,
      ['fewer invocations per user: keep-alives answered by API Gateway, longer negotiated heartbeats'],
    ),
    row(
      'redisClients',
      'Redis connections: one per Lambda environment',
      'connections',
      QUOTAS.elastiCacheServerlessMaxClients,
      envSlope,
      sweepEnvironments,
      online,
      ['fewer environments (see lambdaConcurrency); a cache per group of users beyond that'],
    ),
    row(
      'redisEcpu',
      'ElastiCache ECPU/s of the whole cache',
      'ECPU/s',
      QUOTAS.elastiCacheServerlessMaxEcpuPerSecond,
      ecpuPerHour / 3600,
      0,
      online,
      ['fewer script calls per message'],
    ),
    row(
      'redisEcpuPerShard',
      'ECPU/s of one status shard (one hash slot), with StatusShardCount shards',
      'ECPU/s',
      { value: a.singleSlotEcpuPerSecond, url: 'cost/assumptions.ts (singleSlotEcpuPerSecond)', assumed: true },
      ecpuPerHour / 3600 / shards,
      0,
      online,
      [`more shards: StatusShardCount (now ${shards}; choose it before deploying, changing it needs the old shards drained)`],
    ),
  ];
  const sorted = [...limits].sort((x, y) => x.bindsAtOnline - y.bindsAtOnline);

  const connections = online * connectionsPerUser;
  // Each returning connection: its connect, the REST snapshot the client takes after it, and the
  // came-online pushes to the friends already back.
  const snapshotsPerConnect = restPerConnect(measured, input.profile.restSnapshotsPerDay, input.profile.connectedHoursPerDay);
  const stormRequests =
    connections * (1 + snapshotsPerConnect) + online * input.profile.friendsOnline * connectionsPerUser * a.reconnectFriendsBackShare;
  const secondsAtNewConnectionQuota = connections / QUOTAS.websocketNewConnectionsPerSecond.value;
  const secondsAtThrottle = stormRequests / QUOTAS.apiGatewayAccountRps.value;
  const connectPath = ['AuthorizerFunction', 'ConnectFunction', 'GetPresenceFunction'];
  const stormEnvironments = connectPath.reduce((sum, fn) => {
    const t = timings[fn];
    if (!t) return sum;
    const rps = QUOTAS.websocketNewConnectionsPerSecond.value;
    return sum + Math.max((rps * t.aws.billedMs) / 1000, rps / rpsPerEnvironment);
  }, 0);
  if (!connectPath.every((fn) => timings[fn]))
    warnings.push(`the measurement lacks one of ${connectPath.join(', ')}: the storm's Lambda load is partial`);

  const measuredPg = perSecond(per.postgres.queries, online);
  return {
    online,
    connections,
    shards,
    limits,
    lambda: {
      byFunction,
      environments,
      sweepEnvironments,
      secondsToScaleFromZero:
        Math.max(0, ...Object.values(byFunction).map((l) => Math.ceil(l.environments / QUOTAS.lambdaScalingPerTenSeconds.value))) * 10,
    },
    redis: {
      commandsPerSecond: perSecond(per.redis.commands, online),
      ecpuPerSecond: perSecond(ecpuPerHour, online),
      perShard: {
        commandsPerSecond: perSecond(per.redis.commands, online) / shards,
        ecpuPerSecond: perSecond(ecpuPerHour, online) / shards,
      },
    },
    postgres: {
      queriesPerSecondMeasured: measuredPg,
      queriesPerSecondUpperBound: perSecond(pgUpperPerHour, online),
      connections: pgEnvSlope * online * PG_POOL_MAX,
      note: "No default quota: the user service's database sets it (max_connections, instance size, RDS Proxy). Upper bound: every friend lookup misses the 30 s per-environment cache.",
    },
    steadyNewConnectionsPerSecond: perSecond(per.apiGateway.connects, online),
    reconnectStorm: {
      connections,
      snapshotsPerConnect,
      requests: stormRequests,
      secondsAtNewConnectionQuota,
      secondsAtThrottle,
      secondsUntilAllBack: Math.max(secondsAtNewConnectionQuota, secondsAtThrottle),
      bindingLimit: secondsAtThrottle > secondsAtNewConnectionQuota ? 'apiGatewayRequests' : 'newConnections',
      lambdaEnvironmentsAtFullRate: stormEnvironments,
      secondsToScaleLambda: Math.ceil(stormEnvironments / QUOTAS.lambdaScalingPerTenSeconds.value) * 10,
    },
    binding: { first: sorted[0] as LimitRow, next: sorted[1] ?? null },
    warnings,
  };
}

/** REST snapshots a client makes per (re)connect, from the measurement (the legacy client makes one). */
export function restPerConnect(measured: MeasuredRun, restSnapshotsPerDay: number, connectedHoursPerDay: number): number {
  const per = measured.perConnectedUserHour.apiGateway;
  const scheduled = restSnapshotsPerDay / connectedHoursPerDay;
  return per.connects > 0 ? Math.max(0, per.restRequests - scheduled) / per.connects : 0;
}
