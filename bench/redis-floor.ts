/**
 * What Redis itself allows a heartbeat at a given number of calls in flight:
 * redis-benchmark (a C client costing next to nothing) runs the heartbeat
 * script on a real online user's keys, once as 16 connections with one call
 * each (16 Lambda containers) and once as one connection with 16 pipelined
 * (one process sharing its connection, as the benchmark's containers do).
 * Optimistic: with one user and a fixed time, ZADD GT changes nothing after
 * the first call, where a real heartbeat re-sorts the status set.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type Redis from 'ioredis';
import { HEARTBEAT } from '../layers/core/redis/scripts';

const run = promisify(execFile);

export interface RedisFloor {
  /** Calls per second with `connections` x `pipeline` heartbeats in flight. */
  shapes: { connections: number; pipeline: number; perSec: number }[];
  note: string;
}

/** Parses `redis-benchmark -q` output: the last "... requests per second" figure. */
export function requestsPerSecond(output: string): number {
  const matches = [...output.replace(/\r/g, '\n').matchAll(/([\d.]+) requests per second/g)];
  const last = matches.at(-1);
  if (!last) throw new Error(`redis-benchmark printed no rate: ${output.slice(-200)}`);
  return Number(last[1]);
}

export async function measureRedisFloor(
  admin: Redis,
  target: { host: string; port: number },
  /** The heartbeat script's keys and arguments, as the store passes them (layers/core/redis/presence-store.ts). */
  call: { keys: string[]; args: (string | number)[] },
  inFlight: number,
  requests: number,
): Promise<RedisFloor | undefined> {
  const sha = (await admin.script('LOAD', HEARTBEAT)) as string;
  const shapes: RedisFloor['shapes'] = [];
  for (const [connections, pipeline] of [
    [inFlight, 1],
    [1, inFlight],
  ] as const) {
    let stdout: string;
    try {
      ({ stdout } = await run('redis-benchmark', [
        ...['-h', target.host, '-p', String(target.port), '-q', '-c', String(connections), '-P', String(pipeline), '-n', String(requests)],
        ...['evalsha', sha, String(call.keys.length), ...call.keys, ...call.args.map(String)],
      ]));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    shapes.push({ connections, pipeline, perSec: requestsPerSecond(stdout) });
  }
  return {
    shapes,
    note: `redis-benchmark -n ${requests}, EVALSHA of the heartbeat script on one online user's keys (optimistic: ZADD GT is a no-op after the first call)`,
  };
}
