/**
 * The cost model: measured counts per connected user-hour, scaled to a user-month of a profile, with the
 * AWS-only differences added from the assumptions, priced at list prices. Per user-month is the
 * marginal (variable) cost at first-tier prices; fixed monthly costs are kept apart; at scale, volume
 * tiers apply to the month's aggregate and fixed costs are shared by the users.
 */
import type { AssumptionValues } from './assumptions';
import type { LambdaPerInvocation, MeasuredRun } from './measured';
import { BILLING_RULES, type AwsPriceName, type AwsPrices } from './prices';
import { connectedHoursPerMonth, hoursPerMonth, type Profile } from './profiles';
import { scheduleRunsPerMonth, type TemplateInventory } from './template-inventory';
import { firstTierUnitPrice, roundUpTo, tieredCost } from './tiers';

export const GIB = 1024 ** 3;
export const SWEEP_FUNCTION = 'SweepShardFunction';
/** Functions that push friends' updates; posts are shared among them when the measurement does not attribute them. */
export const FAN_OUT_FUNCTIONS = ['UpdatePresenceFunction', 'ConnectFunction', 'DisconnectFunction'] as const;
export const SCALES = [1_000, 100_000, 1_000_000] as const;

export type Engine = 'valkey' | 'redis-oss';

export const ENGINE_MINIMUM_GB: Record<Engine, number> = BILLING_RULES.elastiCacheMinimumGb;

export interface ModelInput {
  measured: MeasuredRun;
  profile: Profile;
  prices: AwsPrices;
  assumptions: AssumptionValues;
  inventory: TemplateInventory;
  engine: Engine;
  /** Custom metrics the stack emits in a month (metric name x dimension values). */
  customMetrics: number;
}

export interface FunctionTiming {
  memoryMb: number;
  invocationsPerConnectedHour: number;
  local: { billedMs: number; cpuMs: number };
  aws: { billedMs: number; added: { cpu: number; redis: number; postgres: number; management: number } };
  /** Round trips of one invocation: Redis commands, PostgreSQL queries, @connections posts. */
  roundTrips: { redis: number; postgres: number; posts: number };
  /** Round trips shared out from the measured totals (the file does not give them per function). */
  attributed: Array<'redis' | 'postgres' | 'posts'>;
  initMsPerColdStart: number;
}

/** Where a component's dollars come from: the prices it sums. */
export const COMPONENT_PRICES = {
  apiGatewayMessages: ['apiGatewayWebSocketMessages'],
  apiGatewayConnectionMinutes: ['apiGatewayConnectionMinutes'],
  apiGatewayRest: ['apiGatewayRestRequests'],
  lambdaRequests: ['lambdaRequests'],
  lambdaGbSeconds: ['lambdaArmGbSeconds'],
  stepFunctions: ['stepFunctionsExpressRequests', 'stepFunctionsExpressGbSeconds'],
  elastiCacheEcpu: ['elastiCacheEcpu'],
  elastiCacheStorage: ['elastiCacheStorage'],
  cloudWatchLogsIngestion: ['cloudWatchLogsLambdaIngestion'],
  cloudWatchLogsStorage: ['cloudWatchLogsStorage'],
  customMetrics: ['cloudWatchCustomMetrics'],
  natDataProcessing: ['natGatewayDataProcessed'],
  dataTransferOut: ['dataTransferOut'],
  secretsManagerApiCalls: ['secretsManagerApiCalls'],
} as const;
export type ComponentName = keyof typeof COMPONENT_PRICES;

/** A price name of the table, with the ElastiCache entries resolved for the chosen engine. */
type PriceKey =
  | Exclude<AwsPriceName, 'elastiCacheValkeyEcpu' | 'elastiCacheValkeyStorage' | 'elastiCacheRedisEcpu' | 'elastiCacheRedisStorage'>
  | 'elastiCacheEcpu'
  | 'elastiCacheStorage';
type Quantities = Partial<Record<PriceKey, number>>;

