/**
 * The benchmark's command line and the sizes it implies: how many runs, how
 * long, how big a graph. Read once by bench/run.ts; everything else gets the
 * result as `bench.settings`.
 */
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { GraphSize } from './seed';

export interface Settings {
  /** --scenario: one named scenario instead of the full run. */
  scenario?: string;
  smoke: boolean;
  /** --json: exactly one JSON object on stdout, progress on stderr. */
  json: boolean;
  profile: boolean;
  runs: number;
  /** Worker threads standing in for Lambda containers. */
  containers: number;
  size: GraphSize;
  durationMs: number;
  warmupMs: number;
  /** Invocations in flight in every load scenario but GET /presence. */
  concurrency: number;
  memoryUsers: number;
  /** Whether the full run times the 10,000-user sweep too. */
  sweepLarge: boolean;
  resultsDir: string;
  dbName: string;
  keyPrefix: string;
}

export function parseSettings(args: string[] = process.argv.slice(2)): Settings {
  const { values: options } = parseArgs({
    args,
    options: {
      smoke: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      runs: { type: 'string' },
      containers: { type: 'string' },
      'skip-sweep-large': { type: 'boolean', default: false },
      scenario: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const smoke = options.smoke;
  // Enough hubs and loners that the 16 operations in flight are (almost) always 16 different users: a
  // user's concurrent updates share one fan-out (the push lease), which would turn some into no pushes.
  const size: GraphSize = smoke
    ? { ring: 200, ringFriends: 20, watchers: 200, hubs: 64, hubFriends: 50, loners: 64, staleSmall: 20, staleLarge: 0, staleFriends: 20 }
    : {
        ring: 10_000,
        ringFriends: 20,
        watchers: 10_000,
        hubs: 64,
        hubFriends: 200,
        loners: 64,
        // Only the full run times the 10,000-user sweep.
        staleSmall: 1_000,
        staleLarge: options.scenario ? 0 : 10_000,
        staleFriends: 20,
      };
  return {
    scenario: options.scenario,
    smoke,
    json: options.json,
    profile: options.profile,
    runs: options.runs !== undefined ? Number(options.runs) : smoke ? 1 : 5,
    // One per core unless told otherwise.
    containers: options.containers !== undefined ? Number(options.containers) : os.availableParallelism(),
    size,
    durationMs: smoke ? 300 : 2_000,
    warmupMs: smoke ? 150 : 1_000,
    concurrency: 16,
    memoryUsers: smoke ? 200 : 10_000,
    // Every timed-out user costs 20 pushes + 1 close; --skip-sweep-large leaves the 10,000 sweep out and
    // projects it from the 1,000 sweep, for quicker iterations.
    sweepLarge: !smoke && !options['skip-sweep-large'],
    resultsDir: join(__dirname, 'results'),
    dbName: `presence_bench_${process.pid}`,
    keyPrefix: `presence-bench:${process.pid}:`,
  };
}
