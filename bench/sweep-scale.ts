/**
 * Scale check of the timeout sweep: N stale users with F online friends each, swept over all
 * shards in parallel exactly as the state machine's Map would (a worker per Map slot looping
 * TimeoutSweeper.sweepBatch on a shard until `more` is false), against real Redis, real PostgreSQL
 * and a real HTTP management API in a separate process (every push and DeleteConnection goes
 * through the real AWS SDK client over HTTP).
 *
 *   npx tsx bench/sweep-scale.ts [--users 10000,100000] [--shards 16] [--batch 500]
 *                                [--concurrency 16] [--friends 20] [--push-concurrency 64]
 *
 * Uses its own PostgreSQL database (created from DATABASE_URL's server, default
 * postgres://postgres@127.0.0.1:5432/postgres, dropped afterwards) and its own Redis key prefix
 * (deleted afterwards). Loopback servers only.
 *
 * Counting: every worker has its own runtime (Redis connection, pg pool, SDK client), like one
 * Lambda container per Map slot. PostgreSQL queries = calls of that pool's query(). Redis round
 * trips = requests the client writes and waits for: each standalone command (a script call is one
 * EVALSHA; a NOSCRIPT fallback adds its EVAL) plus each pipeline (one write, one wait, however many
 * commands), counted by wrapping the ioredis client's sendCommand.
 */
// First: the core modules read parts of the environment when they load.
import './sweep-scale-environment';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { Client } from 'pg';
import { KeySpace } from '../layers/core/keys';
import { createRuntime, type Runtime } from '../layers/core/runtime';
import type { SweepBatchResult } from '../layers/core/timeout-sweeper';
import { startManagementApi } from '../local/management-api';
import { readCommandLine } from './command-line';
import { deleteRedisPrefix } from './seed';

const ROOT = join(__dirname, '..');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

// --- management API sink (child process) -----------------------------------------------------

interface SinkStats {
  posts: number;
  deletes: number;
  /** CPU seconds the sink process used since the last reset. */
  cpuSeconds: number;
}

async function runSink(): Promise<void> {
  const stats = { posts: 0, deletes: 0 };
  let cpuBase = process.cpuUsage();
  // Accepts every connection: all friends are "connected", every ghost socket closes.
  const server = await startManagementApi(
    {
      send: () => {
        stats.posts++;
        return true;
      },
      close: () => {
        stats.deletes++;
        return true;
      },
      describe: () => ({ connectedAt: 0, sourceIp: '127.0.0.1', lastActiveAt: 0 }),
    },
    0,
    { credentials: false },
  );
  process.on('message', (message: string) => {
    if (message === 'stats') {
      const cpu = process.cpuUsage(cpuBase);
      process.send?.({ stats: { ...stats, cpuSeconds: (cpu.user + cpu.system) / 1e6 } satisfies SinkStats });
    }
    if (message === 'reset') {
      stats.posts = 0;
      stats.deletes = 0;
      cpuBase = process.cpuUsage();
      process.send?.({ reset: true });
    }
  });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
  process.send?.({ endpoint: server.endpoint });
}

class Sink {
  private constructor(
    private readonly child: ChildProcess,
    readonly endpoint: string,
  ) {}

  static start(): Promise<Sink> {
    const child = fork(__filename, ['--sink'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`sink exited with ${code}`)));
      child.once('message', (message: { endpoint: string }) => resolve(new Sink(child, message.endpoint)));
    });
  }

  private ask<T>(message: string, key: string): Promise<T> {
    return new Promise((resolve) => {
      const listener = (reply: Record<string, unknown>) => {
        if (key in reply) {
          this.child.off('message', listener);
          resolve(reply[key] as T);
        }
      };
      this.child.on('message', listener);
      this.child.send(message);
    });
  }

  stats(): Promise<SinkStats> {
    return this.ask('stats', 'stats');
  }

  async reset(): Promise<void> {
    await this.ask('reset', 'reset');
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.removeAllListeners('exit');
      this.child.once('exit', () => resolve());
      this.child.disconnect();
      setTimeout(() => this.child.kill(), 5000).unref();
    });
  }
}

// --- benchmark -------------------------------------------------------------------------------

interface Options {
  users: number[];
  shards: number;
  batch: number;
  concurrency: number;
  friends: number;
  pushConcurrency: number;
}