function priceOf(prices: AwsPrices, key: PriceKey, engine: Engine) {
  if (key === 'elastiCacheEcpu') return engine === 'valkey' ? prices.elastiCacheValkeyEcpu : prices.elastiCacheRedisEcpu;
  if (key === 'elastiCacheStorage') return engine === 'valkey' ? prices.elastiCacheValkeyStorage : prices.elastiCacheRedisStorage;
  return prices[key];
}

const round = (value: number, digits = 6) => Number(value.toFixed(digits));

interface RoundTrips {
  redis: number;
  postgres: number;
  posts: number;
  /** Which of the three were shared out from the measured totals instead of measured per invocation. */
  attributed: Array<'redis' | 'postgres' | 'posts'>;
}

/**
 * Round trips of one invocation of each function. Measured per invocation when the file has them; else
 * the measured totals per connected user-hour are shared evenly among the invocations of the functions
 * that make them: Redis by every function but the authorizer, PostgreSQL by those that may read its
 * password, @connections posts by the fan-out functions. The sweep's task keeps its own figures.
 */
/** Lambda writes its START and REPORT lines only at a SystemLogLevel of INFO or DEBUG. */
function platformLogBytesPerInvocation(inventory: TemplateInventory, a: ModelInput['assumptions']): number {
  return inventory.platformLogLevel === 'WARN' ? 0 : a.lambdaPlatformLogBytesPerInvocation;
}

function roundTrips(measured: MeasuredRun, inventory: TemplateInventory): Record<string, RoundTrips> {
  const per = measured.perConnectedUserHour;
  const users = Object.keys(measured.perInvocation).filter((fn) => fn !== SWEEP_FUNCTION);
  const invocations = (fn: string) => per.lambda[fn]?.invocations ?? 0;
  const has = (pick: (entry: LambdaPerInvocation) => number | undefined) =>
    users.some((fn) => pick(measured.perInvocation[fn]!) !== undefined);
  const share = (total: number, eligible: string[]) => {
    const count = eligible.reduce((sum, fn) => sum + invocations(fn), 0);
    return count > 0 ? total / count : 0;
  };
  const redisEligible = users.filter((fn) => fn !== 'AuthorizerFunction');
  const postgresEligible = users.filter((fn) => inventory.functions[fn]?.usesPostgres);
  const postsEligible = users.filter((fn) => (FAN_OUT_FUNCTIONS as readonly string[]).includes(fn));
  const measuredRedis = has((e) => e.redisRoundTrips ?? e.redisCommands);
  const measuredPostgres = has((e) => e.pgQueries);
  const measuredPosts = has((e) => e.posts);
  const redisShare = share(per.redis.commands, redisEligible);
  const postgresShare = share(per.postgres.queries, postgresEligible);
  const postsShare = share(per.managementApi.posts, postsEligible);
  const result: Record<string, RoundTrips> = {};
  for (const [fn, entry] of Object.entries(measured.perInvocation)) {
    const own = fn === SWEEP_FUNCTION;
    const attributed: RoundTrips['attributed'] = [];
    const pick = (
      measuredHere: boolean,
      value: number | undefined,
      eligible: string[],
      shared: number,
      kind: 'redis' | 'postgres' | 'posts',
    ) => {
      if (own || measuredHere) return value ?? 0;
      if (!eligible.includes(fn)) return 0;
      attributed.push(kind);
      return shared;
    };
    result[fn] = {
      redis: pick(measuredRedis, entry.redisRoundTrips ?? entry.redisCommands, redisEligible, redisShare, 'redis'),
      postgres: pick(measuredPostgres, entry.pgQueries, postgresEligible, postgresShare, 'postgres'),
      posts: pick(measuredPosts, entry.posts, postsEligible, postsShare, 'posts'),
      attributed,
    };
  }
  return result;
}

