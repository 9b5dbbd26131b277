/**
 * The side-by-side figures and their tables: per path and contender, billed ms per invocation (wall
 * time rounded up to 1 ms, as Lambda bills) with its median, p90 and mean, CPU ms, Redis round trips,
 * posts and log output per invocation, and ours over the original's; the sweep also per timed-out user;
 * throughput at N in flight per run, with the ratio of the medians and of each alternating run.
 */
import { billedMs, distribution, type Distribution } from '../lambda-report';
import { median } from '../support';
import type { InvocationSample, LoadResult, SequentialResult } from './measure';
import type { PathName } from './protocol';

export interface SequentialRow {
  key: string;
  label: string;
  memoryMb: number;
  invocations: number;
  billedMs: Distribution;
  wallMs: Distribution;
  cpuMs: Distribution;
  /** Mean billed ms times the function's memory: what Lambda bills per invocation, in GB-ms (see the note on CPU shares). */
  gbMs: number;
  /**
   * A projection, not a measurement: Lambda gives a function CPU in proportion to its memory (one vCPU
   * at 1,769 MB), while each environment here has a whole core. Each invocation's CPU time stretched by
   * 1,769 / memory (below 1,769 MB), its waiting left as measured, rounded up to 1 ms.
   */
  projectedAtMemory: { billedMsMean: number; gbMs: number; ofOriginalGbMs?: number };
  /** Mean and median billed ms of this row over the original's (below 1: ours bills less). */
  ofOriginal?: { mean: number; median: number };
  perInvocation: {
    posts: number;
    closes: number;
    /** Reads Redis processed: one per round trip when one invocation runs at a time. */
    redisRoundTrips: number;
    redisCommands: number;
    logBytes: number;
    logLines: number;
    dynamoWrites: number;
  };
  /** The sweep: per timed-out user. */
  perUser?: { billedMsMean: number; billedMsMedian: number; cpuMsMean: number; gbMs: number };
  firstInvocationBilledMs?: number;
  loadMs: number;
  /** The start of what the first measured invocation wrote (stdout and stderr). */
  sampleOutput?: string;
}

export interface PathReport {
  path: PathName;
  title: string;
  rows: SequentialRow[];
}

export interface ThroughputRow {
  key: string;
  label: string;
  opsPerSec: { median: number; min: number; max: number; runs: number[] };
  cpuUsPerOp: number;
  /** redis-server's CPU per invocation (both sides use the one private server). */
  redisCpuUsPerOp: number;
  postsPerOp: number;
  logBytesPerOp: number;
  /** This row's median over the original's (above 1: ours is faster), and each run's over the original's run of the same round. */
  ofOriginal?: { ofMedians: number; perRun: number[] };
}

