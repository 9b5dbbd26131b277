/**
 * What every scenario shares: the seeded database and key prefix, the sink,
 * the runtime of this process (instrumented), the containers, and what the
 * scenarios collect along the way. Everything set up here is taken down by
 * the cleanup, also on error and Ctrl-C.
 */
import Redis from 'ioredis';
import { forEachBounded } from '../layers/core/push/concurrency';
import type { PresenceStore } from '../layers/core/ports/presence-store';
import { closeRuntime, getRuntime, type Runtime } from '../layers/core/runtime';
import { Containers } from './containers';
import { configureEnv } from './environment';
import { fmt, loadScenarios, type LoadScenarioSpec, type Meters, type ScenarioResult } from './measure';
import type { LambdaReport } from './lambda-report';
import { createOperations, type Operations } from './operations';
import type { SignerComparison } from './signers';
import type { HotFunction } from './profile-summary';
import type { RedisFloor } from './redis-floor';
import {
  REDIS_URL,
  buildGraph,
  connectQuietly,
  createDatabase,
  deleteRedisPrefix,
  dropDatabase,
  ringUser,
  seedDatabase,
  type Graph,
} from './seed';
import type { Settings } from './settings';
import { diff, instrument, startSink, type Instrumentation } from './support';

export interface Profile {
  scenario: string;
  file: string;
  hot: HotFunction[];
}

export interface Bench {
  settings: Settings;
  /** Progress and tables; on stderr when stdout carries the JSON. */
  log: (line: string) => void;
  runtime: Runtime;
  meters: Meters;
  meter: Instrumentation;
  containers: Containers;
  operations: Operations;
  graph: Graph;
  store: PresenceStore;
  results: ScenarioResult[];
  ceilings: Record<string, { postsPerSec: number; runs: number[]; note: string }>;
  profiles: Profile[];
  redisFloor?: RedisFloor;
  memory?: Record<string, number | string>;
  /** The Lambda-shaped run's figures (bench/lambda.ts). */
  lambda?: LambdaReport;
  /** Our SigV4 signer against the SDK's (bench/signers.ts). */
  signers?: SignerComparison;
  friendsWarm: boolean;
}

/** Tasks that take the fixtures down, in order; each gets 10 s. */
export class Cleanup {
  private readonly tasks: (() => Promise<unknown>)[] = [];
  private running: Promise<void> | undefined;

  /** Runs after everything registered so far. */
  later(task: () => Promise<unknown>): void {
    this.tasks.push(task);
  }

  /** Runs before everything registered so far (what was set up last goes first). */
  first(task: () => Promise<unknown>): void {
    this.tasks.unshift(task);
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const task of this.tasks.splice(0)) {
        await Promise.race([task(), new Promise((resolve) => setTimeout(resolve, 10_000))]).catch((error: unknown) => {
          console.error('cleanup step failed:', error);
        });
      }
    })();
    return this.running;
  }
}

/**
 * Runs a benchmark command's `main` and exits with its code, taking down what `cleanup` holds first:
 * after `main`, after an error, and on Ctrl-C or SIGTERM (exit 130).
 */
export function runWithCleanup(cleanup: Cleanup, main: () => Promise<number>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      void cleanup.run().finally(() => process.exit(130));
    });
  }
  main()
    .then(async (code) => {
      await cleanup.run();
      process.exit(code);
    })
    .catch(async (error: unknown) => {
      console.error(error);
      await cleanup.run();
      process.exit(1);
    });
}

export async function setUpFixtures(settings: Settings, log: (line: string) => void, cleanup: Cleanup): Promise<Bench> {
  const { dbName, keyPrefix, size } = settings;
  const admin = new Redis(REDIS_URL);
  cleanup.later(() => Promise.resolve(admin.disconnect()));
  const sink = await startSink();
  cleanup.later(() => sink.stop());
  log(`sink (separate process) at ${sink.endpoint}`);

  cleanup.later(() => dropDatabase(dbName));
  cleanup.later(() => deleteRedisPrefix(keyPrefix).then(() => undefined));
  const graph = buildGraph(size);
  let t = performance.now();
  await createDatabase(dbName);
  await seedDatabase(dbName, graph);
  log(`seeded ${dbName}: ${fmt(graph.users.length)} users, ${fmt(graph.pairs.length)} friendships in ${fmt(performance.now() - t)} ms`);

  configureEnv(sink.endpoint, dbName, keyPrefix);
  // Only now: the handlers create their runtime from the environment when they load.
  const operations = createOperations(await import('./handlers'));
  const runtime = getRuntime({ push: true });
  cleanup.first(() => closeRuntime());
  const meter = await instrument(runtime.redis, runtime.pool);
  const containers = await Containers.start(settings.containers);
  cleanup.first(() => containers.close());
  log(
    `${containers.size} containers (worker threads, each with its own runtime); concurrency ${settings.concurrency} is split between them`,
  );

  t = performance.now();
  const seedNow = Date.now();
  const { timeoutMs } = runtime.config.presence;
  await forEachBounded(graph.online, 64, (userId) => connectQuietly(runtime.store, userId, seedNow, timeoutMs));
  log(`connected ${fmt(graph.online.length)} online users in ${fmt(performance.now() - t)} ms`);
  return {
    settings,
    log,
    runtime,
    meters: { sink, admin },
    meter,
    containers,
    operations,
    graph,
    store: runtime.store,
    results: [],
    ceilings: {},
    profiles: [],
    friendsWarm: false,
  };
}

/** One heartbeat must be exactly one round trip, or no Redis figure means anything. */
export async function checkCounters(b: Bench): Promise<void> {
  await b.operations.heartbeat(ringUser(0));
  const before = b.meter.snapshot();
  for (let i = 0; i < 10; i++) if (!(await b.operations.heartbeat(ringUser(i)))) throw new Error('heartbeat failed during validation');
  const check = diff(b.meter.snapshot(), before);
  if (check.redisRoundTrips !== 10)
    throw new Error(`round-trip counter invalid: 10 heartbeats counted ${check.redisRoundTrips} round trips`);
  b.log('counter check: 10 heartbeats = 10 Redis round trips');
}

/** Warm-up and measured runs of load scenarios that take turns, with the bench's settings. */
export function load(b: Bench, specs: readonly LoadScenarioSpec[]): Promise<ScenarioResult[]> {
  const { runs, durationMs, warmupMs } = b.settings;
  return loadScenarios(b.meters, b.containers, { runs, durationMs, warmupMs, log: b.log }, specs);
}
