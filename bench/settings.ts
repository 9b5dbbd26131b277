/**
 * The benchmark's command line and the sizes it implies: how many runs, how
 * long, how big a graph. Read once by bench/run.ts; everything else gets the
 * result as `bench.settings`.
 */
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readCommandLine } from './command-line';
import { templateStatusShards } from './lambda-template';
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
  /** The Lambda-shaped runs (bench/lambda.ts): measured invocations per function after the warm-ups. */
  lambda: { invocations: number; warmups: number; sweepBatches: number };
  resultsDir: string;
  dbName: string;
  keyPrefix: string;
}

const USAGE = `usage: npm run bench -- [--smoke] [--profile] [--runs N] [--containers N] [--skip-sweep-large]
       npm run bench -- --scenario <name> [--json] [--profile] [--invocations N]
  --smoke             a tiny graph and one run: checks the benchmark works, its figures mean nothing
  --profile           CPU profiles of the handlers, summarised after the tables
  --runs N            runs per scenario (default 5; medians are reported)
  --containers N      worker threads standing in for Lambda containers (default: one per core)
  --skip-sweep-large  leave out the 10,000-user sweep (projected from the 1,000-user one)
  --scenario <name>   one scenario of bench/scenarios.ts (lambda: one invocation at a time, as Lambda bills)
  --json              with --scenario: exactly one JSON object on stdout, progress on stderr
  --invocations N     measured invocations per function of the lambda and signers scenarios (default 200)`;

export function parseSettings(args: string[] = process.argv.slice(2)): Settings {
  const { values: options } = readCommandLine(
    USAGE,
    () =>
      parseArgs({
        args,
        options: {
          smoke: { type: 'boolean', default: false },
          profile: { type: 'boolean', default: false },
          runs: { type: 'string' },
          containers: { type: 'string' },
          'skip-sweep-large': { type: 'boolean', default: false },
          scenario: { type: 'string' },
          json: { type: 'boolean', default: false },
          invocations: { type: 'string' },
        },
      }),
    args,
  );
  const smoke = options.smoke;
  const lambda = {
    invocations: options.invocations !== undefined ? Number(options.invocations) : smoke ? 3 : 200,
    warmups: smoke ? 1 : 5,
    sweepBatches: smoke ? 1 : 20,
  };
  if (!Number.isInteger(lambda.invocations) || lambda.invocations < 1) {
    console.error(`--invocations must be a positive integer, got "${options.invocations}"`);
    process.exit(2);
  }
  // Every user of a Lambda-shaped run is used once per function, as a person would within minutes.
  const lambdaUsers = lambda.warmups + lambda.invocations;
  const lambdaSize: GraphSize['lambda'] = {
    hubs: lambdaUsers,
    joiners: lambdaUsers,
    stale: 100,
    staleShard: 0,
    statusShards: templateStatusShards(),
  };
  // Enough hubs and loners that the 16 operations in flight are (almost) always 16 different users: a
  // user's concurrent updates share one fan-out (the push lease), which would turn some into no pushes.
  const size: GraphSize = smoke
    ? {
        ring: Math.max(200, 2 * lambdaUsers),
        ringFriends: 20,
        watchers: 200,
        hubs: 64,
        hubFriends: 50,
        loners: 64,
        staleSmall: 20,
        staleLarge: 0,
        staleFriends: 20,
        lambda: lambdaSize,
      }
    : {
        ring: Math.max(10_000, 2 * lambdaUsers),
        ringFriends: 20,
        watchers: 10_000,
        hubs: 64,
        hubFriends: 200,
        loners: 64,
        // Only the full run times the 10,000-user sweep.
        staleSmall: 1_000,
        staleLarge: options.scenario ? 0 : 10_000,
        staleFriends: 20,
        lambda: lambdaSize,
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
    lambda,
    resultsDir: join(__dirname, 'results'),
    dbName: `presence_bench_${process.pid}`,
    keyPrefix: `presence-bench:${process.pid}:`,
  };
}
