/**
 * What both sides share, set up once and taken down at the end (also on error and Ctrl-C): a private
 * redis-server on a loopback port (nothing else talks to it, so its own counters are each invocation's
 * round trips), a PostgreSQL database with the benchmark's graph (bench/seed.ts, the user service's
 * tables), the Management API sink (bench/sink.ts, its own process), a loopback stub for the original's
 * DynamoDB activity writes, and every online user connected, in both sides' key layouts, with the same
 * connection ids.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { forEachBounded } from '../../layers/core/push/concurrency';
import type { PresenceStore } from '../../layers/core/ports/presence-store';
import { createRuntime, type Runtime } from '../../layers/core/runtime';
import { freePort } from '../../local/backends/ports';
import { ping } from '../../local/backends/redis';
import { Cleanup } from '../fixtures';
import { templateStatusShards } from '../lambda-template';
import {
  benchConnection,
  buildGraph,
  connectQuietly,
  connectionOf,
  createDatabase,
  dropDatabase,
  lambdaHub,
  lambdaStaleUsers,
  seedDatabase,
  watcher,
  type Graph,
  type GraphSize,
} from '../seed';
import { startSink, type Sink } from '../support';
import { pageOf } from './events';
import { ORIGINAL_TIMEOUT_MS, ourEnvironment, type Infrastructure } from './sides';

/** The original's Redis keys (src/layer/nodejs/constants.js). */
const ORIGINAL_KEYS = {
  page: 'page',
  latestPage: 'latest_page',
  status: 'status',
  userConnection: 'presence_user_connection',
  connectionUser: 'presence_connection_user',
} as const;

/** Every online user is told they are active again this often (ours: a heartbeat; the original: its status score). */
const REFRESH_EVERY_MS = 40_000;

export interface RedisCounts {
  commands: number;
  reads: number;
}

export interface Fixtures {
  infra: Infrastructure;
  graph: Graph;
  size: GraphSize;
  sink: Sink;
  /** Activity records the original wrote to the DynamoDB stub so far. */
  dynamoWrites(): number;
  /** Redis's own counters (INFO stats), less what reading them costs. */
  redisCounts(): Promise<RedisCounts>;
  /** The CPU time redis-server has used so far (INFO cpu, user + system), in µs. */
  redisCpuUs(): Promise<number>;
  /** Keeps every online user live on both sides (untimed, between invocations). */
  keepOnline(): Promise<void>;
  /** Makes the sweep's users stale again on one side, everyone else in their shard live. */
  makeStale(side: 'ours' | 'original'): Promise<void>;
}

