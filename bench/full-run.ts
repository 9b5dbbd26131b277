/**
 * The full run, `npm run bench`: every hot path with its floors, step by step.
 * Each step adds its rows to `bench.results` (or its figures to the ceilings,
 * the Redis floor and the memory); rows measured together take turns run by
 * run, which is why a step is a group rather than a list of named scenarios.
 */
import autocannon from 'autocannon';
import { KeySpace } from '../layers/core/keys';
import type { ConnectionActivity } from '../layers/core/model';
import { forEachBounded } from '../layers/core/push/concurrency';
import { createRedisParts } from '../layers/core/runtime/redis';
import { load, type Bench } from './fixtures';
import { lambdaShaped } from './lambda';
import { compareSigners } from './signers';
import { fmt } from './measure';
import { SAMPLE_PUSH } from './operations';
import { measureRedisFloor } from './redis-floor';
import { REDIS_URL, connectionOf, deleteRedisPrefix, loner, ringUser } from './seed';
import { median } from './support';
import {
  clientAloneSpec,
  getPresence200Spec,
  heartbeatSpec,
  onlineRing,
  range,
  timeoutSweep,
  update200Spec,
  update20Spec,
  warmFriends,
  workingSet,
} from './workloads';

/** The sink alone, driven by autocannon: what it can answer at all. */
async function sinkCeiling(b: Bench): Promise<void> {
  b.log('ceilings');
  const runs: number[] = [];
  for (let i = 0; i < b.settings.runs; i++) {
    const result = await autocannon({
      url: `${b.meters.sink.endpoint}/@connections/x`,
      method: 'POST',
      body: SAMPLE_PUSH,
      headers: { 'content-type': 'application/octet-stream' },
      connections: 50,
      duration: b.settings.smoke ? 1 : 2,
    });
    if (result.errors > 0 || result.non2xx > 0) throw new Error(`autocannon: ${result.errors} errors, ${result.non2xx} non-2xx`);
    runs.push(result.requests.average);
  }
  b.ceilings.sink = { postsPerSec: median(runs), runs, note: 'autocannon, 50 keep-alive connections, no pipelining' };
  b.log(`  sink alone (autocannon): ${fmt(b.ceilings.sink.postsPerSec)} posts/s`);
}

/** The heartbeat handler between its floors: ioredis alone, the store call alone, Redis alone. */
async function heartbeats(b: Bench): Promise<void> {
  b.log('heartbeat');
  const { concurrency, smoke } = b.settings;
  b.results.push(
    ...(await load(b, [
      { name: 'Redis client alone: PING (one round trip, nothing else)', concurrency, spec: { op: 'redis-ping' } },
      { name: 'store.heartbeat alone (no handler)', concurrency, spec: { op: 'store-heartbeat', users: onlineRing(b) } },
      heartbeatSpec(b),
    ])),
  );
  const { config } = b.runtime;
  const heartbeatUser = ringUser(0);
  const keys = new KeySpace(config.redis.keyPrefix, config.presence.statusShards);
  const shard = keys.shardOf(heartbeatUser);
  const redisAddress = new URL(REDIS_URL);
  b.redisFloor = await measureRedisFloor(
    b.meters.admin,
    { host: redisAddress.hostname, port: Number(redisAddress.port || 6379) },
    {
      keys: [
        keys.status(shard),
        keys.due(shard),
        keys.connections(heartbeatUser, shard),
        keys.messageCount(heartbeatUser, connectionOf(heartbeatUser), shard),
      ],
      // userId, connectionId, now, expiresAt, allowanceMs, then a budget no run can exhaust: every call does a heartbeat's whole work.
      args: [
        heartbeatUser,
        connectionOf(heartbeatUser),
        Date.now(),
        Date.now() + config.presence.connectionMaxAgeMs,
        config.presence.timeoutMs,
        1_000_000_000,
        config.presence.limits.messageWindowMs,
        1_000_000_000,
      ],
    },
    concurrency,
    smoke ? 2_000 : 200_000,
  );
  for (const shape of b.redisFloor?.shapes ?? []) {
    b.log(
      `  Redis alone (redis-benchmark, ${shape.connections} connection(s) x ${shape.pipeline} in flight): ${fmt(shape.perSec)} heartbeat scripts/s`,
    );
  }
}

