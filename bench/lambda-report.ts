/**
 * The Lambda-shaped benchmark's figures (bench/lambda.ts): per function, billed duration per
 * invocation as Lambda bills it (each invocation's wall time rounded up to 1 ms) beside the floor
 * measured in the same run, CPU time, I/O and log output per invocation; and its table.
 */
import { fmt } from './measure';
import { percentile } from './support';
import type { Written } from './lambda-process';

export interface InvocationSample {
  wallMs: number;
  cpuUs: number;
  posts: number;
  closes: number;
  redisRoundTrips: number;
  pgQueries: number;
  stdout: Written;
  stderr: Written;
  floorWallMs: number;
  floorCpuUs: number;
}

export interface Distribution {
  median: number;
  p90: number;
  mean: number;
}

export interface LambdaRow {
  name: string;
  logicalId: string;
  memoryMb: number;
  users: string;
  invocations: number;
  errors: number;
  /** Each invocation's wall time rounded up to 1 ms. */
  billedMs: Distribution;
  wallMs: Distribution;
  cpuMs: Distribution;
  floor: { billedMs: Distribution; wallMs: Distribution; cpuMs: Distribution };
  /** Mean billed ms over the floor's. */
  ofFloor: number;
  perInvocation: {
    posts: number;
    closes: number;
    redisRoundTrips: number;
    pgQueries: number;
    /** stdout + stderr: CloudWatch Logs ingestion. */
    logBytes: number;
    logEvents: number;
    stderrBytes: number;
  };
  /** The environment's first invocation (its clients connect then), not in the figures above. */
  firstInvocationBilledMs: number;
  /** Loading the handler module in the fresh process, TypeScript compiled by tsx on the way: not a cold-start figure. */
  loadMsUnderTsx: number;
  /** Variables set otherwise than the template's defaults. */
  differences: string[];
}

export interface LambdaReport {
  invocations: number;
  warmups: number;
  rows: LambdaRow[];
  commonDifferences: readonly string[];
}

/** What Lambda bills for an invocation of `wallMs`: rounded up to the next millisecond, at least 1. */
export function billedMs(wallMs: number): number {
  return Math.max(1, Math.ceil(wallMs));
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length > 0 ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN;
  return { median: percentile(sorted, 50), p90: percentile(sorted, 90), mean };
}

const mean = (values: readonly number[]): number => (values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : NaN);

export function lambdaFigures(input: {
  name: string;
  logicalId: string;
  memoryMb: number;
  users: string;
  samples: readonly InvocationSample[];
  first: InvocationSample;
  loadMsUnderTsx: number;
  errors: number;
  differences: string[];
}): LambdaRow {
  const { samples } = input;
  const billed = distribution(samples.map((s) => billedMs(s.wallMs)));
  const floorBilled = distribution(samples.map((s) => billedMs(s.floorWallMs)));
  return {
    name: input.name,
    logicalId: input.logicalId,
    memoryMb: input.memoryMb,
    users: input.users,
    invocations: samples.length,
    errors: input.errors,
    billedMs: billed,
    wallMs: distribution(samples.map((s) => s.wallMs)),
    cpuMs: distribution(samples.map((s) => s.cpuUs / 1000)),
    floor: {
      billedMs: floorBilled,
      wallMs: distribution(samples.map((s) => s.floorWallMs)),
      cpuMs: distribution(samples.map((s) => s.floorCpuUs / 1000)),
    },
    ofFloor: billed.mean / floorBilled.mean,
    perInvocation: {
      posts: mean(samples.map((s) => s.posts)),
      closes: mean(samples.map((s) => s.closes)),
      redisRoundTrips: mean(samples.map((s) => s.redisRoundTrips)),
      pgQueries: mean(samples.map((s) => s.pgQueries)),
      logBytes: mean(samples.map((s) => s.stdout.bytes + s.stderr.bytes)),
      logEvents: mean(samples.map((s) => s.stdout.lines + s.stderr.lines)),
      stderrBytes: mean(samples.map((s) => s.stderr.bytes)),
    },
    firstInvocationBilledMs: billedMs(input.first.wallMs),
    loadMsUnderTsx: input.loadMsUnderTsx,
    differences: input.differences,
  };
}

const triple = (d: Distribution): string => `${d.median} / ${d.p90} / ${d.mean.toFixed(2)}`;

export function printLambdaReport(log: (line: string) => void, report: LambdaReport): void {
  log('');
  log(
    `## Lambda-shaped: billed ms per invocation, one at a time per environment (${report.invocations} invocations per function after ${report.warmups} warm-up; the template's settings)`,
  );
  log('');
  log(
    '| Function | memory | billed ms median / p90 / mean | floor, same run | of floor (mean) | CPU ms mean (floor) | posts + closes | Redis RT / PG queries | log bytes (lines) | first invocation | differs from the template |',
  );
  log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|');
  for (const row of report.rows) {
    const p = row.perInvocation;
    log(
      `| ${row.name} (${row.logicalId}) | ${row.memoryMb} MB | ${triple(row.billedMs)} | ${triple(row.floor.billedMs)} | ${row.ofFloor.toFixed(2)}x | ${row.cpuMs.mean.toFixed(2)} (${row.floor.cpuMs.mean.toFixed(2)}) | ${fmt(p.posts + p.closes, 1)} | ${p.redisRoundTrips.toFixed(1)} / ${p.pgQueries.toFixed(1)} | ${fmt(p.logBytes)} (${p.logEvents.toFixed(1)}) | ${row.firstInvocationBilledMs} ms | ${row.differences.length > 0 ? row.differences.join('; ') : 'none'}${row.errors ? `; ${row.errors} ERRORS` : ''} |`,
    );
  }
  log('');
  log(
    'Floor: the same I/O with nothing around it, measured after each invocation in the same environment (each Redis round trip as an EVALSHA of a one-command script, ZADD GT, each PostgreSQL query as SELECT 1, the same posts and closes over bare undici, unsigned; the authorizer: its RS256 signature checked with node:crypto).',
  );
  log(`Users: ${report.rows.map((row) => `${row.name}: ${row.users}`).join('; ')}.`);
  log('Unlike Lambda in AWS:');
  for (const difference of report.commonDifferences) log(`- ${difference}`);
}