/** Each function's billed milliseconds locally and as estimated in AWS (local + CPU share + round trips). */
export function functionTimings(input: ModelInput): Record<string, FunctionTiming> {
  const { measured, assumptions: a, inventory } = input;
  const trips = roundTrips(measured, inventory);
  const timings: Record<string, FunctionTiming> = {};
  for (const [fn, per] of Object.entries(measured.perInvocation)) {
    const memoryMb = inventory.functions[fn]?.memoryMb;
    if (memoryMb === undefined) throw new Error(`the measurement names ${fn}, which template.yaml does not define`);
    const cpuFactor = Math.max(1, a.fullVcpuMemoryMb / memoryMb) / (a.cpuSpeedRatio || 1);
    const own = trips[fn] as RoundTrips;
    const rounds = own.posts > 0 ? Math.max(1, own.posts / Math.max(1, a.pushConcurrency)) : 0;
    // One invocation runs on one thread: CPU time above its wall time is other invocations' work the
    // local process shared with it, so the stretch applies to at most its duration.
    const cpuMs = Math.min(per.cpuMs, per.durationMs);
    const added = {
      cpu: cpuMs * (cpuFactor - 1),
      redis: own.redis * a.redisRoundTripMs,
      postgres: own.postgres * a.postgresRoundTripMs,
      management: rounds * a.managementRoundTripMs,
    };
    const init = measured.init[fn];
    timings[fn] = {
      memoryMb,
      invocationsPerConnectedHour: measured.perConnectedUserHour.lambda[fn]?.invocations ?? 0,
      local: { billedMs: per.billedMs, cpuMs },
      aws: { billedMs: per.billedMs + added.cpu + added.redis + added.postgres + added.management, added },
      roundTrips: { redis: own.redis, postgres: own.postgres, posts: own.posts },
      attributed: own.attributed,
      initMsPerColdStart: init && init.coldStarts > 0 && init.initMs > 0 ? init.initMs / init.coldStarts : a.initMsWhenUnmeasured,
    };
  }
  return timings;
}

/** ECPUs per connected user-hour: simple commands at max(1, KB), script calls at max(script ECPU, KB). */
export function ecpuPerConnectedHour(redis: MeasuredRun['perConnectedUserHour']['redis'], ecpuPerScriptCall: number): number {
  if (redis.commands === 0) return 0;
  const kbPerCommand = (redis.bytesIn + redis.bytesOut) / 1024 / redis.commands;
  const scripts = Math.min(redis.scriptCalls, redis.commands);
  const simple = redis.commands - scripts;
  return simple * Math.max(1, kbPerCommand) + scripts * Math.max(ecpuPerScriptCall, kbPerCommand);
}

export interface VariableUsage {
  quantities: Quantities;
  messagesIn: number;
  messagesOut: number;
  invocations: number;
  localGbSeconds: number;
  awsGbSeconds: number;
  initGbSeconds: number;
  logBytes: number;
  ecpu: number;
}