/** update-presence with 0, 20 and 200 friends; the fan-outs take turns with each client alone and the transport floor. */
async function updates(b: Bench): Promise<void> {
  b.log('update-presence');
  await warmFriends(b);
  const { concurrency, size } = b.settings;
  b.results.push(
    ...(await load(b, [{ name: 'update-presence, 0 friends', concurrency, spec: { op: 'update', users: range(size.loners, loner) } }])),
  );
  b.results.push(
    ...(await load(b, [
      update20Spec(b),
      update200Spec(b),
      clientAloneSpec(b, 'lean'),
      clientAloneSpec(b, 'sdk'),
      clientAloneSpec(b, 'floor'),
    ])),
  );
}

async function getPresence(b: Bench): Promise<void> {
  b.log('GET /presence');
  b.results.push(
    ...(await load(b, [
      getPresence200Spec(b),
      { name: `GET /presence, ${b.settings.size.ringFriends} friends`, concurrency: 1, spec: { op: 'get-presence', users: workingSet(b) } },
    ])),
  );
}

async function sweeps(b: Bench): Promise<void> {
  b.log('timeout sweep');
  const { size, sweepLarge } = b.settings;
  await timeoutSweep(b, 'a', size.staleSmall);
  if (size.staleLarge > 0 && sweepLarge) await timeoutSweep(b, 'b', size.staleLarge);
}

/** Redis memory per online user, on its own key prefix: online with an empty page, then with a page. */
async function memory(b: Bench): Promise<void> {
  b.log('Redis memory');
  const { config } = b.runtime;
  const { memoryUsers, keyPrefix } = b.settings;
  const memPrefix = `${keyPrefix}mem:`;
  // The store as the functions make it, on a key prefix of its own.
  const { redis: memClient, store: memStore } = createRedisParts({ ...config, redis: { ...config.redis, keyPrefix: memPrefix } });
  const memRedis = b.meters.admin;
  const users = range(memoryUsers, (i) => `m${String(i).padStart(6, '0')}`);
  const now = Date.now();
  const connection = (u: string): ConnectionActivity => ({
    connectionId: `c-${u}-Ldh8ae0boAMCJDw=`,
    connectedAt: now,
    allowanceMs: config.presence.timeoutMs,
  });
  const usedMemory = async (): Promise<number> => Number(/^used_memory:(\d+)/m.exec(await b.meters.admin.info('memory'))?.[1] ?? NaN);
  const keysUsage = async (): Promise<number> => {
    let total = 0;
    let cursor = '0';
    do {
      const [next, keys] = await memRedis.scan(cursor, 'MATCH', `${memPrefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) total += (await memRedis.memory('USAGE', key, 'SAMPLES', 0)) ?? 0;
    } while (cursor !== '0');
    return total;
  };
  const m0 = await usedMemory();
  await forEachBounded(users, 64, async (u) => {
    const { fanOut } = await memStore.connect(u, connection(u), now);
    if (fanOut) await memStore.releasePush(u, now, false);
  });
  await forEachBounded(users, 64, (u) =>
    memStore.updatePage(u, connection(u), now, { url: '', title: '', domain: '' }).then(() => undefined),
  );
  const m1 = await usedMemory();
  const k1 = await keysUsage();
  const page = {
    url: 'https://en.wikipedia.org/wiki/Special_relativity#Lorentz_transformation_derivation',
    title: 'Special relativity - Wikipedia',
    domain: 'wikipedia.org',
  };
  await forEachBounded(users, 64, (u) => memStore.updatePage(u, connection(u), now, page).then(() => undefined));
  const m2 = await usedMemory();
  const k2 = await keysUsage();
  memClient.disconnect();
  await deleteRedisPrefix(memPrefix);
  b.memory = {
    users: memoryUsers,
    pageUrlBytes: page.url.length,
    pageTitleBytes: page.title.length,
    withoutPagesBytesPerUser: (m1 - m0) / memoryUsers,
    withPagesBytesPerUser: (m2 - m0) / memoryUsers,
    keyUsageWithoutPagesBytesPerUser: k1 / memoryUsers,
    keyUsageWithPagesBytesPerUser: k2 / memoryUsers,
    note: 'used_memory delta (INFO memory) while other clients may use the same server; MEMORY USAGE over the keys as a cross-check',
  };
  b.log(
    `  ${fmt((m1 - m0) / memoryUsers)} B/user with empty pages, ${fmt((m2 - m0) / memoryUsers)} B/user with pages (MEMORY USAGE: ${fmt(k1 / memoryUsers)} / ${fmt(k2 / memoryUsers)})`,
  );
}

/** Every step in turn; each logs its heading first. */
export async function fullRun(b: Bench): Promise<void> {
  await sinkCeiling(b);
  await heartbeats(b);
  await updates(b);
  await getPresence(b);
  await sweeps(b);
  await memory(b);
  await lambdaShaped(b);
  await compareSigners(b);
}
