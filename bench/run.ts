/**
 * npm run bench [-- --smoke] [-- --profile] [-- --runs N] [-- --containers N] [-- --skip-sweep-large]
 *
 * Drives the real handlers in-process with API Gateway-shaped events against
 * real Redis and real PostgreSQL (a dedicated database and key prefix), with
 * the API Gateway Management API answered over real HTTP by a sink in a
 * separate process, so every push goes through the real AWS SDK client.
 * The handlers run in worker threads standing in for Lambda containers (one
 * per core by default, each with its own module-scope runtime), sharing each
 * scenario's concurrency. Prints medians of several runs after a warm-up and
 * writes them as JSON under bench/results/. A benchmark, not a test: a MISS
 * does not fail it; broken calls (non-200 answers, miscounted round trips) do.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import type { Runtime } from '../layers/core/runtime';
import { formatHotFunctions, summarizeProfile, type HotFunction } from './profile-summary';
import { measureRedisFloor } from './redis-floor';
import {
  REDIS_URL,
  buildGraph,
  connectionOf,
  createDatabase,
  databaseUrl,
  deleteRedisPrefix,
  dropDatabase,
  hub,
  loner,
  ringUser,
  seedDatabase,
  staleUser,
  type GraphSize,
} from './seed';
import { Containers, type LoadSpec } from './containers';
import { SAMPLE_PUSH, createOperations } from './operations';
import { NO_COUNTS, diff, instrument, median, startSink, sum, type Counts, type RunResult, type Sink } from './support';

const args = process.argv.slice(2);
const SMOKE = args.includes('--smoke');
const PROFILE = args.includes('--profile');
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : SMOKE ? 1 : 5;
const containersArg = args.indexOf('--containers');
/** Worker threads standing in for Lambda containers: one per core unless told otherwise. */
const CONTAINERS = containersArg >= 0 ? Number(args[containersArg + 1]) : os.availableParallelism();
const ROOT = join(__dirname, '..');
const RESULTS = join(__dirname, 'results');

const SIZE: GraphSize = SMOKE
  ? { ring: 200, ringFriends: 20, watchers: 200, hubs: 2, hubFriends: 50, loners: 2, staleSmall: 20, staleLarge: 0, staleFriends: 20 }
  : {
      ring: 10_000,
      ringFriends: 20,
      watchers: 10_000,
      hubs: 16,
      hubFriends: 200,
      loners: 16,
      staleSmall: 1_000,
      staleLarge: 10_000,
      staleFriends: 20,
    };
const DURATION_MS = SMOKE ? 300 : 2_000;
const WARMUP_MS = SMOKE ? 150 : 1_000;
const CONCURRENCY = 16;
const MEMORY_USERS = SMOKE ? 200 : 10_000;
// Every timed-out user costs 20 pushes + 1 close through the SDK client (a few thousand posts/s here, see
// the ceilings), so a run of the 10,000 sweep takes about a minute. --skip-sweep-large leaves it out and
// projects it from the 1,000 sweep, for quicker iterations.
const SWEEP_LARGE = !SMOKE && !args.includes('--skip-sweep-large');

const DB_NAME = `presence_bench_${process.pid}`;
const PREFIX = `presence-bench:${process.pid}:`;

// --- environment, before any handler (and the runtime it creates) loads ----