/** What one user of the profile uses in a month, in the units the prices count. */
export function variableUsage(input: ModelInput, timings: Record<string, FunctionTiming>): VariableUsage {
  const { measured, profile, assumptions: a, inventory } = input;
  const per = measured.perConnectedUserHour;
  const hours = connectedHoursPerMonth(profile);
  let invocations = 0;
  let localGbSeconds = 0;
  let awsGbSeconds = 0;
  let initGbSeconds = 0;
  let postgresColdStarts = 0;
  for (const [fn, timing] of Object.entries(timings)) {
    if (fn === SWEEP_FUNCTION) continue;
    const count = timing.invocationsPerConnectedHour * hours;
    const gb = timing.memoryMb / 1024;
    invocations += count;
    localGbSeconds += (per.lambda[fn]?.gbSeconds ?? 0) * hours;
    awsGbSeconds += (count * timing.aws.billedMs * gb) / 1000;
    initGbSeconds += (count * a.coldStartFraction * timing.initMsPerColdStart * gb) / 1000;
    if (inventory.functions[fn]?.usesPostgres) postgresColdStarts += count * a.coldStartFraction;
  }
  // The simulator reports the sweep's task's lines under `sweep`, not per user.
  const logBytes = (per.logs.bytes + per.logs.emfBytes) * hours + invocations * platformLogBytesPerInvocation(inventory, a);
  const frameBytes = per.apiGateway.messagesOut > 0 ? per.apiGateway.bytesOut / per.apiGateway.messagesOut : 0;
  const natBytes = (per.managementApi.posts + per.managementApi.deletes) * hours * (a.natOverheadBytesPerPost + frameBytes);
  const ecpu = ecpuPerConnectedHour(per.redis, a.ecpuPerScriptCall) * hours;
  const storageGbHours = (hours * a.redisBytesPerOnlineUser + hoursPerMonth(profile) * a.redisBytesPerMonthlyUser) / GIB;
  const logGb = logBytes / GIB;
  return {
    quantities: {
      apiGatewayWebSocketMessages: (per.apiGateway.messagesIn + per.apiGateway.messagesOut) * hours,
      apiGatewayConnectionMinutes: per.apiGateway.connectionMinutes * hours,
      apiGatewayRestRequests: per.apiGateway.restRequests * hours,
      lambdaRequests: invocations,
      lambdaArmGbSeconds: awsGbSeconds + initGbSeconds,
      elastiCacheEcpu: ecpu,
      elastiCacheStorage: storageGbHours,
      cloudWatchLogsLambdaIngestion: logGb,
      cloudWatchLogsStorage: logGb * (inventory.logRetentionDays / 30),
      natGatewayDataProcessed: natBytes / GIB,
      dataTransferOut: (per.apiGateway.bytesOut * hours) / GIB,
      secretsManagerApiCalls: postgresColdStarts,
    },
    messagesIn: per.apiGateway.messagesIn * hours,
    messagesOut: per.apiGateway.messagesOut * hours,
    invocations,
    localGbSeconds,
    awsGbSeconds,
    initGbSeconds,
    logBytes,
    ecpu,
  };
}

export interface FixedItem {
  dollars: number;
  quantity: number;
  unit: string;
  note: string;
}

export interface FixedUsage {
  /** Quantities of tiered prices that the fixed work adds to the month's aggregate. */
  quantities: Quantities;
  items: Record<string, FixedItem>;
  total: number;
  sweepExecutionsPerMonth: number;
  warnings: string[];
}