export interface ThroughputReport {
  path: PathName;
  title: string;
  concurrency: number;
  durationMs: number;
  rows: ThroughputRow[];
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** Lambda's memory for one full vCPU. */
const FULL_VCPU_MB = 1769;

function projectAtMemory(samples: readonly InvocationSample[], memoryMb: number): SequentialRow['projectedAtMemory'] {
  const stretch = Math.max(1, FULL_VCPU_MB / memoryMb);
  const billedMsMean = mean(samples.map((s) => billedMs(Math.max(0, s.wallMs - s.cpuUs / 1000) + (s.cpuUs / 1000) * stretch)));
  return { billedMsMean, gbMs: (billedMsMean * memoryMb) / 1024 };
}

export function sequentialReport(
  path: PathName,
  title: string,
  results: readonly SequentialResult[],
  usersPerInvocation?: number,
): PathReport {
  const rows = results.map((result): SequentialRow => {
    const { samples } = result;
    const billed = distribution(samples.map((s) => billedMs(s.wallMs)));
    const cpuMs = distribution(samples.map((s) => s.cpuUs / 1000));
    return {
      key: result.contender.key,
      label: result.contender.label,
      memoryMb: result.memoryMb,
      invocations: samples.length,
      billedMs: billed,
      wallMs: distribution(samples.map((s) => s.wallMs)),
      cpuMs,
      gbMs: (billed.mean * result.memoryMb) / 1024,
      projectedAtMemory: projectAtMemory(samples, result.memoryMb),
      perInvocation: {
        posts: mean(samples.map((s) => s.posts)),
        closes: mean(samples.map((s) => s.closes)),
        redisRoundTrips: mean(samples.map((s) => s.redisReads)),
        redisCommands: mean(samples.map((s) => s.redisCommands)),
        logBytes: mean(samples.map((s) => s.logBytes)),
        logLines: mean(samples.map((s) => s.logLines)),
        dynamoWrites: mean(samples.map((s) => s.dynamoWrites)),
      },
      perUser: usersPerInvocation
        ? {
            billedMsMean: billed.mean / usersPerInvocation,
            billedMsMedian: billed.median / usersPerInvocation,
            cpuMsMean: cpuMs.mean / usersPerInvocation,
            gbMs: (billed.mean * result.memoryMb) / 1024 / usersPerInvocation,
          }
        : undefined,
      firstInvocationBilledMs: result.first ? billedMs(result.first.wallMs) : undefined,
      loadMs: result.loadMs,
      sampleOutput: result.sampleOutput?.slice(0, 1000),
    };
  });
  const original = rows.find((row) => row.key === 'original');
  for (const row of rows) {
    if (original && row !== original) {
      row.ofOriginal = { mean: row.billedMs.mean / original.billedMs.mean, median: row.billedMs.median / original.billedMs.median };
      row.projectedAtMemory.ofOriginalGbMs = row.projectedAtMemory.gbMs / original.projectedAtMemory.gbMs;
    }
  }
  return { path, title, rows };
}

export function throughputReport(
  path: PathName,
  title: string,
  options: { concurrency: number; durationMs: number },
  results: readonly LoadResult[],
): ThroughputReport {
  const rows = results.map((result): ThroughputRow => {
    const rates = result.runs.map((run) => (run.ops * 1000) / run.wallMs);
    const ops = result.runs.reduce((total, run) => total + run.ops, 0);
    return {
      key: result.contender.key,
      label: result.contender.label,
      opsPerSec: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates), runs: rates },
      cpuUsPerOp: median(result.runs.map((run) => run.cpuUs / run.ops)),
      redisCpuUsPerOp: median(result.runs.map((run) => run.redisCpuUs / run.ops)),
      postsPerOp: result.runs.reduce((total, run) => total + run.posts, 0) / ops,
      logBytesPerOp: result.runs.reduce((total, run) => total + run.logBytes, 0) / ops,
    };
  });
  const original = rows.find((row) => row.key === 'original');
  for (const row of rows) {
    if (original && row !== original) {
      row.ofOriginal = {
        ofMedians: row.opsPerSec.median / original.opsPerSec.median,
        perRun: row.opsPerSec.runs.map((rate, i) => rate / (original.opsPerSec.runs[i] ?? NaN)),
      };
    }
  }
  return { path, title, concurrency: options.concurrency, durationMs: options.durationMs, rows };
}

const n = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const triple = (d: Distribution): string => `${d.median} / ${d.p90} / ${n(d.mean, 2)}`;
const int = (value: number): string => Math.round(value).toLocaleString('en-US');

