/** Proves tests/support/redis-cluster.ts: a 3-master cluster forms, serves every slot, and stops cleanly. */
import Redis, { Cluster } from 'ioredis';
import { describeWithRedisServer, startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster';
import { testRedisPrefix } from '../support/env';

describeWithRedisServer()('Redis Cluster test helper', () => {
  let cluster: RedisClusterHandle;
  let client: Cluster;
  const prefix = testRedisPrefix('redis-cluster-smoke');

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    client = new Redis.Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
  });

  afterAll(async () => {
    if (client && client.status !== 'end') await client.quit();
    await cluster?.stop();
  });

  it('starts three masters that cover all 16384 slots', async () => {
    expect(cluster.nodes).toHaveLength(3);
    for (const node of cluster.nodes) expect(node.host).toBe('127.0.0.1');
    const slots = (await client.cluster('SLOTS')) as Array<[number, number, ...unknown[]]>;
    const covered = slots.reduce((sum, [from, to]) => sum + (to - from + 1), 0);
    expect(covered).toBe(16384);
    expect(new Set(slots.map((s) => JSON.stringify(s[2]))).size).toBe(3);
  });

  it('reads and writes keys spread over every master', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => `${prefix}key-${i}`);
    await Promise.all(keys.map((key, i) => client.set(key, String(i))));
    const values = await Promise.all(keys.map((key) => client.get(key)));
    expect(values).toEqual(keys.map((_, i) => String(i)));

    const masters = client.nodes('master');
    expect(masters).toHaveLength(3);
    const perNode = await Promise.all(masters.map((node) => node.dbsize()));
    for (const count of perNode) expect(count).toBeGreaterThan(0);
    expect(perNode.reduce((a, b) => a + b, 0)).toBe(keys.length);
  });

  it('runs multi-key commands within one hash slot', async () => {
    const tag = `${prefix}{user-1}`;
    await client.mset(`${tag}:a`, '1', `${tag}:b`, '2');
    expect(await client.mget(`${tag}:a`, `${tag}:b`)).toEqual(['1', '2']);
    await expect(client.mget(`${prefix}x`, `${prefix}y-other-slot`)).rejects.toThrow(/CROSSSLOT/);
  });

  it('stop() shuts the servers down', async () => {
    const probe = new Redis({ host: '127.0.0.1', port: cluster.nodes[0]!.port, lazyConnect: true });
    await probe.connect();
    expect(await probe.ping()).toBe('PONG');
    probe.disconnect();

    await client.quit();
    await cluster.stop();
    const after = new Redis({
      host: '127.0.0.1',
      port: cluster.nodes[0]!.port,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      disconnectTimeout: 50,
    });
    after.on('error', () => undefined);
    await expect(after.connect()).rejects.toThrow();
    after.disconnect();
  });
});
