/**
 * The benchmark's bookkeeping: what one measured stretch cost (posts and
 * closes the sink saw, CPU of the handler process, the sink and Redis, wall
 * time) and the figures of a scenario over its measured runs.
 */
import type Redis from 'ioredis';
import type { Containers, LoadSpec } from './containers';
import { NO_COUNTS, median, sum, type Counts, type RunResult, type Sink } from './support';

export interface PerOp {
  redisRoundTrips: number;
  pgQueries: number;
  pgConnects: number;
  posts: number;
  closes: number;
}

export interface CpuShare {
  /** Percent of one core over the measured runs (2 cores = 200 %). */
  bench: number;
  sink: number;
  redis: number;
}

/** CPU time per operation (µs): what the machine pays for one call, whatever the concurrency. */
export interface CpuPerOp {
  bench: number;
  sink: number;
  redis: number;
  total: number;
}

export interface ScenarioResult {
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
  /** CPU of the handler process per post or close it made (µs); 0 when it made none. */
  benchCpuUsPerPush: number;
  cpu: CpuShare;
  cpuUsPerOp: CpuPerOp;
  errors: number;
  note?: string;
}

export interface Meters {
  sink: Sink;
  admin: Redis;
}

async function redisCpuSeconds(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const value = (field: string): number => Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return value('used_cpu_user') + value('used_cpu_sys');
}

export interface Window {
  posts: number;
  closes: number;
  sinkCpuUs: number;
  benchCpu: NodeJS.CpuUsage;
  redisCpuS: number;
  at: number;
}

export async function openWindow(meters: Meters): Promise<Window> {
  const sink = await meters.sink.stats();
  return {
    posts: sink.posts,
    closes: sink.closes,
    sinkCpuUs: sink.cpuUs,
    benchCpu: process.cpuUsage(),
    redisCpuS: await redisCpuSeconds(meters.admin),
    at: performance.now(),
  };
}

/** What one measured stretch cost: posts and closes the sink saw, CPU of the three processes, wall time. */
export interface Spent {
  posts: number;
  closes: number;
  cpuUs: Omit<CpuPerOp, 'total'>;
  elapsedMs: number;
}

export const NOTHING_SPENT: Spent = { posts: 0, closes: 0, cpuUs: { bench: 0, sink: 0, redis: 0 }, elapsedMs: 0 };

export async function closeWindow(meters: Meters, start: Window): Promise<Spent> {
  const elapsedMs = performance.now() - start.at;
  const bench = process.cpuUsage(start.benchCpu);
  const redisCpuS = await redisCpuSeconds(meters.admin);
  const sink = await meters.sink.stats();
  return {
    posts: sink.posts - start.posts,
    closes: sink.closes - start.closes,
    cpuUs: { bench: bench.user + bench.system, sink: sink.cpuUs - start.sinkCpuUs, redis: (redisCpuS - start.redisCpuS) * 1e6 },
    elapsedMs,
  };
}

export function addSpent(a: Spent, b: Spent): Spent {
  return {
    posts: a.posts + b.posts,
    closes: a.closes + b.closes,
    cpuUs: { bench: a.cpuUs.bench + b.cpuUs.bench, sink: a.cpuUs.sink + b.cpuUs.sink, redis: a.cpuUs.redis + b.cpuUs.redis },
    elapsedMs: a.elapsedMs + b.elapsedMs,
  };
}

function perOpCpu(cpuUs: Omit<CpuPerOp, 'total'>, ops: number): CpuPerOp {
  const per = (us: number): number => (ops > 0 ? us / ops : 0);
  return { bench: per(cpuUs.bench), sink: per(cpuUs.sink), redis: per(cpuUs.redis), total: per(cpuUs.bench + cpuUs.sink + cpuUs.redis) };
}

/** Per-op counts, CPU shares and CPU per op over all measured runs of a scenario. */
export function perOpFigures(
  spent: Spent,
  ops: number,
  counts: Counts,
): Pick<ScenarioResult, 'perOp' | 'postsPerSec' | 'benchCpuUsPerPush' | 'cpu' | 'cpuUsPerOp'> {
  const per = (n: number): number => (ops > 0 ? n / ops : 0);
  const pct = (us: number): number => (100 * us) / 1000 / spent.elapsedMs;
  const pushes = spent.posts + spent.closes;
  return {
    perOp: {
      redisRoundTrips: per(counts.redisRoundTrips),
      pgQueries: per(counts.pgQueries),
      pgConnects: per(counts.pgConnects),
      posts: per(spent.posts),
      closes: per(spent.closes),
    },
    postsPerSec: (pushes * 1000) / spent.elapsedMs,
    benchCpuUsPerPush: pushes > 0 ? spent.cpuUs.bench / pushes : 0,
    cpu: { bench: pct(spent.cpuUs.bench), sink: pct(spent.cpuUs.sink), redis: pct(spent.cpuUs.redis) },
    cpuUsPerOp: perOpCpu(spent.cpuUs, ops),
  };
}

export interface LoadScenarioSpec {
  name: string;
  concurrency: number;
  spec: LoadSpec;
  note?: string;
  onProfile?: (profile: unknown) => void;
}

export interface LoadSettings {
  runs: number;
  durationMs: number;
  warmupMs: number;
  log: (line: string) => void;
}

/**
 * Warm-up, then `runs` measured runs in the containers; per-op counts and
 * CPU cover the measured runs only. Scenarios given together take turns run
 * by run (A1 B1 A2 B2 ...), so a slow spell of the shared machine hits them
 * alike and their ratio holds (a scenario against its own floor).
 */
export async function loadScenarios(
  meters: Meters,
  containers: Containers,
  settings: LoadSettings,
  specs: readonly LoadScenarioSpec[],
): Promise<ScenarioResult[]> {
  for (const { spec, concurrency } of specs) await containers.load(spec, concurrency, settings.warmupMs);
  const acc = specs.map(() => ({ runs: [] as RunResult[], counts: NO_COUNTS, spent: NOTHING_SPENT }));
  for (let i = 0; i < settings.runs; i++) {
    for (const [k, { spec, concurrency, onProfile }] of specs.entries()) {
      const window = await openWindow(meters);
      const measured = await containers.load(spec, concurrency, settings.durationMs, onProfile !== undefined && i === 0);
      const spent = await closeWindow(meters, window);
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
    settings.log(
      `  ${name}: ${fmt(result.opsPerSec)} ops/s, p50 ${result.p50Ms.toFixed(2)} ms, ${result.perOp.redisRoundTrips.toFixed(2)} RT/op, ${fmt(result.postsPerSec)} posts/s${errors ? `, ${errors} ERRORS` : ''}`,
    );
    return result;
  });
}

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