export function printSequential(log: (line: string) => void, reports: readonly PathReport[], invocations: number, warmups: number): void {
  log('');
  log(
    `## Billed ms per invocation, one invocation at a time per execution environment (${invocations} per contender after ${warmups} warm-up, contenders taking turns)`,
  );
  log('');
  log(
    '| path | contender | memory | billed ms median / p90 / mean | of the original (mean · median) | wall ms mean | CPU ms mean | GB-ms (billed x memory) | Redis round trips / commands (Lua calls included) | posts + closes | log bytes (lines) | DynamoDB writes | first invocation |',
  );
  log('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const report of reports) {
    for (const row of report.rows) {
      const p = row.perInvocation;
      const ratio = row.ofOriginal ? `${n(row.ofOriginal.mean, 2)}x · ${n(row.ofOriginal.median, 2)}x` : '';
      log(
        `| ${report.title} | ${row.label} | ${row.memoryMb} MB | ${triple(row.billedMs)} | ${ratio} | ${n(row.wallMs.mean, 2)} | ${n(row.cpuMs.mean, 2)} | ${n(row.gbMs, 2)} | ${n(p.redisRoundTrips)} / ${n(p.redisCommands)} | ${n(p.posts)} + ${n(p.closes)} | ${int(p.logBytes)} (${n(p.logLines)}) | ${n(p.dynamoWrites)} | ${row.firstInvocationBilledMs ?? '–'} ms |`,
      );
    }
  }
  const written = reports.flatMap((report) =>
    report.rows
      .filter((row) => row.key === 'ours' && row.sampleOutput)
      .map((row) => `${report.title}: ${row.sampleOutput!.slice(0, 300).trim()}`),
  );
  if (written.length > 0) {
    log('');
    log("What ours writes per invocation with the template's defaults (the start of the first measured invocation's output):");
    for (const line of written) log(`- ${line.replace(/\n/g, ' ⏎ ')}`);
  }
  const sweep = reports.find((report) => report.path === 'sweep');
  if (sweep) {
    log('');
    log(
      `Sweep per timed-out user (${sweep.title}): ${sweep.rows
        .map(
          (row) =>
            `${row.key} ${n(row.perUser?.billedMsMean ?? NaN, 2)} billed ms mean (median ${n(row.perUser?.billedMsMedian ?? NaN, 2)}), ${n(row.perUser?.cpuMsMean ?? NaN, 2)} CPU ms, ${n(row.perUser?.gbMs ?? NaN, 3)} GB-ms`,
        )
        .join('; ')}.`,
    );
  }
}

export function printProjection(log: (line: string) => void, reports: readonly PathReport[]): void {
  log('');
  log(
    `## A projection, not a measurement: each side at its own memory in AWS (CPU at memory / ${FULL_VCPU_MB.toLocaleString('en-US')} of a vCPU, waiting as measured here)`,
  );
  log('');
  log('| path | contender | memory | projected billed ms mean | projected GB-ms | of the original (GB-ms) |');
  log('|---|---|--:|--:|--:|--:|');
  for (const report of reports) {
    for (const row of report.rows) {
      const p = row.projectedAtMemory;
      log(
        `| ${report.title} | ${row.label} | ${row.memoryMb} MB | ${n(p.billedMsMean, 2)} | ${n(p.gbMs, 2)} | ${p.ofOriginalGbMs === undefined ? '' : `${n(p.ofOriginalGbMs, 2)}x`} |`,
      );
    }
  }
}

export function printThroughput(log: (line: string) => void, reports: readonly ThroughputReport[], runs: number): void {
  if (reports.length === 0) return;
  const first = reports[0]!;
  log('');
  log(
    `## Throughput, ${first.concurrency} in flight in one environment, ${runs} alternating runs of ${first.durationMs} ms after a warm-up (medians)`,
  );
  log('');
  log(
    '| path | contender | invocations/s median (range) | of the original (medians; per run) | CPU µs per invocation | Redis CPU µs per invocation | posts per invocation | log bytes per invocation |',
  );
  log('|---|---|--:|--:|--:|--:|--:|--:|');
  for (const report of reports) {
    for (const row of report.rows) {
      const ratio = row.ofOriginal ? `${n(row.ofOriginal.ofMedians, 2)}x; ${row.ofOriginal.perRun.map((r) => n(r, 2)).join(' ')}` : '';
      log(
        `| ${report.title} | ${row.label} | ${int(row.opsPerSec.median)} (${int(row.opsPerSec.min)}–${int(row.opsPerSec.max)}) | ${ratio} | ${n(row.cpuUsPerOp)} | ${n(row.redisCpuUsPerOp)} | ${n(row.postsPerOp, 2)} | ${int(row.logBytesPerOp)} |`,
      );
    }
  }
}