/** Costs that do not grow with users: the NAT gateways, the cache's minimum, the sweep's schedule, alarms, dashboard, metrics, the secret. */
export function fixedUsage(input: ModelInput, timings: Record<string, FunctionTiming>): FixedUsage {
  const { measured, profile, prices, assumptions: a, inventory, engine } = input;
  const warnings: string[] = [];
  const hours = hoursPerMonth(profile);
  const executions = measured.sweep.executionsPerSimulatedHour * hours;
  const scheduled = scheduleRunsPerMonth(inventory.sweepScheduleExpression, hours);
  if (scheduled !== null && Math.abs(scheduled - executions) > 0.1 * scheduled) {
    warnings.push(
      `the sweep ran ${executions.toFixed(0)} times a month in the measurement; the template's ${inventory.sweepScheduleExpression} makes ${scheduled.toFixed(0)}`,
    );
  }
  const sweepTiming = timings[SWEEP_FUNCTION];
  const sweepInvocations = executions * measured.sweep.lambdaInvocationsPerExecution;
  const sweepGb = (sweepTiming?.memoryMb ?? inventory.functions[SWEEP_FUNCTION]?.memoryMb ?? 0) / 1024;
  const sweepGbSeconds = sweepTiming
    ? (sweepInvocations * sweepGb * (sweepTiming.aws.billedMs + a.coldStartFraction * sweepTiming.initMsPerColdStart)) / 1000
    : 0;
  if (!sweepTiming && sweepInvocations > 0)
    warnings.push(`the measurement has no perInvocation.${SWEEP_FUNCTION}: the sweep's Lambda duration is not priced`);
  const windowHours = measured.windowHours ?? measured.simulated.hours;
  const sweepLinesPerMonth =
    measured.sweep.logBytesPerExecution !== undefined
      ? measured.sweep.logBytesPerExecution * executions
      : windowHours > 0
        ? ((measured.logBytesByFunction[SWEEP_FUNCTION] ?? 0) / windowHours) * hours
        : 0;
  if (measured.sweep.logBytesPerExecution === undefined && measured.logBytesByFunction[SWEEP_FUNCTION] === undefined) {
    warnings.push(
      'the measurement has neither sweep.logBytesPerExecution nor logs.bytesByFunction for the sweep: its log lines are not priced',
    );
  }
  const sweepLogBytes = sweepLinesPerMonth + sweepInvocations * platformLogBytesPerInvocation(inventory, a);
  const idle = measured.sweep.idleRedisPerExecution;
  const sweepEcpu = idle ? ecpuPerConnectedHour(idle, a.ecpuPerScriptCall) * executions : 0;
  // Express: one 64 MB chunk (a sweep's definition and data are far below it), duration in 100 ms steps.
  const expressGbSeconds =
    (executions *
      (BILLING_RULES.expressMemoryChunkMb / 1024) *
      roundUpTo(measured.sweep.billedDurationMsPerExecution, BILLING_RULES.expressDurationStepMs)) /
    1000;
  const quantities: Quantities = {
    stepFunctionsExpressRequests: executions,
    stepFunctionsExpressGbSeconds: expressGbSeconds,
    lambdaRequests: sweepInvocations,
    lambdaArmGbSeconds: sweepGbSeconds,
    cloudWatchLogsLambdaIngestion: sweepLogBytes / GIB,
    cloudWatchLogsStorage: (sweepLogBytes / GIB) * (inventory.logRetentionDays / 30),
    eventBridgeSchedulerInvocations: executions,
    elastiCacheEcpu: sweepEcpu,
  };
  const alarmMetrics = inventory.alarms.reduce((sum, alarm) => sum + alarm.metrics, 0);
  const minimumGb = ENGINE_MINIMUM_GB[engine];
  const storagePrice = priceOf(prices, 'elastiCacheStorage', engine);
  const cost = (key: PriceKey, quantity: number) => tieredCost(quantity, priceOf(prices, key, engine).tiers);
  const items: Record<string, FixedItem> = {
    natGatewayHours: {
      dollars: cost('natGatewayHours', a.natGateways * hours),
      quantity: a.natGateways * hours,
      unit: 'NAT gateway-hours',
      note: `${a.natGateways} NAT gateways (assumption natGateways) x ${hours} h`,
    },
    natPublicIpv4: {
      dollars: cost('publicIpv4Hours', a.natGateways * hours),
      quantity: a.natGateways * hours,
      unit: 'public IPv4 address-hours',
      note: 'one public IPv4 address per NAT gateway',
    },
    elastiCacheMinimum: {
      dollars: tieredCost(minimumGb * hours, storagePrice.tiers),
      quantity: minimumGb * hours,
      unit: 'GB-hours',
      note: `${engine === 'valkey' ? 'Valkey' : 'Redis OSS'} serverless bills at least ${minimumGb} GB; at scale only the part above the data stored is extra`,
    },
    sweepStepFunctions: {
      dollars: cost('stepFunctionsExpressRequests', executions) + cost('stepFunctionsExpressGbSeconds', expressGbSeconds),
      quantity: executions,
      unit: 'Express executions',
      note: `${measured.sweep.billedDurationMsPerExecution.toFixed(0)} ms billed each (measured), 64 MB`,
    },
    sweepLambda: {
      dollars: cost('lambdaRequests', sweepInvocations) + cost('lambdaArmGbSeconds', sweepGbSeconds),
      quantity: sweepInvocations,
      unit: `${SWEEP_FUNCTION} invocations`,
      note: `${measured.sweep.lambdaInvocationsPerExecution} per execution, ${sweepTiming ? sweepTiming.aws.billedMs.toFixed(1) : '?'} ms each in AWS at ${Math.round(sweepGb * 1024)} MB`,
    },
    sweepRedis: {
      dollars: cost('elastiCacheEcpu', sweepEcpu),
      quantity: sweepEcpu,
      unit: 'ECPUs',
      note: idle ? `${idle.commands.toFixed(1)} commands per execution with nobody to time out (measured)` : 'not in the measurement',
    },
    sweepSchedule: {
      dollars: cost('eventBridgeSchedulerInvocations', executions),
      quantity: executions,
      unit: 'EventBridge Scheduler invocations',
      note: 'the first 14 million a month are $0',
    },
    sweepLogs: {
      dollars:
        cost('cloudWatchLogsLambdaIngestion', sweepLogBytes / GIB) +
        cost('cloudWatchLogsStorage', (sweepLogBytes / GIB) * (inventory.logRetentionDays / 30)),
      quantity: sweepLogBytes / GIB,
      unit: 'GB ingested',
      note: `the sweep's log lines, kept ${inventory.logRetentionDays} days`,
    },
    alarms: {
      dollars: cost('cloudWatchAlarmMetrics', alarmMetrics),
      quantity: alarmMetrics,
      unit: 'alarm metrics',
      note: `${inventory.alarms.length} alarms in template.yaml; a metric-math alarm counts each metric it reads`,
    },
    dashboards: {
      dollars: cost('cloudWatchDashboards', inventory.dashboards),
      quantity: inventory.dashboards,
      unit: 'dashboards',
      note: 'from template.yaml',
    },
    customMetrics: {
      dollars: cost('cloudWatchCustomMetrics', input.customMetrics),
      quantity: input.customMetrics,
      unit: 'custom metrics',
      note: 'metric names x dimension values the functions emit (EMF); their ingestion is in the log bytes',
    },
    secretsManager: {
      dollars: cost('secretsManagerSecrets', 1),
      quantity: 1,
      unit: 'secrets',
      note: 'the PostgreSQL password secret (its API calls are per cold start, priced per user)',
    },
  };
  const total = Object.values(items).reduce((sum, item) => sum + item.dollars, 0);
  return { quantities, items, total, sweepExecutionsPerMonth: executions, warnings };
}

