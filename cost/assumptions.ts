/**
 * What differs in AWS from this machine, kept apart from what the simulator measured. Each value has a
 * one-line rationale and, where one exists, the source it leans on; every one can be overridden on the
 * command line (`--assume name=value`) to see how much a figure depends on it.
 */

export interface Assumption {
  value: number;
  unit: string;
  rationale: string;
  /** The page or file the value comes from; absent when it is an estimate nobody has measured yet. */
  source?: string;
}

export const DEFAULT_ASSUMPTIONS = {
  redisRoundTripMs: {
    value: 0.5,
    unit: 'ms per Redis round trip',
    rationale: "ElastiCache in the functions' VPC over TLS, same Region: sub-millisecond, but ten times loopback; not measured here.",
  },
  postgresRoundTripMs: {
    value: 1.0,
    unit: 'ms per PostgreSQL query',
    rationale: 'RDS (or RDS Proxy) in the VPC answering an indexed friend query; not measured here.',
  },
  managementRoundTripMs: {
    value: 20,
    unit: 'ms per @connections round trip',
    rationale:
      'A SigV4 POST from a VPC Lambda through the NAT gateway to the Regional execute-api endpoint, connection kept alive; not measured here.',
  },
  pushConcurrency: {
    value: 64,
    unit: '@connections requests in flight per fan-out',
    rationale: "PUSH_CONCURRENCY's default: a fan-out of P pushes costs max(1, P / 64) round trips of wall time, not P.",
    source: 'layers/core/config.ts',
  },
  natOverheadBytesPerPost: {
    value: 1_700,
    unit: 'bytes through the NAT per @connections call besides the frame',
    rationale:
      "Request headers with SigV4 and the role's session token (about 1.4 KB) plus the response (about 0.3 KB); the frame's own size is added from the measured bytes per message sent.",
  },
  ecpuPerScriptCall: {
    value: 8.6,
    unit: 'ECPU per Lua script call',
    rationale:
      "ElastiCache bills a command at the higher of its vCPU time relative to a simple GET/SET and its KB transferred; inside Redis our heartbeat script costs 47,000 instructions against 4,700 (HGET) and 6,200 (ZADD): 47,000 / 5,450 = 8.6. Other scripts are taken as alike; a fan-out's read of 50 friends' connections is heavier.",
    source: 'docs/PERFORMANCE.md (callgrind inside redis-server); ECPU rule: aws/agent-toolkit-for-aws command_classifier.py',
  },
  coldStartFraction: {
    value: 0.01,
    unit: 'share of invocations that start an execution environment',
    rationale:
      'AWS: "INITs (cold starts) typically occur in under 1% of invocations"; the upper end is taken. The local runtime keeps one environment per function, so its count says nothing about AWS.',
    source: 'https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/',
  },
  initMsWhenUnmeasured: {
    value: 300,
    unit: 'ms of billed INIT per cold start when the measurement has none',
    rationale:
      "Node.js runtime start plus loading a ~20 KiB bundle and the layer's packages; used only when the meter recorded no init time.",
  },
  fullVcpuMemoryMb: {
    value: 1_769,
    unit: 'MB of Lambda memory that buys one vCPU',
    rationale: 'CPU is allocated in proportion to memory: a 512 MB function gets 512/1769 of a vCPU, so its CPU time stretches 3.46 times.',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html',
  },
  cpuSpeedRatio: {
    value: 1.0,
    unit: 'speed of a Lambda arm64 vCPU relative to one core of the measuring machine',
    rationale:
      "Taken as equal; the measuring machine's core and a Graviton core are within a factor of about 1.5 either way. Not measured.",
  },
  redisBytesPerOnlineUser: {
    value: 1_500,
    unit: 'bytes of Redis data per online user',
    rationale: "Status entry, connection set, page hash (url and title), per-connection rate keys, with Redis's per-key overhead.",
  },
  redisBytesPerMonthlyUser: {
    value: 100,
    unit: 'bytes of Redis data per monthly user',
    rationale: 'The last-seen entry kept LAST_SEEN_RETENTION_DAYS (30) after a user goes offline.',
  },
  natGateways: {
    value: 2,
    unit: 'NAT gateways',
    rationale: "One per Availability Zone of the functions' subnets, two zones for availability; traffic stays in its zone.",
  },
  lambdaPlatformLogBytesPerInvocation: {
    value: 380,
    unit: "bytes of Lambda's platform.start and platform.report lines per invocation",
    rationale:
      "Only when the template's PlatformLogLevel (SystemLogLevel) is INFO or DEBUG; at WARN, its default, Lambda writes none. In the JSON log format, about 130 + 250 bytes; the local runtime writes neither, so they are added to the measured log bytes.",
  },
  peakOnlineFraction: {
    value: 0.5,
    unit: 'share of monthly users online at the busiest hour',
    rationale:
      '8 of 24 hours a day (one third on average), concentrated in the daytime of a few time zones; prices the peers that bill peak connections.',
  },
  getPresenceQueriesPerMiss: {
    value: 2,
    unit: 'PostgreSQL queries of a GET /presence that misses the friend cache',
    rationale:
      'One query for the friends and their sharing settings, one for the profiles (docs/DESIGN.md); every other PostgreSQL-using invocation makes one.',
    source: 'docs/DESIGN.md',
  },
  friendCacheMissShareInAws: {
    value: 1,
    unit: 'share of friend lookups that miss the 30 s per-environment cache in AWS',
    rationale:
      "A user's messages are minutes apart and land on any of many environments, so the local hit rate (one environment per function) does not carry over; the upper bound is taken.",
  },
  reconnectFriendsBackShare: {
    value: 0.5,
    unit: 'share of online friends already back when a user returns in a reconnect storm',
    rationale: "Users return in random order, so on average half of a user's friends are back to receive the came-online push.",
  },
  singleSlotEcpuPerSecond: {
    value: 450_000,
    unit: 'ECPU/s one hash slot (one status shard) can take',
    rationale:
      "Not an AWS quota: a slot lives on one shard's engine thread and no stored AWS page states its limit. Estimated from this machine, where one Redis core ran about 53,000 heartbeat scripts/s (8.6 ECPU each).",
    source: 'docs/PERFORMANCE.md',
  },
} satisfies Record<string, Assumption>;