async function startPrivateRedis(cleanup: Cleanup): Promise<number> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];
  const child = spawn(process.env.REDIS_SERVER_BIN ?? 'redis-server', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanup.later(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  for (let attempt = 0; !(await ping(port)); attempt++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} (is redis-server installed?)`);
    if (attempt > 100) throw new Error(`redis-server did not answer on 127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return port;
}

/** Answers every DynamoDB call (the original's PutItem) with an empty success, and counts them. */
async function startDynamoStub(cleanup: Cleanup): Promise<{ endpoint: string; writes: () => number }> {
  let writes = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (String(request.headers['x-amz-target'] ?? '').endsWith('.PutItem')) writes++;
      response.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.later(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, writes: () => writes };
}

function graphSize(invocationsPerSide: number, staleUsers: number): GraphSize {
  return {
    ring: 10_000,
    ringFriends: 20,
    watchers: 10_000,
    hubs: 0,
    hubFriends: 200,
    loners: 0,
    staleSmall: 0,
    staleLarge: 0,
    staleFriends: 20,
    // Hubs: update-presence with 200 friends (each of our two settings its own) and GET /presence.
    lambda: { hubs: 2 * invocationsPerSide, joiners: 0, stale: staleUsers, staleShard: 0, statusShards: templateStatusShards() },
  };
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** The original's layout, as its connect and update_presence functions leave it. */
async function connectOriginal(admin: Redis, users: readonly string[], at: number, withPages: ReadonlySet<string>): Promise<void> {
  for (const part of chunks(users, 1000)) {
    const pipeline = admin.pipeline();
    pipeline.hset(ORIGINAL_KEYS.userConnection, Object.fromEntries(part.map((u) => [u, connectionOf(u)])));
    pipeline.hset(ORIGINAL_KEYS.connectionUser, Object.fromEntries(part.map((u) => [connectionOf(u), u])));
    pipeline.zadd(ORIGINAL_KEYS.status, ...part.flatMap((u) => [at, u]));
    const paged = part.filter((u) => withPages.has(u));
    if (paged.length > 0) {
      const pages = Object.fromEntries(paged.map((u, i) => [u, JSON.stringify(pageOf(i))]));
      pipeline.hset(ORIGINAL_KEYS.page, pages);
      pipeline.hset(ORIGINAL_KEYS.latestPage, pages);
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error)?.[0];
    if (failed) throw failed;
  }
}

/** Ours: connected, and a shared page for those in `withPages`, each push lease given back. */
async function connectOurs(
  store: PresenceStore,
  users: readonly string[],
  at: number,
  timeoutMs: number,
  withPages: ReadonlySet<string>,
): Promise<void> {
  await forEachBounded(users, 64, async (userId) => {
    await connectQuietly(store, userId, at, timeoutMs);
    if (!withPages.has(userId)) return;
    const result = await store.updatePage(userId, benchConnection(userId, at, timeoutMs), at, { ...pageOf(0), domain: 'wikipedia.org' });
    if (result.stored && result.fanOut) await store.releasePush(userId, at, false);
  });
}

export async function setUpFixtures(options: {
  invocations: number;
  staleUsers: number;
  log: (line: string) => void;
  cleanup: Cleanup;
}): Promise<Fixtures> {
  const { log, cleanup } = options;
  const redisPort = await startPrivateRedis(cleanup);
  const sink = await startSink();
  cleanup.later(() => sink.stop());
  const dynamo = await startDynamoStub(cleanup);
  const infra: Infrastructure = {
    redisPort,
    redisKeyPrefix: `presence-original-bench:${process.pid}:`,
    dbName: `presence_original_bench_${process.pid}`,
    sinkEndpoint: sink.endpoint,
    dynamoEndpoint: dynamo.endpoint,
  };
  log(`private redis-server on 127.0.0.1:${redisPort}; sink at ${sink.endpoint}; DynamoDB stub at ${dynamo.endpoint}`);

  const size = graphSize(options.invocations, options.staleUsers);
  const graph = buildGraph(size);
  let t = performance.now();
  cleanup.later(() => dropDatabase(infra.dbName));
  await createDatabase(infra.dbName);
  await seedDatabase(infra.dbName, graph);
  log(`seeded ${infra.dbName}: ${graph.users.length} users, ${graph.pairs.length} friendships in ${Math.round(performance.now() - t)} ms`);

  // Our store, through the same code and settings as our functions (its own clients).
  const runtime: Runtime = createRuntime({
    env: { ...ourEnvironment('SweepShardFunction', infra, {}).env, WEBSOCKET_MANAGEMENT_ENDPOINT: '' },
  });
  cleanup.first(() => runtime.close());
  const admin = new Redis(`redis://127.0.0.1:${redisPort}`);
  cleanup.first(() => admin.quit());
  const ourTimeoutMs = runtime.config.presence.timeoutMs;

  // Friends' pages are what GET /presence reads (and the original parses each one's domain).
  const withPages = new Set([
    ...Array.from({ length: size.watchers }, (_, i) => watcher(i)),
    ...Array.from({ length: size.lambda.hubs }, (_, i) => lambdaHub(i)),
  ]);
  t = performance.now();
  const now = Date.now();
  await connectOriginal(admin, graph.online, now, withPages);
  await connectOurs(runtime.store, graph.online, now, ourTimeoutMs, withPages);
  log(
    `connected ${graph.online.length} online users on both sides (${withPages.size} with a page) in ${Math.round(performance.now() - t)} ms`,
  );
  let refreshedAt = now;

  const refresh = async (): Promise<void> => {
    const at = Date.now();
    for (const part of chunks(graph.online, 5000)) await admin.zadd(ORIGINAL_KEYS.status, ...part.flatMap((u) => [at, u]));
    await forEachBounded(graph.online, 64, async (userId) => {
      const verdict = await runtime.store.heartbeat(userId, benchConnection(userId, at, ourTimeoutMs), at);
      if (verdict !== 'ok') throw new Error(`keeping ${userId} online: our heartbeat answered ${verdict}`);
    });
    refreshedAt = at;
  };

  const keepOnline = async (): Promise<void> => {
    if (Date.now() - refreshedAt > REFRESH_EVERY_MS) await refresh();
  };

  const statsOf = async (): Promise<RedisCounts> => {
    const text = await admin.info('stats');
    const read = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { commands: read('total_commands_processed'), reads: read('total_reads_processed') };
  };
  // What one INFO costs in Redis's own counters, taken off every reading.
  const first = await statsOf();
  const second = await statsOf();
  const overhead = { commands: second.commands - first.commands, reads: second.reads - first.reads };
  if (!Number.isFinite(overhead.commands) || !Number.isFinite(overhead.reads)) {
    throw new Error('this redis-server reports no total_commands_processed or total_reads_processed (Redis 6 or later needed)');
  }
  let readings = 0;

  const staleUsers = lambdaStaleUsers(size.lambda);
  return {
    infra,
    graph,
    size,
    sink,
    dynamoWrites: dynamo.writes,
    async redisCpuUs() {
      const text = await admin.info('cpu');
      const seconds = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? NaN);
      return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
    },
    async redisCounts() {
      const counts = await statsOf();
      readings++;
      return { commands: counts.commands - readings * overhead.commands, reads: counts.reads - readings * overhead.reads };
    },
    keepOnline,
    async makeStale(side) {
      // Everyone else in the shard (on the original's side, everyone at all) is live: kept so well within either timeout.
      await keepOnline();
      if (side === 'original') {
        await connectOriginal(admin, staleUsers, Date.now() - ORIGINAL_TIMEOUT_MS - 60_000, new Set(staleUsers));
      } else {
        const past = Date.now() - ourTimeoutMs - 60_000;
        await forEachBounded(staleUsers, 64, (userId) => connectQuietly(runtime.store, userId, past, ourTimeoutMs));
      }
    },
  };
}
