/** Small pieces of the benchmark: the concurrency runner, statistics, counters, the sink process. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BoundedPool } from '../layers/core/db/pool';
import type { RedisClient } from '../layers/core/redis/client';
import type { SinkMessage, SinkRequest, SinkStats } from './sink';

// --- statistics -------------------------------------------------------------

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

// --- concurrency runner -----------------------------------------------------

export interface RunResult {
  ops: number;
  errors: number;
  elapsedMs: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * `concurrency` workers call `op` in a loop until `durationMs` has passed (or
 * `count` ops were started, when given). `op` resolves false for a failed call.
 * Every latency (ms, sorted) comes back too, so runs in several threads can be merged.
 */
export async function runLoad(
  options: { concurrency: number; durationMs?: number; count?: number },
  op: (worker: number, seq: number) => Promise<boolean>,
): Promise<{ run: RunResult; latencies: number[] }> {
  const latencies: number[] = [];
  let started = 0;
  let errors = 0;
  const start = performance.now();
  const deadline = options.durationMs === undefined ? Infinity : start + options.durationMs;
  const limit = options.count ?? Infinity;
  const worker = async (w: number): Promise<void> => {
    while (started < limit && performance.now() < deadline) {
      const seq = started++;
      const t0 = performance.now();
      let ok = false;
      try {
        ok = await op(w, seq);
      } catch {
        ok = false;
      }
      latencies.push(performance.now() - t0);
      if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
  const elapsedMs = performance.now() - start;
  latencies.sort((a, b) => a - b);
  return { run: summarize(latencies, errors, elapsedMs), latencies };
}

/** A run's figures from its sorted latencies. */
export function summarize(sortedLatencies: readonly number[], errors: number, elapsedMs: number): RunResult {
  return {
    ops: sortedLatencies.length,
    errors,
    elapsedMs,
    opsPerSec: (sortedLatencies.length * 1000) / elapsedMs,
    p50Ms: percentile(sortedLatencies, 50),
    p99Ms: percentile(sortedLatencies, 99),
  };
}

/** Merges sorted latency lists (runs of the same length in different threads). */
export function mergeSorted(lists: readonly (readonly number[])[]): number[] {
  return lists.flat().sort((a, b) => a - b);
}

// --- counters ---------------------------------------------------------------

export interface Counts {
  /** Commands sent outside a pipeline plus one per pipeline exec. */
  redisRoundTrips: number;
  pgQueries: number;
  pgConnects: number;
}

export interface Instrumentation {
  snapshot(): Counts;
}

export const NO_COUNTS: Counts = { redisRoundTrips: 0, pgQueries: 0, pgConnects: 0 };

export function sum(a: Counts, b: Counts): Counts {
  return {
    redisRoundTrips: a.redisRoundTrips + b.redisRoundTrips,
    pgQueries: a.pgQueries + b.pgQueries,
    pgConnects: a.pgConnects + b.pgConnects,
  };
}

export function diff(after: Counts, before: Counts): Counts {
  return {
    redisRoundTrips: after.redisRoundTrips - before.redisRoundTrips,
    pgQueries: after.pgQueries - before.pgQueries,
    pgConnects: after.pgConnects - before.pgConnects,
  };
}

type SendCommand = (command: unknown, stream?: { isPipeline?: boolean }, node?: unknown) => unknown;
type Exec = (this: { redis?: unknown }, ...args: unknown[]) => unknown;

/**
 * Wraps the runtime's own clients (the ones the handlers use), for counting
 * only. ioredis sends every pipelined command through `sendCommand` with a
 * stream flagged isPipeline and writes the whole pipeline to the socket at
 * once, so round trips = unflagged sendCommand calls + pipeline execs.
 */
export async function instrument(redis: RedisClient, pool: BoundedPool): Promise<Instrumentation> {
  const counts: Counts = { redisRoundTrips: 0, pgQueries: 0, pgConnects: 0 };
  await redis.ping();
  const client = redis as unknown as { sendCommand: SendCommand };
  const sendCommand = client.sendCommand;
  client.sendCommand = function (this: unknown, command, stream, node) {
    if (!stream?.isPipeline) counts.redisRoundTrips++;
    return sendCommand.call(this, command, stream, node);
  };
  const pipelineProto = Object.getPrototypeOf(redis.pipeline()) as { exec: Exec };
  const exec = pipelineProto.exec;
  pipelineProto.exec = function (this: { redis?: unknown }, ...args: unknown[]) {
    if (this.redis === redis) counts.redisRoundTrips++;
    return exec.apply(this, args);
  };
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    counts.pgQueries++;
    return query(...args);
  };
  pool.pool.on('connect', () => {
    counts.pgConnects++;
  });
  return { snapshot: () => ({ ...counts }) };
}

// --- sink process -----------------------------------------------------------

export interface Sink {
  endpoint: string;
  stats(): Promise<SinkStats>;
  stop(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const child: ChildProcess = fork(join(__dirname, 'sink.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (stats: SinkStats) => void>();
  let nextId = 0;
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sink did not start within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`sink exited with ${code}`)));
    child.on('message', (message: SinkMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.endpoint);
      } else if (message.type === 'stats') {
        pending.get(message.id)?.(message.stats);
        pending.delete(message.id);
      }
    });
  });
  const url = new URL(endpoint);
  if (url.hostname !== '127.0.0.1') throw new Error(`sink must listen on loopback, got ${endpoint}`);
  const request = (message: SinkRequest): void => {
    child.send(message);
  };
  return {
    endpoint,
    stats: () =>
      new Promise<SinkStats>((resolve) => {
        const id = ++nextId;
        pending.set(id, resolve);
        request({ type: 'stats', id });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || !child.connected) return resolve();
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 3000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        request({ type: 'stop' });
      }),
  };
}