function configureEnv(sinkEndpoint: string): void {
  Object.assign(process.env, {
    REDIS_URL,
    REDIS_KEY_PREFIX: PREFIX,
    DATABASE_URL: databaseUrl(DB_NAME),
    WEBSOCKET_MANAGEMENT_ENDPOINT: sinkEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    // Warm friend cache is the steady state of a busy container (30 s is the default).
    FRIEND_CACHE_TTL_SECONDS: process.env.FRIEND_CACHE_TTL_SECONDS ?? '30',
    // A scheduled run stops taking batches after 45 s and leaves the rest to the next run; the
    // benchmark times a whole sweep, however long it takes.
    SWEEP_TIME_BUDGET_SECONDS: '900',
    // Lambda runs nodejs24.x; here, on Node 20, the SDK would print its Node 22 notice once per container.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
}

// --- scenario bookkeeping ---------------------------------------------------

interface PerOp {
  redisRoundTrips: number;
  redisSocketWrites: number;
  pgQueries: number;
  pgConnects: number;
  posts: number;
  closes: number;
}

interface CpuShare {
  /** Percent of one core over the measured runs (2 cores = 200 %). */
  bench: number;
  sink: number;
  redis: number;
}

/** CPU time per operation (µs): what the machine pays for one call, whatever the concurrency. */
interface CpuPerOp {
  bench: number;
  sink: number;
  redis: number;
  total: number;
}

interface ScenarioResult {
  name: string;
  concurrency: number;
  runs: RunResult[];
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Median seconds per run, for the sweeps. */
  seconds?: number;
  perOp: PerOp;
  postsPerSec: number;
  cpu: CpuShare;
  cpuUsPerOp: CpuPerOp;
  errors: number;
  note?: string;
}

interface Ctx {
  runtime: Runtime;
  sink: Sink;
  admin: Redis;
  containers: Containers;
}

async function redisCpuSeconds(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const value = (field: string): number => Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return value('used_cpu_user') + value('used_cpu_sys');
}

interface Window {
  posts: number;
  closes: number;
  sinkCpuUs: number;
  benchCpu: NodeJS.CpuUsage;
  redisCpuS: number;
  at: number;
}

async function openWindow(ctx: Ctx): Promise<Window> {
  const sink = await ctx.sink.stats();
  return {
    posts: sink.posts,
    closes: sink.closes,
    sinkCpuUs: sink.cpuUs,
    benchCpu: process.cpuUsage(),
    redisCpuS: await redisCpuSeconds(ctx.admin),
    at: performance.now(),
  };
}

/** What one measured stretch cost: posts and closes the sink saw, CPU of the three processes, wall time. */
interface Spent {
  posts: number;
  closes: number;
  cpuUs: Omit<CpuPerOp, 'total'>;
  elapsedMs: number;
}

const NOTHING_SPENT: Spent = { posts: 0, closes: 0, cpuUs: { bench: 0, sink: 0, redis: 0 }, elapsedMs: 0 };

async function closeWindow(ctx: Ctx, start: Window): Promise<Spent> {
  const elapsedMs = performance.now() - start.at;
  const bench = process.cpuUsage(start.benchCpu);
  const redisCpuS = await redisCpuSeconds(ctx.admin);
  const sink = await ctx.sink.stats();
  return {
    posts: sink.posts - start.posts,
    closes: sink.closes - start.closes,
    cpuUs: { bench: bench.user + bench.system, sink: sink.cpuUs - start.sinkCpuUs, redis: (redisCpuS - start.redisCpuS) * 1e6 },
    elapsedMs,
  };
}

function addSpent(a: Spent, b: Spent): Spent {
  return {
    posts: a.posts + b.posts,
    closes: a.closes + b.closes,
    cpuUs: { bench: a.cpuUs.bench + b.cpuUs.bench, sink: a.cpuUs.sink + b.cpuUs.sink, redis: a.cpuUs.redis + b.cpuUs.redis },
    elapsedMs: a.elapsedMs + b.elapsedMs,
  };
}

/** Per-op counts, CPU shares and CPU per op over all measured runs of a scenario. */
function perOpFigures(spent: Spent, ops: number, counts: Counts): Pick<ScenarioResult, 'perOp' | 'postsPerSec' | 'cpu' | 'cpuUsPerOp'> {
  const per = (n: number): number => (ops > 0 ? n / ops : 0);
  const pct = (us: number): number => (100 * us) / 1000 / spent.elapsedMs;
  return {
    perOp: {
      redisRoundTrips: per(counts.redisRoundTrips),
      redisSocketWrites: per(counts.redisSocketWrites),
      pgQueries: per(counts.pgQueries),
      pgConnects: per(counts.pgConnects),
      posts: per(spent.posts),
      closes: per(spent.closes),
    },
    postsPerSec: (spent.posts * 1000) / spent.elapsedMs,
    cpu: { bench: pct(spent.cpuUs.bench), sink: pct(spent.cpuUs.sink), redis: pct(spent.cpuUs.redis) },
    cpuUsPerOp: perOpCpu(spent.cpuUs, ops),
  };
}

interface LoadScenarioSpec {
  name: string;
  concurrency: number;
  spec: LoadSpec;
  note?: string;
  onProfile?: (profile: unknown) => void;
}

/**
 * Warm-up, then RUNS measured runs in the containers; per-op counts and CPU
 * cover the measured runs only. Scenarios given together take turns run by
 * run (A1 B1 A2 B2 ...), so a slow spell of the shared machine hits them
 * alike and their ratio holds (a scenario against its own ceiling).
 */
async function loadScenarios(ctx: Ctx, specs: readonly LoadScenarioSpec[]): Promise<ScenarioResult[]> {
  for (const { spec, concurrency } of specs) await ctx.containers.load(spec, concurrency, WARMUP_MS);
  const acc = specs.map(() => ({ runs: [] as RunResult[], counts: NO_COUNTS, spent: NOTHING_SPENT }));
  for (let i = 0; i < RUNS; i++) {
    for (const [k, { spec, concurrency, onProfile }] of specs.entries()) {
      const window = await openWindow(ctx);
      const measured = await ctx.containers.load(spec, concurrency, DURATION_MS, onProfile !== undefined && i === 0);
      const spent = await closeWindow(ctx, window);
      if (measured.profile) onProfile?.(measured.profile);
      const a = acc[k]!;
      a.counts = sum(a.counts, measured.counts);
      a.spent = addSpent(a.spent, { ...spent, elapsedMs: measured.run.elapsedMs });
      a.runs.push(measured.run);
    }
  }
  return specs.map(({ name, concurrency, note }, k) => {
    const { runs, counts, spent } = acc[k]!;
    const ops = runs.reduce((total, run) => total + run.ops, 0);
    const errors = runs.reduce((total, run) => total + run.errors, 0);
    const result: ScenarioResult = {
      name,
      concurrency,
      runs,
      opsPerSec: median(runs.map((r) => r.opsPerSec)),
      p50Ms: median(runs.map((r) => r.p50Ms)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      ...perOpFigures(spent, ops, counts),
      errors,
      note,
    };
    log(
      `  ${name}: ${fmt(result.opsPerSec)} ops/s, p50 ${result.p50Ms.toFixed(2)} ms, ${result.perOp.redisRoundTrips.toFixed(2)} RT/op, ${fmt(result.postsPerSec)} posts/s${errors ? `, ${errors} ERRORS` : ''}`,
    );
    return result;
  });
}

async function loadScenario(ctx: Ctx, spec: LoadScenarioSpec): Promise<ScenarioResult> {
  return (await loadScenarios(ctx, [spec]))[0]!;
}

function perOpCpu(cpuUs: Omit<CpuPerOp, 'total'>, ops: number): CpuPerOp {
  const per = (us: number): number => (ops > 0 ? us / ops : 0);
  return { bench: per(cpuUs.bench), sink: per(cpuUs.sink), redis: per(cpuUs.redis), total: per(cpuUs.bench + cpuUs.sink + cpuUs.redis) };
}

// --- helpers ----------------------------------------------------------------

const log = (line: string): void => console.log(line);
const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';

async function forAll<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

function range(n: number, f: (i: number) => string): string[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

async function usedMemory(admin: Redis): Promise<number> {
  const info = await admin.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
}

// --- the benchmark ----------------------------------------------------------

interface Target {
  scenario: string;
  figure: string;
  target: string;
  pass: boolean;
  value: number;
}

async function main(): Promise<number> {
  const startedAt = Date.now();
  log(
    `Presence API benchmark${SMOKE ? ' (smoke: tiny graph, 1 run; figures not meaningful)' : ''}: ${RUNS} run(s) x ${DURATION_MS} ms after ${WARMUP_MS} ms warm-up`,
  );
  const admin = new Redis(REDIS_URL);
  cleanups.push(async () => admin.disconnect());
  const sink = await startSink();
  cleanups.push(() => sink.stop());
  log(`sink (separate process) at ${sink.endpoint}`);

  // Isolated data.
  cleanups.push(() => dropDatabase(DB_NAME));
  cleanups.push(() => deleteRedisPrefix(PREFIX).then(() => undefined));
  const graph = buildGraph(SIZE);
  let t = performance.now();
  await createDatabase(DB_NAME);
  await seedDatabase(DB_NAME, graph);
  log(`seeded ${DB_NAME}: ${fmt(graph.users.length)} users, ${fmt(graph.pairs.length)} friendships in ${fmt(performance.now() - t)} ms`);

  configureEnv(sink.endpoint);
  const operations = createOperations();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { getRuntime, closeRuntime } = require(join(ROOT, 'layers', 'core', 'runtime')) as typeof import('../layers/core/runtime');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { KeySpace } = require(join(ROOT, 'layers', 'core', 'keys')) as typeof import('../layers/core/keys');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PresenceStore } = require(
    join(ROOT, 'layers', 'core', 'redis', 'presence-store'),
  ) as typeof import('../layers/core/redis/presence-store');
  const runtime = getRuntime({ push: true });
  cleanups.unshift(() => closeRuntime());
  const meter = await instrument(runtime.redis, runtime.pool);
  const containers = await Containers.start(CONTAINERS);
  cleanups.unshift(() => containers.close());
  log(`${containers.size} containers (worker threads, each with its own runtime); concurrency ${CONCURRENCY} is split between them`);
  const ctx: Ctx = { runtime, sink, admin, containers };
  const { store, config } = runtime;

  t = performance.now();
  const seedNow = Date.now();
  await forAll(graph.online, 64, (userId) => store.connect(userId, connectionOf(userId), seedNow, seedNow));
  log(`connected ${fmt(graph.online.length)} online users in ${fmt(performance.now() - t)} ms`);

  const scenarios: ScenarioResult[] = [];
  const ceilings: Record<string, { postsPerSec: number; runs: number[]; note: string }> = {};

  // 1. Validate the round-trip counter: one heartbeat must be exactly one round trip, counted both ways.
  await operations.heartbeat(ringUser(0));
  const before = meter.snapshot();
  for (let i = 0; i < 10; i++) if (!(await operations.heartbeat(ringUser(i)))) throw new Error('heartbeat failed during validation');
  const check = diff(meter.snapshot(), before);
  if (check.redisRoundTrips !== 10 || check.redisSocketWrites !== 10) {
    throw new Error(
      `round-trip counter invalid: 10 heartbeats counted ${check.redisRoundTrips} round trips, ${check.redisSocketWrites} socket writes`,
    );
  }
  log('counter check: 10 heartbeats = 10 Redis round trips = 10 socket writes');

  // 2. Ceilings: the sink alone (autocannon); the AWS SDK client alone against it comes after update-presence.
  log('ceilings');
  const cannonRuns: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const result = await autocannon({
      url: `${sink.endpoint}/@connections/x`,
      method: 'POST',
      body: SAMPLE_PUSH,
      headers: { 'content-type': 'application/json' },
      connections: 50,
      duration: SMOKE ? 1 : 2,
    });
    if (result.errors > 0 || result.non2xx > 0) throw new Error(`autocannon: ${result.errors} errors, ${result.non2xx} non-2xx`);
    cannonRuns.push(result.requests.average);
  }
  ceilings.sink = {
    postsPerSec: median(cannonRuns),
    runs: cannonRuns,
    note: 'autocannon, 50 keep-alive connections (the SDK agent maxSockets), no pipelining',
  };
  log(`  sink alone (autocannon): ${fmt(ceilings.sink.postsPerSec)} posts/s`);

  // 3. Heartbeat.
  log('heartbeat');
  const onlineRing = range(SIZE.ring, ringUser);
  // --profile: one CPU profile (first measured run, one container) per hot path, with its top self time.
  const profiles: { scenario: string; file: string; hot: HotFunction[] }[] = [];
  const profileAs = (scenario: string, fileName: string): ((cpuProfile: unknown) => void) | undefined =>
    PROFILE
      ? (cpuProfile) => {
          mkdirSync(RESULTS, { recursive: true });
          const file = join(RESULTS, `${fileName}.cpuprofile`);
          writeFileSync(file, JSON.stringify(cpuProfile));
          profiles.push({ scenario, file, hot: summarizeProfile(cpuProfile as Parameters<typeof summarizeProfile>[0], 25) });
        }
      : undefined;

  // The handler and its floors take turns, run by run.
  scenarios.push(
    ...(await loadScenarios(ctx, [
      { name: 'Redis client alone: PING (one round trip, nothing else)', concurrency: CONCURRENCY, spec: { op: 'redis-ping' } },
      { name: 'store.heartbeat alone (no handler)', concurrency: CONCURRENCY, spec: { op: 'store-heartbeat', users: onlineRing } },
      {
        name: 'heartbeat',
        concurrency: CONCURRENCY,
        spec: { op: 'heartbeat', users: onlineRing },
        onProfile: profileAs('heartbeat', 'heartbeat'),
      },
    ])),
  );
  const heartbeatUser = ringUser(0);
  const keySpace = new KeySpace(config.redis.keyPrefix, config.presence.statusShards);
  const redisAddress = new URL(REDIS_URL);
  const redisFloor = await measureRedisFloor(
    admin,
    { host: redisAddress.hostname, port: Number(redisAddress.port || 6379) },
    {
      keys: [keySpace.status(keySpace.shardOf(heartbeatUser)), keySpace.connections(heartbeatUser), keySpace.page(heartbeatUser)],
      args: [heartbeatUser, connectionOf(heartbeatUser), Date.now(), config.presence.connectionMaxAgeMs + config.presence.timeoutMs],
    },
    CONCURRENCY,
    SMOKE ? 2_000 : 200_000,
  );
  for (const shape of redisFloor?.shapes ?? []) {
    log(`  Redis alone (redis-benchmark, ${shape.connections} connection(s) x ${shape.pipeline} in flight): ${fmt(shape.perSec)} heartbeat scripts/s`);
  }

  // 4. update-presence. The working set avoids nobody: ring users have exactly 20 friends, all online.
  log('update-presence');
  const workingSet = range(Math.min(1000, SIZE.ring), (i) => ringUser(Math.floor((i * SIZE.ring) / Math.min(1000, SIZE.ring))));
  // Fill each container's friend cache as a busy container would have it.
  await containers.warmFriends(workingSet.map((userId) => [userId, ringUser((Number(userId.slice(1)) + 1) % SIZE.ring)]));
  const loners = range(SIZE.loners, loner);
  scenarios.push(await loadScenario(ctx, { name: 'update-presence, 0 friends', concurrency: CONCURRENCY, spec: { op: 'update', users: loners } }));
  const hubs = range(SIZE.hubs, hub);
  // The fan-outs and the SDK client alone (their ceiling) take turns, run by run.
  const [up20Result, up200Result, sdk] = (await loadScenarios(ctx, [
    {
      name: 'update-presence, 20 friends online',
      concurrency: CONCURRENCY,
      spec: { op: 'update', users: workingSet },
      onProfile: profileAs('update-presence, 20 friends online', 'update-presence'),
    },
    { name: `update-presence, ${SIZE.hubFriends} friends online`, concurrency: CONCURRENCY, spec: { op: 'update', users: hubs } },
    {
      name: `SDK client alone: fan-out of ${SIZE.ringFriends + 1} posts, no Redis or PostgreSQL`,
      concurrency: CONCURRENCY,
      spec: { op: 'fan-out', posts: SIZE.ringFriends + 1 },
    },
  ])) as [ScenarioResult, ScenarioResult, ScenarioResult];
  scenarios.push(up20Result, up200Result);
  ceilings.sdk = {
    postsPerSec: sdk.postsPerSec,
    runs: sdk.runs.map((r) => r.opsPerSec * (SIZE.ringFriends + 1)),
    note: `ApiGatewayManagementApiClient.send through the fan-out code (PUSH_CONCURRENCY in flight per fan-out), ${CONCURRENCY} fan-outs at once over ${containers.size} container(s), runs taking turns with the update-presence fan-outs`,
  };

  // 5. GET /presence, one request at a time.
  log('GET /presence');
  scenarios.push(
    ...(await loadScenarios(ctx, [
      { name: `GET /presence, ${SIZE.hubFriends} friends`, concurrency: 1, spec: { op: 'get-presence', users: hubs } },
      { name: 'GET /presence, 20 friends', concurrency: 1, spec: { op: 'get-presence', users: workingSet } },
    ])),
  );

  // 6. Timeout sweep: every shard in parallel (the state machine's Map), each looping batches while `more`.
  log('timeout sweep');
  const everyone = graph.online;
  const refreshOnline = async (): Promise<void> => {
    const now = Date.now();
    await forAll(everyone, 64, (userId) => store.heartbeat(userId, connectionOf(userId), now));
  };
  const makeStale = async (users: readonly string[]): Promise<void> => {
    const past = Date.now() - config.presence.timeoutMs - 60_000;
    await forAll(users, 64, (userId) => store.connect(userId, connectionOf(userId), past, past));
  };
  const sweepAll = (): Promise<{ timedOut: number; counts: Counts }> =>
    containers.sweep(config.presence.statusShards, new Date().toISOString());
  const sweepScenario = async (set: 'a' | 'b', count: number, runs: number): Promise<ScenarioResult> => {
    const users = range(count, (i) => staleUser(set, i));
    const name = `timeout sweep, ${fmt(count)} stale x ${SIZE.staleFriends} online friends`;
    // Warm-up: a small sweep so the code paths, pool and scripts are hot.
    await refreshOnline();
    await makeStale(users.slice(0, Math.max(1, Math.floor(count / 20))));
    await sweepAll();
    const runResults: RunResult[] = [];
    let counts = NO_COUNTS;
    let spent = NOTHING_SPENT;
    for (let i = 0; i < runs; i++) {
      await refreshOnline();
      await makeStale(users);
      const window = await openWindow(ctx);
      const t0 = performance.now();
      const swept = await sweepAll();
      const okRun = swept.timedOut === count;
      const elapsedMs = performance.now() - t0;
      const run = await closeWindow(ctx, window);
      spent = addSpent(spent, { ...run, elapsedMs });
      counts = sum(counts, swept.counts);
      runResults.push({
        ops: count,
        errors: okRun ? 0 : 1,
        elapsedMs,
        opsPerSec: (count * 1000) / elapsedMs,
        p50Ms: elapsedMs,
        p99Ms: elapsedMs,
      });
      log(`  ${name}: run ${i + 1}: ${(elapsedMs / 1000).toFixed(2)} s, ${fmt(swept.timedOut)} timed out, ${fmt(run.posts)} posts`);
    }
    const seconds = median(runResults.map((r) => r.elapsedMs)) / 1000;
    return {
      name,
      concurrency: config.presence.statusShards,
      runs: runResults,
      opsPerSec: median(runResults.map((r) => r.opsPerSec)),
      p50Ms: seconds * 1000,
      p99Ms: seconds * 1000,
      seconds,
      ...perOpFigures(spent, count * runs, counts),
      errors: runResults.reduce((a, r) => a + r.errors, 0),
      note: 'per-op = per stale user; all shards in parallel, batches of SWEEP_BATCH_SIZE',
    };
  };
  const sweepSmall = await sweepScenario('a', SIZE.staleSmall, RUNS);
  scenarios.push(sweepSmall);
  const sweepLarge = SIZE.staleLarge > 0 && SWEEP_LARGE ? await sweepScenario('b', SIZE.staleLarge, RUNS) : undefined;
  // Without the run: the 1,000 sweep's measured seconds per stale user, times 10,000 (the work is linear in users and posts).
  const sweepLargeProjected = (sweepSmall.seconds! / SIZE.staleSmall) * 10_000;
  if (sweepLarge) scenarios.push(sweepLarge);

  // 7. Redis memory per online user, on its own key prefix: online with an empty page, then with a page.
  log('Redis memory');
  const memPrefix = `${PREFIX}mem:`;
  const memRedis = new Redis(REDIS_URL);
  const memStore = new PresenceStore(memRedis, new KeySpace(memPrefix, config.presence.statusShards), {
    connectionMaxAgeMs: config.presence.connectionMaxAgeMs,
    lastSeenRetentionMs: config.presence.lastSeenRetentionMs,
    pageTtlMs: config.presence.connectionMaxAgeMs + config.presence.timeoutMs,
    limits: config.presence.limits,
    pushLeaseMs: 15_000,
  });
  const memUsers = range(MEMORY_USERS, (i) => `m${String(i).padStart(6, '0')}`);
  const memNow = Date.now();
  const m0 = await usedMemory(admin);
  await forAll(memUsers, 64, (u) => memStore.connect(u, `c-${u}-Ldh8ae0boAMCJDw=`, memNow, memNow));
  await forAll(memUsers, 64, (u) => memStore.updatePage(u, `c-${u}-Ldh8ae0boAMCJDw=`, memNow, { url: '', title: '', domain: '' }));
  const m1 = await usedMemory(admin);
  const keysUsage = async (): Promise<number> => {
    let total = 0;
    let cursor = '0';
    do {
      const [next, keys] = await memRedis.scan(cursor, 'MATCH', `${memPrefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) total += (await memRedis.memory('USAGE', key, 'SAMPLES', 0)) ?? 0;
    } while (cursor !== '0');
    return total;
  };
  const k1 = await keysUsage();
  const page = {
    url: 'https://en.wikipedia.org/wiki/Special_relativity#Lorentz_transformation_derivation',
    title: 'Special relativity - Wikipedia',
    domain: 'wikipedia.org',
  };
  await forAll(memUsers, 64, (u) => memStore.updatePage(u, `c-${u}-Ldh8ae0boAMCJDw=`, memNow, page));
  const m2 = await usedMemory(admin);
  const k2 = await keysUsage();
  memRedis.disconnect();
  await deleteRedisPrefix(memPrefix);
  const memory = {
    users: MEMORY_USERS,
    pageUrlBytes: page.url.length,
    pageTitleBytes: page.title.length,
    withoutPagesBytesPerUser: (m1 - m0) / MEMORY_USERS,
    withPagesBytesPerUser: (m2 - m0) / MEMORY_USERS,
    keyUsageWithoutPagesBytesPerUser: k1 / MEMORY_USERS,
    keyUsageWithPagesBytesPerUser: k2 / MEMORY_USERS,
    note: 'used_memory delta (INFO memory) while other clients may use the same server; MEMORY USAGE over the keys as a cross-check',
  };
  log(
    `  ${fmt(memory.withoutPagesBytesPerUser)} B/user with empty pages, ${fmt(memory.withPagesBytesPerUser)} B/user with pages (MEMORY USAGE: ${fmt(memory.keyUsageWithoutPagesBytesPerUser)} / ${fmt(memory.keyUsageWithPagesBytesPerUser)})`,
  );

  // --- report ---------------------------------------------------------------
  const sinkStats = await sink.stats();
  const peakRss = { benchMb: process.resourceUsage().maxRSS / 1024, sinkMb: sinkStats.maxRssKb / 1024 };
  const find = (prefix: string): ScenarioResult => scenarios.find((s) => s.name.startsWith(prefix))!;
  const hb = find('heartbeat');
  const up0 = find('update-presence, 0');
  const up20 = find('update-presence, 20');
  const up200 = find(`update-presence, ${SIZE.hubFriends}`);
  const get200 = find(`GET /presence, ${SIZE.hubFriends}`);
  const warm = scenarios.filter((s) => !s.name.startsWith('store.') && !s.name.startsWith('timeout'));
  const maxPgConnects = Math.max(...warm.map((s) => s.perOp.pgConnects));
  const maxUpdateRt = Math.max(up0.perOp.redisRoundTrips, up20.perOp.redisRoundTrips, up200.perOp.redisRoundTrips);
  const targets: Target[] = [
    {
      scenario: 'update-presence, 20 friends online, c16',
      figure: `${fmt(up20.opsPerSec)}/s`,
      target: '>= 1,300/s',
      value: up20.opsPerSec,
      pass: up20.opsPerSec >= 1300,
    },
    {
      scenario: `update-presence, ${SIZE.hubFriends} friends online, c16`,
      figure: `${fmt(up200.opsPerSec)}/s`,
      target: '>= 200/s',
      value: up200.opsPerSec,
      pass: up200.opsPerSec >= 200,
    },
    {
      scenario: 'heartbeat, c16',
      figure: `${fmt(hb.opsPerSec)}/s`,
      target: '>= 90,000/s',
      value: hb.opsPerSec,
      pass: hb.opsPerSec >= 90_000,
    },
    {
      // One script call per heartbeat; under concurrency ioredis auto-pipelining shares writes, so the average drops below 1.
      scenario: 'heartbeat Redis round trips (per op, auto-pipelined)',
      figure: hb.perOp.redisRoundTrips.toFixed(2),
      target: '<= 1',
      value: hb.perOp.redisRoundTrips,
      pass: hb.perOp.redisRoundTrips <= 1,
    },
    {
      scenario: `GET /presence, ${SIZE.hubFriends} friends, c1`,
      figure: `${fmt(get200.opsPerSec)}/s`,
      target: '>= 134/s',
      value: get200.opsPerSec,
      pass: get200.opsPerSec >= 134,
    },
    {
      scenario: sweepSmall.name,
      figure: `${sweepSmall.seconds!.toFixed(2)} s`,
      target: '<= 0.9 s',
      value: sweepSmall.seconds!,
      pass: sweepSmall.seconds! <= 0.9,
    },
    sweepLarge
      ? {
          scenario: sweepLarge.name,
          figure: `${sweepLarge.seconds!.toFixed(2)} s`,
          target: '<= 9 s',
          value: sweepLarge.seconds!,
          pass: sweepLarge.seconds! <= 9,
        }
      : {
          scenario: 'timeout sweep, 10,000 stale x 20 online friends (not run: projected from the 1,000 sweep)',
          figure: `~${sweepLargeProjected.toFixed(1)} s`,
          target: '<= 9 s',
          value: sweepLargeProjected,
          pass: sweepLargeProjected <= 9,
        },
    {
      scenario: 'Redis round trips per update-presence (0/20/200 friends)',
      figure: [up0, up20, up200].map((s) => s.perOp.redisRoundTrips.toFixed(2)).join(' / '),
      target: '<= 3',
      value: maxUpdateRt,
      pass: maxUpdateRt <= 3,
    },
    {
      scenario: 'new PostgreSQL connections per warm invocation',
      figure: maxPgConnects.toFixed(4),
      target: '0',
      value: maxPgConnects,
      pass: maxPgConnects === 0,
    },
    {
      scenario: 'Redis memory per online user, without page strings',
      figure: `${fmt(memory.withoutPagesBytesPerUser)} B`,
      target: '<= 1,024 B',
      value: memory.withoutPagesBytesPerUser,
      pass: memory.withoutPagesBytesPerUser <= 1024,
    },
  ];

  log('');
  log('## Scenarios (medians of runs; per-op counts over all measured runs)');
  log('');
  log(
    '| Scenario | c | ops/s | p50 ms | p99 ms | Redis RT/op | PG q/op | PG conn/op | posts/op | posts/s | % of sink ceiling | CPU bench/sink/redis % | CPU µs/op |',
  );
  log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const s of [sdk, ...scenarios]) {
    const p = s.perOp;
    const ofSink = s.postsPerSec > 0 ? `${((100 * s.postsPerSec) / ceilings.sink.postsPerSec).toFixed(0)} %` : '';
    log(
      `| ${s.name} | ${s.concurrency} | ${s.seconds !== undefined ? `${s.seconds.toFixed(2)} s/run` : fmt(s.opsPerSec)} | ${s.p50Ms.toFixed(2)} | ${s.p99Ms.toFixed(2)} | ${p.redisRoundTrips.toFixed(2)} | ${p.pgQueries.toFixed(3)} | ${p.pgConnects.toFixed(3)} | ${(p.posts + p.closes).toFixed(1)} | ${fmt(s.postsPerSec)} | ${ofSink} | ${s.cpu.bench.toFixed(0)}/${s.cpu.sink.toFixed(0)}/${s.cpu.redis.toFixed(0)} | ${fmt(s.cpuUsPerOp.total)} |`,
    );
  }
  log('');
  log(
    `Sink ceiling (autocannon, 50 connections): ${fmt(ceilings.sink.postsPerSec)} posts/s; SDK client alone: ${fmt(ceilings.sdk.postsPerSec)} posts/s`,
  );
  log(
    `Redis memory per online user (${fmt(MEMORY_USERS)} users): ${fmt(memory.withoutPagesBytesPerUser)} B with empty pages, ${fmt(memory.withPagesBytesPerUser)} B with a ${memory.pageUrlBytes}-char url + ${memory.pageTitleBytes}-char title (stored twice: current and latest)`,
  );
  log(`Peak RSS: bench ${fmt(peakRss.benchMb)} MB, sink ${fmt(peakRss.sinkMb)} MB`);
  log('');
  log(`## Targets${SMOKE ? ' (smoke run: not meaningful)' : ''}`);
  log('');
  log('| Target | Figure | Target | Result |');
  log('|---|--:|--:|---|');
  for (const target of targets) log(`| ${target.scenario} | ${target.figure} | ${target.target} | ${target.pass ? 'PASS' : 'MISS'} |`);
  // What each missed push-bound target would take, against what the SDK client and the sink can do here.
  const ping = find('Redis client alone');
  const storeHeartbeat = find('store.heartbeat');
  const pushBound = [
    { scenario: up20.name, target: 1300, postsPerOp: up20.perOp.posts + up20.perOp.closes, measured: up20.postsPerSec },
    { scenario: up200.name, target: 200, postsPerOp: up200.perOp.posts + up200.perOp.closes, measured: up200.postsPerSec },
    {
      scenario: sweepSmall.name,
      target: SIZE.staleSmall / 0.9,
      postsPerOp: sweepSmall.perOp.posts + sweepSmall.perOp.closes,
      measured: sweepSmall.postsPerSec,
    },
  ];
  // CPU per operation (handler process + sink + Redis) times the target rate, against the cores there are;
  // and the same for the floor under each scenario: the SDK client and the sink alone per post, ioredis
  // alone per call plus what the heartbeat script costs Redis.
  const cores = os.availableParallelism();
  const sdkUsPerPost = sdk.cpuUsPerOp.total / Math.max(1, sdk.perOp.posts);
  const postsOf = (s: ScenarioResult): number => s.perOp.posts + s.perOp.closes;
  const pushRow = (scenario: ScenarioResult, targetPerSec: number, unit: string) => ({
    scenario,
    targetPerSec,
    unit,
    floorUs: sdkUsPerPost * postsOf(scenario),
    floor: 'SDK client + sink alone, same posts',
  });
  const costRows = [
    pushRow(up20, 1300, 'updates'),
    pushRow(up200, 200, 'updates'),
    pushRow(sweepSmall, SIZE.staleSmall / 0.9, 'stale users'),
    ...(sweepLarge ? [pushRow(sweepLarge, SIZE.staleLarge / 9, 'stale users')] : []),
    {
      scenario: hb,
      targetPerSec: 90_000,
      unit: 'heartbeats',
      // The least any heartbeat costs: one ioredis round trip on the client, the script itself in Redis.
      floorUs: ping.cpuUsPerOp.bench + hb.cpuUsPerOp.redis,
      floor: 'ioredis alone (PING, client side) + the script in Redis',
    },
  ].map((row) => ({
    scenario: row.scenario.name,
    targetPerSec: row.targetPerSec,
    unit: row.unit,
    cpuUsPerOp: row.scenario.cpuUsPerOp,
    coresAtTarget: (row.targetPerSec * row.scenario.cpuUsPerOp.total) / 1e6,
    floor: row.floor,
    floorUsPerOp: row.floorUs,
    floorCoresAtTarget: (row.targetPerSec * row.floorUs) / 1e6,
  }));
  const bounds = {
    cores,
    cost: costRows,
    push: pushBound.map((b) => ({
      ...b,
      neededPostsPerSec: b.target * b.postsPerOp,
      sdkCeilingPostsPerSec: ceilings.sdk!.postsPerSec,
      sinkCeilingPostsPerSec: ceilings.sink!.postsPerSec,
    })),
    heartbeat: {
      redisPingPerSec: ping.opsPerSec,
      storeHeartbeatPerSec: storeHeartbeat.opsPerSec,
      handlerPerSec: hb.opsPerSec,
      redisAlone: redisFloor,
    },
  };
  log('');
  log(`## Bounds (${cores} cores)`);
  log('');
  log('What a missed target costs at the CPU each operation takes here (handler process + sink + Redis), and what its floor costs:');
  log('');
  log('| Scenario | Target | CPU per op (bench/sink/Redis) | Cores needed at the target | Floor | Floor CPU per op | Cores the floor needs |');
  log('|---|--:|--:|--:|---|--:|--:|');
  for (const row of bounds.cost) {
    const c = row.cpuUsPerOp;
    log(
      `| ${row.scenario} | ${fmt(row.targetPerSec)} ${row.unit}/s | ${fmt(c.total)} µs (${fmt(c.bench)}/${fmt(c.sink)}/${fmt(c.redis)}) | ${row.coresAtTarget.toFixed(1)} | ${row.floor} | ${fmt(row.floorUsPerOp)} µs | ${row.floorCoresAtTarget.toFixed(1)} |`,
    );
  }
  log('');
  log('| Scenario | Needed for the target | Measured | SDK client alone | Sink alone |');
  log('|---|--:|--:|--:|--:|');
  for (const b of bounds.push) {
    log(
      `| ${b.scenario} | ${fmt(b.neededPostsPerSec)} posts/s | ${fmt(b.measured)} posts/s (${((100 * b.measured) / b.sdkCeilingPostsPerSec).toFixed(0)} % of the SDK's) | ${fmt(b.sdkCeilingPostsPerSec)} posts/s | ${fmt(b.sinkCeilingPostsPerSec)} posts/s |`,
    );
  }
  const redisAlone = redisFloor?.shapes.map((shape) => `${shape.connections}x${shape.pipeline}: ${fmt(shape.perSec)}/s`).join(', ') ?? 'redis-benchmark not found';
  log(
    `| heartbeat, c${CONCURRENCY} | 90,000/s | handler ${fmt(hb.opsPerSec)}/s, store alone ${fmt(storeHeartbeat.opsPerSec)}/s | ioredis alone (PING): ${fmt(ping.opsPerSec)}/s | Redis with a C client, ${CONCURRENCY} in flight (connections x pipeline): ${redisAlone} |`,
  );
  // Redis runs commands on one thread: its CPU per heartbeat caps the rate whatever the clients do.
  log('');
  log(
    `Redis's own CPU per heartbeat: ${fmt(hb.cpuUsPerOp.redis, 1)} µs, so 90,000/s would need ${fmt((90_000 * hb.cpuUsPerOp.redis) / 1e4)} % of its one command thread (cap at this cost: ${fmt(1e6 / hb.cpuUsPerOp.redis)}/s).`,
  );
  for (const profile of profiles) {
    log('');
    log(`## CPU profile of ${profile.scenario} (${profile.file}): top self time`);
    log(formatHotFunctions(profile.hot));
  }

  const machine = {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    redis: /^redis_version:(.+)$/m.exec(await admin.info('server'))?.[1]?.trim(),
    postgres: (await runtime.pool.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version,
  };
  const report = {
    generatedAt: new Date().toISOString(),
    smoke: SMOKE,
    machine,
    settings: {
      runs: RUNS,
      durationMs: DURATION_MS,
      warmupMs: WARMUP_MS,
      concurrency: CONCURRENCY,
      graph: SIZE,
      friendCacheTtlSeconds: config.presence.friendCacheTtlMs / 1000,
      pgPoolMax: config.postgres.poolMax,
      pushConcurrency: config.presence.pushConcurrency,
      statusShards: config.presence.statusShards,
      sweepBatchSize: config.presence.sweepBatchSize,
    },
    ceilings,
    scenarios: [sdk, ...scenarios],
    memory,
    peakRss,
    targets,
    bounds,
    profiles,
    wallSeconds: (Date.now() - startedAt) / 1000,
  };
  mkdirSync(RESULTS, { recursive: true });
  const out = join(RESULTS, SMOKE ? 'smoke.json' : 'latest.json');
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  log('');
  log(`wrote ${out} (${report.wallSeconds.toFixed(0)} s)`);
  const errors = [sdk, ...scenarios].reduce((sum, s) => sum + s.errors, 0);
  if (errors > 0) {
    console.error(`${errors} calls failed: the figures above are not valid`);
    return 1;
  }
  return 0;
}

// --- cleanup, also on error and Ctrl-C ------------------------------------

const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const task of cleanups.splice(0)) {
      await Promise.race([task(), new Promise((resolve) => setTimeout(resolve, 10_000))]).catch((error: unknown) => {
        console.error('cleanup step failed:', error);
      });
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    console.error(error);
    await cleanup();
    process.exit(1);
  });
