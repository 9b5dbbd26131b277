/** The benchmark's isolated data: its own PostgreSQL database and its own Redis key prefix. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { KeySpace } from '../layers/core/keys';
import type { ConnectionActivity } from '../layers/core/model';
import type { PresenceStore } from '../layers/core/ports/presence-store';

export const PG_ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = 'redis://127.0.0.1:6379';

export function databaseUrl(name: string): string {
  return `postgresql://postgres@127.0.0.1:5432/${name}`;
}

/** Sizes of the synthetic graph. */
export interface GraphSize {
  /** Ring users u0..: 20 accepted friends each (10 per side), all online. */
  ring: number;
  ringFriends: number;
  /** Online "watchers" w0..: the online friends of hubs and of the stale users the sweep times out. */
  watchers: number;
  /** Hubs h0..: `hubFriends` accepted friends each (watchers), online. */
  hubs: number;
  hubFriends: number;
  /** Users with no friends, online. */
  loners: number;
  /** Two sets of users the sweep times out, 20 online friends (watchers) each. */
  staleSmall: number;
  staleLarge: number;
  staleFriends: number;
  /** The Lambda-shaped benchmark's own users, each used once per function (bench/lambda.ts). */
  lambda: {
    /** Online, `hubFriends` online friends each: update-presence and GET /presence with 200 friends. */
    hubs: number;
    /** Offline at the start, `staleFriends` online friends each: $connect, then $disconnect. */
    joiners: number;
    /** `staleFriends` online friends each, all in shard `staleShard` of `statusShards`: one sweep batch. */
    stale: number;
    staleShard: number;
    statusShards: number;
  };
}

export const ringUser = (i: number): string => `u${i}`;
export const watcher = (i: number): string => `w${i}`;
export const hub = (i: number): string => `h${i}`;
export const loner = (i: number): string => `z${i}`;
export const staleUser = (set: 'a' | 'b', i: number): string => `s${set}${i}`;
export const lambdaHub = (i: number): string => `lh${i}`;
export const joiner = (i: number): string => `lj${i}`;

/** The first `count` ids `ls<k>` that fall in `shard` (one sweep batch reads one shard). */
export function lambdaStaleUsers(size: GraphSize['lambda']): string[] {
  const keys = new KeySpace('', size.statusShards);
  const users: string[] = [];
  for (let k = 0; users.length < size.stale; k++) if (keys.shardOf(`ls${k}`) === size.staleShard) users.push(`ls${k}`);
  return users;
}
export const connectionOf = (userId: string): string => `c-${userId}`;

export interface Graph {
  users: string[];
  pairs: [string, string][];
  /** Users online during the whole run (everyone but the stale sets and the joiners). */
  online: string[];
}

export function buildGraph(size: GraphSize): Graph {
  const users: string[] = [];
  const pairs: [string, string][] = [];
  // Alternate the stored direction so both halves of the friend query (pk and user_id2 index) do work.
  const add = (a: string, b: string, flip: boolean): void => {
    pairs.push(flip ? [b, a] : [a, b]);
  };
  const half = size.ringFriends / 2;
  for (let i = 0; i < size.ring; i++) {
    users.push(ringUser(i));
    for (let k = 1; k <= half; k++) add(ringUser(i), ringUser((i + k) % size.ring), false);
  }
  for (let i = 0; i < size.watchers; i++) users.push(watcher(i));
  for (let j = 0; j < size.hubs; j++) {
    users.push(hub(j));
    for (let k = 0; k < size.hubFriends; k++) add(hub(j), watcher((j * size.hubFriends + k) % size.watchers), k % 2 === 1);
  }
  for (let i = 0; i < size.loners; i++) users.push(loner(i));
  for (let j = 0; j < size.lambda.hubs; j++) {
    users.push(lambdaHub(j));
    for (let k = 0; k < size.hubFriends; k++) add(lambdaHub(j), watcher((j * size.hubFriends + k + 3) % size.watchers), k % 2 === 0);
  }
  const online = [...users];
  const withStaleFriends = (userId: string, i: number, offset: number): void => {
    users.push(userId);
    for (let k = 0; k < size.staleFriends; k++) add(userId, watcher((i * size.staleFriends + k + offset) % size.watchers), k % 2 === 1);
  };
  for (let i = 0; i < size.lambda.joiners; i++) withStaleFriends(joiner(i), i, 11);
  for (const [i, userId] of lambdaStaleUsers(size.lambda).entries()) withStaleFriends(userId, i, 13);
  for (const [set, count, offset] of [
    ['a', size.staleSmall, 0],
    ['b', size.staleLarge, 7],
  ] as const) {
    for (let i = 0; i < count; i++) withStaleFriends(staleUser(set, i), i, offset);
  }
  return { users, pairs, online };
}

export async function createDatabase(name: string): Promise<void> {
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Schema from db/schema.sql (the user service's tables and indexes), then users and friendships in two bulk INSERTs. */
export async function seedDatabase(name: string, graph: Graph): Promise<void> {
  const client = new Client({ connectionString: databaseUrl(name) });
  await client.connect();
  try {
    await client.query(readFileSync(join(__dirname, '..', 'db', 'schema.sql'), 'utf8'));
    await client.query(
      `INSERT INTO user_table (user_id, email, first_name, last_name, share_mode, profile_image_extension)
       SELECT id, id || '@bench.test', 'First ' || id, 'Last ' || id, 'default_all', 'png' FROM unnest($1::text[]) AS id`,
      [graph.users],
    );
    await client.query(
      `INSERT INTO friendship_table (user_id1, user_id2, requested_at, accepted_at)
       SELECT a, b, now() - interval '1 day', now() FROM unnest($1::text[], $2::text[]) AS p(a, b)`,
      [graph.pairs.map(([a]) => a), graph.pairs.map(([, b]) => b)],
    );
    await client.query('ANALYZE user_table; ANALYZE friendship_table');
  } finally {
    await client.end();
  }
}

/** Every key under the bench's prefix goes, by SCAN (ioredis's scanStream, never KEYS) and UNLINK. */
export async function deleteRedisPrefix(prefix: string, redisUrl = REDIS_URL): Promise<number> {
  const redis = new Redis(redisUrl);
  let deleted = 0;
  try {
    // The bench's prefixes are made of letters, digits, dashes and colons, so the pattern needs no escaping.
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    }
    return deleted;
  } finally {
    redis.disconnect();
  }
}

/** `userId`'s one connection (connectionOf), opened at `connectedAt`, silent for at most `allowanceMs` (PRESENCE_TIMEOUT_SECONDS). */
export function benchConnection(userId: string, connectedAt: number, allowanceMs: number): ConnectionActivity {
  return { connectionId: connectionOf(userId), connectedAt, allowanceMs };
}

/**
 * Registers a connection opened at `at` as the $connect handler does, without its came-online
 * announcement: the lease that announcement takes is given back at once, so the user's updates push
 * straight away.
 */
export async function connectQuietly(store: PresenceStore, userId: string, at: number, allowanceMs: number): Promise<void> {
  const { fanOut } = await store.connect(userId, benchConnection(userId, at, allowanceMs), at);
  if (fanOut) await store.releasePush(userId, at, false);
}
