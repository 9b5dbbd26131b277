/**
 * Starts a throw-away Redis Cluster (N masters, no replicas) of local `redis-server` processes on
 * loopback, for tests of the cluster code paths (hash tags, cross-slot commands, MOVED handling).
 *
 *   const cluster = await startRedisCluster();
 *   const client = new Redis.Cluster(cluster.nodes);
 *   ...
 *   await client.quit(); await cluster.stop();
 *
 * Each node gets its own temp dir, no persistence, and an explicit cluster bus port (`cluster-port`,
 * Redis >= 7), so the OS-chosen data ports never need port + 10000 to be free. The cluster is formed
 * directly (CLUSTER SET-CONFIG-EPOCH / ADDSLOTSRANGE / MEET) rather than with `redis-cli --cluster create`,
 * which sleeps a second per step.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';

const HOST = '127.0.0.1';
const SLOTS = 16384;

export interface ClusterNode {
  host: string;
  port: number;
}

export interface RedisClusterHandle {
  /** Seed nodes for `new Redis.Cluster(nodes)`. */
  nodes: ClusterNode[];
  /** Kills the servers and removes their temp dirs. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartRedisClusterOptions {
  /** Data ports basePort, basePort+1, ... (bus ports +10000). Default: free ports chosen by the OS. */
  basePort?: number;
  /** Number of masters; default 3 (the minimum Redis accepts for a proper cluster). */
  masters?: number;
  /** Give up after this long; default 15000 ms. */
  timeoutMs?: number;
}

function redisServerBinary(): string {
  return process.env.REDIS_SERVER_BIN ?? 'redis-server';
}

let availability: boolean | undefined;

/** Whether `redis-server` (or $REDIS_SERVER_BIN) can be run; suites `describe.skip` otherwise. */
export function redisServerAvailable(): boolean {
  if (availability === undefined) {
    const probe = spawnSync(redisServerBinary(), ['--version'], { stdio: 'ignore', timeout: 5000 });
    availability = probe.status === 0;
  }
  return availability;
}

/** Returns `describe`, or `describe.skip` after a console.warn when redis-server is missing. */
export function describeWithRedisServer(): jest.Describe {
  if (redisServerAvailable()) return describe;
  console.warn(
    `Skipping Redis Cluster tests: ${redisServerBinary()} cannot be run ` +
      '(install redis-server, e.g. apt-get install -y redis-server, or set REDIS_SERVER_BIN).',
  );
  return describe.skip;
}