export interface ScaleResult {
  monthlyUsers: number;
  totalMonthly: number;
  perUser: number;
  components: Record<string, number>;
}

/** The bill for `users` monthly users: tiers on the aggregate, fixed costs shared, the cache minimum as a floor. */
export function atScale(input: ModelInput, variable: VariableUsage, fixed: FixedUsage, users: number): ScaleResult {
  const { prices, engine } = input;
  const hours = hoursPerMonth(input.profile);
  const components: Record<string, number> = {};
  const keys = new Set<PriceKey>([...(Object.keys(variable.quantities) as PriceKey[]), ...(Object.keys(fixed.quantities) as PriceKey[])]);
  for (const key of keys) {
    let quantity = (variable.quantities[key] ?? 0) * users + (fixed.quantities[key] ?? 0);
    if (key === 'elastiCacheStorage') quantity = Math.max(quantity, ENGINE_MINIMUM_GB[engine] * hours);
    components[key] = tieredCost(quantity, priceOf(prices, key, engine).tiers);
  }
  for (const [name, item] of Object.entries(fixed.items)) {
    if (['sweepStepFunctions', 'sweepLambda', 'sweepRedis', 'sweepSchedule', 'sweepLogs', 'elastiCacheMinimum'].includes(name)) continue;
    components[name] = item.dollars;
  }
  const totalMonthly = Object.values(components).reduce((sum, dollars) => sum + dollars, 0);
  return {
    monthlyUsers: users,
    totalMonthly: round(totalMonthly, 2),
    perUser: round(totalMonthly / users),
    components: Object.fromEntries(Object.entries(components).map(([name, dollars]) => [name, round(dollars, 2)])),
  };
}