export type AssumptionName = keyof typeof DEFAULT_ASSUMPTIONS;
export type AssumptionValues = Record<AssumptionName, number>;

export class AssumptionError extends Error {}

export function isAssumptionName(name: string): name is AssumptionName {
  return Object.prototype.hasOwnProperty.call(DEFAULT_ASSUMPTIONS, name);
}

/** The default values with `name=value` overrides applied; an unknown name or a bad number is one clear error. */
export function assumptionValues(overrides: readonly string[] = []): AssumptionValues {
  const values = Object.fromEntries(Object.entries(DEFAULT_ASSUMPTIONS).map(([name, a]) => [name, a.value])) as AssumptionValues;
  for (const override of overrides) {
    const match = /^([A-Za-z]+)=(.+)$/.exec(override);
    if (!match) throw new AssumptionError(`--assume takes name=value, got "${override}"`);
    const [, name, raw] = match as unknown as [string, string, string];
    if (!isAssumptionName(name)) {
      throw new AssumptionError(`--assume: no assumption "${name}" (known: ${Object.keys(DEFAULT_ASSUMPTIONS).join(', ')})`);
    }
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new AssumptionError(`--assume ${name}: "${raw}" is not a number >= 0`);
    values[name] = value;
  }
  return values;
}

/** The assumptions as the JSON output lists them: value (possibly overridden), unit, rationale, source. */
export function describeAssumptions(values: AssumptionValues): Record<AssumptionName, Assumption & { default: number }> {
  const entries = Object.entries(DEFAULT_ASSUMPTIONS).map(([name, a]) => [
    name,
    { ...a, value: values[name as AssumptionName], default: a.value },
  ]);
  return Object.fromEntries(entries) as Record<AssumptionName, Assumption & { default: number }>;
}