/** A port that was free a moment ago (bind port 0 on loopback, read it back, release it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not determine a free port'))));
    });
  });
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err) => reject(new Error(`port ${port} on ${HOST} is not free: ${err.message}`)));
    server.listen(port, HOST, () => server.close(() => resolve()));
  });
}

async function choosePorts(count: number, basePort?: number): Promise<Array<{ port: number; busPort: number }>> {
  const result: Array<{ port: number; busPort: number }> = [];
  if (basePort !== undefined) {
    if (basePort + count - 1 + 10000 > 65535) throw new Error(`basePort ${basePort} leaves no room for bus ports`);
    for (let i = 0; i < count; i++) {
      const port = basePort + i;
      await assertPortFree(port);
      await assertPortFree(port + 10000);
      result.push({ port, busPort: port + 10000 });
    }
    return result;
  }
  const seen = new Set<number>();
  while (result.length < count) {
    const port = await freePort();
    const busPort = await freePort();
    if (port === busPort || seen.has(port) || seen.has(busPort)) continue;
    seen.add(port);
    seen.add(busPort);
    result.push({ port, busPort });
  }
  return result;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RunningNode extends ClusterNode {
  process: ChildProcess;
  dir: string;
  exited: Promise<void>;
  client?: Redis;
}

// Last-resort cleanup if a test process exits without calling stop().
const liveProcesses = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of liveProcesses) child.kill('SIGKILL');
  });
}

async function startNode(port: number, busPort: number): Promise<RunningNode> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `presence-redis-cluster-${port}-`));
  const args = [
    '--port',
    String(port),
    '--bind',
    HOST,
    '--cluster-enabled',
    'yes',
    '--cluster-port',
    String(busPort),
    '--cluster-config-file',
    path.join(dir, 'nodes.conf'),
    '--cluster-node-timeout',
    '5000',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    '--logfile',
    path.join(dir, 'redis.log'),
  ];
  const child = spawn(redisServerBinary(), args, { stdio: 'ignore' });
  liveProcesses.add(child);
  installExitHook();
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      liveProcesses.delete(child);
      resolve();
    });
    child.once('error', () => {
      liveProcesses.delete(child);
      resolve();
    });
  });
  return { host: HOST, port, process: child, dir, exited };
}

async function connectWhenReady(node: RunningNode, deadline: number): Promise<Redis> {
  for (;;) {
    if (node.process.exitCode !== null || node.process.signalCode !== null) {
      const log = await readFile(path.join(node.dir, 'redis.log'), 'utf8').catch(() => '');
      throw new Error(`redis-server on port ${node.port} exited early:\n${log.slice(-2000)}`);
    }
    const client = new Redis({
      host: HOST,
      port: node.port,
      lazyConnect: true,
      connectTimeout: 500,
      disconnectTimeout: 50, // failed attempts would otherwise leave a 2 s timer behind
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return client;
    } catch (err) {
      client.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server on port ${node.port} did not answer: ${(err as Error).message}`);
      await sleep(25);
    }
  }
}

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) fields.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return fields;
}

async function clusterHealthy(client: Redis, masters: number): Promise<boolean> {
  const info = parseInfo(String(await client.call('CLUSTER', 'INFO')));
  return (
    info.get('cluster_state') === 'ok' &&
    info.get('cluster_slots_assigned') === String(SLOTS) &&
    info.get('cluster_slots_ok') === String(SLOTS) &&
    info.get('cluster_known_nodes') === String(masters)
  );
}

async function stopNodes(nodes: RunningNode[]): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      node.client?.disconnect();
      if (node.process.exitCode === null && node.process.signalCode === null) {
        node.process.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const killed = await Promise.race([
          node.exited.then(() => true),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 3000))),
        ]);
        clearTimeout(timer);
        if (!killed) {
          node.process.kill('SIGKILL');
          await node.exited;
        }
      }
      await rm(node.dir, { recursive: true, force: true });
    }),
  );
}

export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 1) throw new Error('masters must be a positive integer');
  if (!redisServerAvailable()) throw new Error(`${redisServerBinary()} is not on PATH`);
  const deadline = Date.now() + (options.timeoutMs ?? 15000);

  const ports = await choosePorts(masters, options.basePort);
  const nodes: RunningNode[] = [];
  try {
    for (const { port, busPort } of ports) nodes.push(await startNode(port, busPort));
    const clients: Redis[] = [];
    for (const node of nodes) {
      node.client = await connectWhenReady(node, deadline);
      clients.push(node.client);
    }

    // Distinct config epochs (as redis-cli does) avoid an epoch-collision round after MEET.
    const perNode = Math.floor(SLOTS / masters);
    await Promise.all(
      clients.map(async (client, i) => {
        const first = i * perNode;
        const last = i === masters - 1 ? SLOTS - 1 : first + perNode - 1;
        await client.call('CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1));
        await client.call('CLUSTER', 'ADDSLOTSRANGE', String(first), String(last));
      }),
    );
    const first = clients[0];
    if (!first) throw new Error('no nodes started');
    for (const node of nodes.slice(1)) {
      await first.call('CLUSTER', 'MEET', HOST, String(node.port), String(ports[nodes.indexOf(node)]?.busPort));
    }

    for (;;) {
      const healthy = await Promise.all(clients.map((c) => clusterHealthy(c, masters)));
      if (healthy.every(Boolean)) break;
      if (Date.now() > deadline) {
        throw new Error(`Redis Cluster did not reach cluster_state:ok on all ${masters} nodes in time`);
      }
      await sleep(50);
    }
  } catch (err) {
    await stopNodes(nodes);
    throw err;
  }

  for (const node of nodes) {
    node.client?.disconnect();
    node.client = undefined;
  }
  let stopped: Promise<void> | undefined;
  return {
    nodes: nodes.map(({ host, port }) => ({ host, port })),
    stop: () => (stopped ??= stopNodes(nodes)),
  };
}
