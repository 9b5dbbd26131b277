/**
 * The runtime's Redis client batches each tick's command writes (layers/core/redis/write-batching.ts),
 * on a real server: counted at the socket (the writes that reach the kernel), on one node, after a
 * reconnect and on every node of a Redis Cluster; the answers stay each command's own, in order.
 */
import type Redis from 'ioredis';
import { Cluster } from 'ioredis';
import type { RedisConfig } from '../../layers/core/config';
import { COMMANDS_PER_WRITE, createRedisClient, type RedisClient } from '../../layers/core/redis/client';
import { redisUrl, testRedisPrefix } from '../support/env';
import { describeWithRedisServer, startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster';

type KernelWrites = { count: number };

/** Counts the socket's own writes to the kernel (one `_write` or `_writev` each). */
function countKernelWrites(node: Redis): KernelWrites {
  const counter = { count: 0 };
  const socket = node.stream as unknown as Record<'_write' | '_writev', (...args: unknown[]) => void>;
  for (const method of ['_write', '_writev'] as const) {
    const original = socket[method];
    socket[method] = function (this: unknown, ...args: unknown[]) {
      counter.count++;
      return original.apply(this, args);
    };
  }
  return counter;
}

function config(host: string, port: number, cluster: boolean): RedisConfig {
  return { host, port, tls: false, cluster, keyPrefix: '', connectTimeoutMs: 1000, commandTimeoutMs: 1000 };
}

const waitFor = async (done: () => boolean) => {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
};

describe('Redis write batching, one node', () => {
  const prefix = testRedisPrefix('write-batching');
  let client: RedisClient;

  beforeAll(async () => {
    const url = new URL(redisUrl());
    client = createRedisClient(config(url.hostname, Number(url.port || 6379), false));
    await client.ping();
  });

  afterAll(async () => {
    await client.del(...Array.from({ length: 10 }, (_, i) => `${prefix}k${i}`));
    await client.quit();
  });

  it(`sends 10 commands of one tick in ${Math.ceil(10 / COMMANDS_PER_WRITE)} writes, each answered in order`, async () => {
    expect(COMMANDS_PER_WRITE).toBeGreaterThan(1);
    const writes = countKernelWrites(client as Redis);
    const keys = Array.from({ length: 10 }, (_, i) => `${prefix}k${i}`);
    const answers = await Promise.all(keys.map((key, i) => client.set(key, String(i), 'GET')));
    expect(writes.count).toBe(Math.ceil(10 / COMMANDS_PER_WRITE));
    expect(answers).toEqual(keys.map(() => null));
    expect(await Promise.all(keys.map((key) => client.get(key)))).toEqual(keys.map((_, i) => String(i)));
  });

  it('sends commands of separate ticks in separate writes (nothing waits for a batch to fill)', async () => {
    const writes = countKernelWrites(client as Redis);
    for (let i = 0; i < 3; i++) expect(await client.ping()).toBe('PONG');
    expect(writes.count).toBe(3);
  });

  it('batches the connection a reconnect opens too', async () => {
    const before = (client as Redis).stream;
    // SKIPME no: by default a connection may not kill itself.
    expect(await client.client('KILL', 'ID', String(await client.client('ID')), 'SKIPME', 'no')).toBe(1);
    await waitFor(() => (client as Redis).stream !== before && client.status === 'ready');
    expect((client as Redis).stream).not.toBe(before);
    const writes = countKernelWrites(client as Redis);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => client.echo(`e${i}`)));
    expect(answers).toEqual(Array.from({ length: 8 }, (_, i) => `e${i}`));
    expect(writes.count).toBe(Math.ceil(8 / COMMANDS_PER_WRITE));
  });
});

describeWithRedisServer()('Redis write batching, Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let client: RedisClient;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    client = createRedisClient(config(cluster.nodes[0]!.host, cluster.nodes[0]!.port, true));
    await client.ping();
  });

  afterAll(async () => {
    await client?.quit();
    await cluster?.stop();
  });

  it("batches each node's connection: one slot's 12 commands of one tick in 3 writes", async () => {
    expect(client).toBeInstanceOf(Cluster);
    // One hash tag, one slot, one node: find it, then count that node's writes.
    const keys = Array.from({ length: 12 }, (_, i) => `{write-batching}k${i}`);
    await client.set(keys[0]!, 'warm');
    const masters = (client as Cluster).nodes('master');
    // Only the owner answers; the others answer MOVED.
    const found = await Promise.allSettled(masters.map((node) => node.exists(keys[0]!)));
    const owner = masters[found.findIndex((result) => result.status === 'fulfilled' && result.value === 1)]!;
    const writes = countKernelWrites(owner);
    await Promise.all(keys.map((key, i) => client.set(key, String(i))));
    expect(writes.count).toBe(Math.ceil(12 / COMMANDS_PER_WRITE));
    expect(await Promise.all(keys.map((key) => client.get(key)))).toEqual(keys.map((_, i) => String(i)));
  });
});