interface Counters {
  pgQueries: number;
  redisRoundTrips: number;
  redisCommands: number;
}

interface Row {
  users: number;
  shards: number;
  batch: number;
  concurrency: number;
  wallSeconds: number;
  usersPerSecond: number;
  posts: number;
  postsPerSecond: number;
  deletes: number;
  batches: number;
  batchesWithWork: number;
  pgPerBatch: number;
  redisPerBatch: number;
  redisCommandsPerBatch: number;
  p50BatchMs: number;
  maxBatchMs: number;
  seedSeconds: number;
  sweeperCpuSeconds: number;
  sinkCpuSeconds: number;
}

function assertLoopback(url: string, what: string): void {
  const host = new URL(url).hostname;
  if (!LOOPBACK.has(host)) throw new Error(`${what} must be a loopback server, got ${host}`);
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Counts pg queries and Redis round trips of one runtime. */
function instrument(runtime: Runtime, counters: Counters): void {
  const pool = runtime.pool as unknown as { query: (...args: unknown[]) => unknown };
  const query = pool.query.bind(runtime.pool);
  pool.query = (...args: unknown[]) => {
    counters.pgQueries++;
    return query(...args);
  };
  const redis = runtime.redis as unknown as { sendCommand: (command: unknown, stream?: { isPipeline?: boolean }) => unknown };
  const send = redis.sendCommand.bind(runtime.redis);
  const pipelines = new WeakSet<object>();
  redis.sendCommand = (command, stream) => {
    counters.redisCommands++;
    if (!stream?.isPipeline) counters.redisRoundTrips++;
    else if (!pipelines.has(stream)) {
      pipelines.add(stream);
      counters.redisRoundTrips++;
    }
    return send(command, stream);
  };
}

async function seed(options: Options, users: number, redis: Redis, pg: Client, prefix: string): Promise<{ friendPool: number }> {
  const keys = new KeySpace(prefix, options.shards);
  const friendPool = Math.max(1000, Math.ceil(users / 2), options.friends);

  // PostgreSQL: F accepted friendships per stale user, half stored in each direction.
  await pg.query('TRUNCATE friendship_table');
  await pg.query(
    `INSERT INTO friendship_table (user_id1, user_id2, requested_at, accepted_at)
     SELECT CASE WHEN k % 2 = 0 THEN 's' || i ELSE 'f' || ((i * $2 + k) % $3) END,
            CASE WHEN k % 2 = 0 THEN 'f' || ((i * $2 + k) % $3) ELSE 's' || i END,
            now(), now()
       FROM generate_series(0, $1 - 1) AS i, generate_series(0, $2 - 1) AS k`,
    [users, options.friends, friendPool],
  );
  await pg.query('ANALYZE friendship_table');

  // Redis: stale users (last active two hours ago, one ghost connection and a page each) and
  // online friends (active now, one live connection each), in pipelines of a few thousand commands.
  const now = Date.now();
  const expiresAt = now + 7_200_000;
  const chunk = 2000;
  for (let start = 0; start < users; start += chunk) {
    const pipeline = redis.pipeline();
    for (let i = start; i < Math.min(users, start + chunk); i++) {
      const id = `s${i}`;
      const shard = keys.shardOf(id);
      pipeline.zadd(keys.status(shard), now - 7_200_000 - i, id);
      pipeline.zadd(keys.connections(id, shard), expiresAt, `cs${i}`);
      pipeline.hset(keys.page(id, shard), 'u', '', 't', '', 'd', '');
    }
    await pipeline.exec();
  }
  for (let start = 0; start < friendPool; start += chunk) {
    const pipeline = redis.pipeline();
    for (let j = start; j < Math.min(friendPool, start + chunk); j++) {
      const id = `f${j}`;
      const shard = keys.shardOf(id);
      pipeline.zadd(keys.status(shard), now, id);
      pipeline.zadd(keys.connections(id, shard), expiresAt, `cf${j}`);
    }
    await pipeline.exec();
  }
  return { friendPool };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function benchOnce(options: Options, users: number, sink: Sink, databaseUrl: string, redisUrl: string, pg: Client): Promise<Row> {
  const prefix = `presence-bench:${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(redisUrl);
  const runtimes: Runtime[] = [];
  try {
    const seedStart = performance.now();
    await seed(options, users, redis, pg, prefix);
    const seedSeconds = (performance.now() - seedStart) / 1000;

    const env = {
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      DATABASE_URL: databaseUrl,
      PG_POOL_MAX: '2',
      WEBSOCKET_MANAGEMENT_ENDPOINT: sink.endpoint,
      AWS_REGION: 'us-east-1',
      STATUS_SHARDS: String(options.shards),
      SWEEP_BATCH_SIZE: String(options.batch),
      PUSH_CONCURRENCY: String(options.pushConcurrency),
      // Long, so the online friends cannot go stale while a big run is still sweeping.
      PRESENCE_TIMEOUT_SECONDS: '3600',
      FRIEND_CACHE_TTL_SECONDS: '0',
    };
    const counters: Counters = { pgQueries: 0, redisRoundTrips: 0, redisCommands: 0 };
    for (let i = 0; i < Math.min(options.concurrency, options.shards); i++) {
      const runtime = createRuntime({ env, push: true });
      await runtime.redis.ping(); // connect before timing (a warm Lambda container)
      await runtime.pool.query('SELECT 1');
      instrument(runtime, counters);
      runtimes.push(runtime);
    }
    await sink.reset();

    const batchTimes: number[] = [];
    const results: SweepBatchResult[] = [];
    // A Map slot takes the next shard as soon as it is done with one, as Step Functions' Map does under
    // MaxConcurrency; forEachBounded refills only once half its window is done, which would idle slots.
    const queue = Array.from({ length: options.shards }, (_, shard) => shard);
    const started = performance.now();
    const cpuBase = process.cpuUsage();
    await Promise.all(
      runtimes.map(async (runtime) => {
        for (let shard = queue.shift(); shard !== undefined; shard = queue.shift()) {
          let result: SweepBatchResult;
          do {
            const batchStart = performance.now();
            result = await runtime.sweeper.sweepBatch(shard);
            batchTimes.push(performance.now() - batchStart);
            results.push(result);
          } while (result.more);
        }
      }),
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBase);
    const sinkStats = await sink.stats();

    // Sanity: everyone timed out, nothing pending, every friend told.
    const timedOut = results.reduce((sum, r) => sum + r.timedOut, 0);
    const notifications = results.reduce((sum, r) => sum + r.notifications, 0);
    const keys = new KeySpace(prefix, options.shards);
    let pending = 0;
    let staleLeft = 0;
    for (let shard = 0; shard < options.shards; shard++) {
      pending += await redis.hlen(keys.pending(shard));
      staleLeft += await redis.zcount(keys.status(shard), '-inf', Date.now() - 3_600_000);
    }
    const expectedPosts = users * options.friends;
    if (timedOut !== users || pending !== 0 || staleLeft !== 0 || notifications !== expectedPosts || sinkStats.posts !== expectedPosts) {
      throw new Error(
        `inconsistent run: timedOut ${timedOut}/${users}, pending ${pending}, stale left ${staleLeft}, ` +
          `notifications ${notifications}, posts received ${sinkStats.posts}, expected ${expectedPosts}`,
      );
    }

    const withWork = results.filter((r) => r.processed > 0).length;
    batchTimes.sort((a, b) => a - b);
    return {
      users,
      shards: options.shards,
      batch: options.batch,
      concurrency: runtimes.length,
      wallSeconds,
      usersPerSecond: users / wallSeconds,
      posts: sinkStats.posts,
      postsPerSecond: sinkStats.posts / wallSeconds,
      deletes: sinkStats.deletes,
      batches: results.length,
      batchesWithWork: withWork,
      pgPerBatch: counters.pgQueries / withWork,
      redisPerBatch: counters.redisRoundTrips / results.length,
      redisCommandsPerBatch: counters.redisCommands / results.length,
      p50BatchMs: percentile(batchTimes, 50),
      maxBatchMs: percentile(batchTimes, 100),
      seedSeconds,
      sweeperCpuSeconds: (cpu.user + cpu.system) / 1e6,
      sinkCpuSeconds: sinkStats.cpuSeconds,
    };
  } finally {
    await Promise.allSettled(runtimes.map((runtime) => runtime.close()));
    redis.disconnect();
    await deleteRedisPrefix(prefix, redisUrl);
  }
}

function table(rows: Row[]): string {
  const header = [
    'users',
    'shards',
    'batch',
    'Map conc.',
    'wall s',
    'users/s',
    'posts',
    'posts/s',
    'DeleteConn',
    'batches (with work)',
    'PG queries/batch',
    'Redis round trips/batch',
    'Redis cmds/batch',
    'batch p50 / max ms',
    'CPU s sweepers / sink',
  ];
  const lines = rows.map((r) => [
    r.users.toLocaleString('en-US'),
    String(r.shards),
    String(r.batch),
    String(r.concurrency),
    r.wallSeconds.toFixed(1),
    Math.round(r.usersPerSecond).toLocaleString('en-US'),
    r.posts.toLocaleString('en-US'),
    Math.round(r.postsPerSecond).toLocaleString('en-US'),
    r.deletes.toLocaleString('en-US'),
    `${r.batches} (${r.batchesWithWork})`,
    r.pgPerBatch.toFixed(2),
    r.redisPerBatch.toFixed(2),
    r.redisCommandsPerBatch.toFixed(1),
    `${Math.round(r.p50BatchMs)} / ${Math.round(r.maxBatchMs)}`,
    `${r.sweeperCpuSeconds.toFixed(0)} / ${r.sinkCpuSeconds.toFixed(0)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  const row = (cells: string[]) => `| ${cells.map((cell, i) => cell.padStart(widths[i]!)).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}

const USAGE = `usage: npx tsx bench/sweep-scale.ts [--users 10000,100000] [--shards 16] [--batch 500]
                                  [--concurrency 16] [--friends 20] [--push-concurrency 64]`;

function positiveInts(value: string, name: string): number[] {
  const numbers = value.split(',').map((part) => Number(part.trim()));
  if (numbers.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--${name} takes positive integers`);
  return numbers;
}

async function main(): Promise<void> {
  const { values } = readCommandLine(USAGE, () =>
    parseArgs({
      options: {
        users: { type: 'string', default: '10000,100000' },
        shards: { type: 'string', default: '16' },
        batch: { type: 'string', default: '500' },
        concurrency: { type: 'string', default: '16' },
        friends: { type: 'string', default: '20' },
        'push-concurrency': { type: 'string', default: '64' },
      },
      strict: true,
    }),
  );
  const options: Options = {
    users: positiveInts(values.users, 'users'),
    shards: positiveInts(values.shards, 'shards')[0]!,
    batch: positiveInts(values.batch, 'batch')[0]!,
    concurrency: positiveInts(values.concurrency, 'concurrency')[0]!,
    friends: positiveInts(values.friends, 'friends')[0]!,
    pushConcurrency: positiveInts(values['push-concurrency'], 'push-concurrency')[0]!,
  };

  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  assertLoopback(adminUrl, 'PostgreSQL');
  assertLoopback(redisUrl, 'Redis');

  const database = `presence_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = withDatabase(adminUrl, database);
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  let sink: Sink | undefined;
  let pg: Client | undefined;
  const rows: Row[] = [];
  try {
    await admin.query(`CREATE DATABASE ${database}`);
    pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
    await pg.query(readFileSync(join(ROOT, 'db', 'schema.sql'), 'utf8'));
    sink = await Sink.start();
    console.log(
      `Sweeping ${options.users.join(', ')} stale users with ${options.friends} online friends each: ` +
        `${options.shards} shards, batch ${options.batch}, Map concurrency ${options.concurrency}, ` +
        `push concurrency ${options.pushConcurrency}; management API sink in process ${sink.endpoint}`,
    );
    for (const users of options.users) {
      const row = await benchOnce(options, users, sink, databaseUrl, redisUrl, pg);
      rows.push(row);
      console.log(
        `  ${users.toLocaleString('en-US')} users: seeded in ${row.seedSeconds.toFixed(1)} s, swept in ${row.wallSeconds.toFixed(1)} s`,
      );
    }
    console.log(`\n${table(rows)}`);
  } finally {
    await pg?.end().catch(() => undefined);
    await sink?.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((error: unknown) => console.error('drop failed', error));
    await admin.end();
  }
}

if (process.argv.includes('--sink')) {
  runSink().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