export interface CostResult {
  perUserMonth: { total: number; components: Record<ComponentName, number>; quantities: Record<string, number> };
  messagesPerUserMonth: { in: number; out: number; total: number };
  lambda: Record<string, FunctionTiming & { invocationsPerUserMonth: number }>;
  lambdaTotals: { invocations: number; localGbSeconds: number; awsGbSeconds: number; initGbSeconds: number };
  fixedMonthly: { total: number; items: Record<string, FixedItem> };
  atScale: ScaleResult[];
  warnings: string[];
}

function paramWarnings(measured: MeasuredRun, profile: Profile): string[] {
  const warnings: string[] = [];
  const expect: Array<[string[], number, string]> = [
    [['heartbeat', 'heartbeatSeconds'], profile.heartbeatSeconds, 'heartbeat seconds'],
    [['devices', 'connectionsPerOnlineUser'], profile.connectionsPerOnlineUser, 'connections per online user'],
  ];
  for (const [names, want, label] of expect) {
    const name = names.find((n) => typeof measured.params[n] === 'number');
    if (name && measured.params[name] !== want)
      warnings.push(`the measurement ran with ${label} ${String(measured.params[name])}; the profile says ${want}`);
  }
  const friendsOnline = measured.summary.friendsOnlineAvg;
  if (friendsOnline > 0 && Math.abs(friendsOnline - profile.friendsOnline) > 0.25 * profile.friendsOnline) {
    warnings.push(`friends online averaged ${friendsOnline.toFixed(1)} in the measurement; the profile says ${profile.friendsOnline}`);
  }
  if (measured.dirty) warnings.push('the measurement was recorded from a working tree with uncommitted changes');
  return warnings;
}

export function computeCost(input: ModelInput): CostResult {
  const { prices, engine, profile } = input;
  const timings = functionTimings(input);
  const variable = variableUsage(input, timings);
  const fixed = fixedUsage(input, timings);
  const dollars = (key: PriceKey) => (variable.quantities[key] ?? 0) * firstTierUnitPrice(priceOf(prices, key, engine).tiers);
  const components = Object.fromEntries(
    Object.entries(COMPONENT_PRICES).map(([component, keys]) => [
      component,
      round(
        (keys as readonly PriceKey[]).reduce((sum, key) => sum + dollars(key), 0),
        8,
      ),
    ]),
  ) as Record<ComponentName, number>;
  const total = Object.values(components).reduce((sum, value) => sum + value, 0);
  const hours = connectedHoursPerMonth(profile);
  const warnings = [...paramWarnings(input.measured, profile), ...fixed.warnings];
  const attributed = new Set(Object.values(timings).flatMap((t) => t.attributed));
  if (attributed.size > 0) {
    warnings.push(
      `round trips per invocation (${[...attributed].join(', ')}) are not in the measurement: each function's share of the measured totals is estimated (the totals are exact)`,
    );
  }
  return {
    perUserMonth: {
      total: round(total),
      components,
      quantities: Object.fromEntries(Object.entries(variable.quantities).map(([key, q]) => [key, round(q ?? 0, 6)])),
    },
    messagesPerUserMonth: {
      in: round(variable.messagesIn, 1),
      out: round(variable.messagesOut, 1),
      total: round(variable.messagesIn + variable.messagesOut, 1),
    },
    lambda: Object.fromEntries(
      Object.entries(timings).map(([fn, t]) => [
        fn,
        { ...t, invocationsPerUserMonth: fn === SWEEP_FUNCTION ? 0 : round(t.invocationsPerConnectedHour * hours, 3) },
      ]),
    ),
    lambdaTotals: {
      invocations: round(variable.invocations, 3),
      localGbSeconds: round(variable.localGbSeconds),
      awsGbSeconds: round(variable.awsGbSeconds),
      initGbSeconds: round(variable.initGbSeconds),
    },
    fixedMonthly: { total: round(fixed.total, 4), items: fixed.items },
    atScale: SCALES.map((users) => atScale(input, variable, fixed, users)),
    warnings,
  };
}
