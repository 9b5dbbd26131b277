/**
 * PostgreSQL helpers for integration suites. They operate on the per-run database created by
 * tests/support/global-setup.ts (DATABASE_URL); bulk inserts are single statements over unnest().
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool, type PoolConfig } from 'pg';
import { databaseUrl } from './env';

export type ShareMode = 'default_all' | 'default_none';

export interface SeedUser {
  id: string;
  /** Default `<id>@example.test`. */
  email?: string;
  /** Default `First-<id>`. */
  firstName?: string;
  /** Default `Last-<id>`. */
  lastName?: string;
  /** Default 'default_all' (the schema's own default is 'default_none'). */
  shareMode?: ShareMode;
  /** domain_allow_array, default []. */
  allow?: string[];
  /** domain_deny_array, default []. */
  deny?: string[];
  /** Default null. */
  profileImageExtension?: string | null;
}

/** A pg Pool on the per-run test database (or the suite database given). Remember `await pool.end()` in afterAll. */
export function createPool(config: PoolConfig = {}): Pool {
  const pool = new Pool({ connectionString: databaseUrl(), max: 5, connectionTimeoutMillis: 5000, ...config });
  pool.on('error', () => undefined); // idle client errors (e.g. server restart) must not crash the worker
  return pool;
}

/** Inserts (or overwrites) user_table rows in one statement. Strings are shorthand for `{ id }`. */
export async function seedUsers(pool: Pool, users: ReadonlyArray<SeedUser | string>): Promise<void> {
  if (users.length === 0) return;
  const rows = users.map((u) => (typeof u === 'string' ? { id: u } : u));
  const ids = rows.map((u) => u.id);
  const emails = rows.map((u) => u.email ?? `${u.id}@example.test`);
  const firstNames = rows.map((u) => u.firstName ?? `First-${u.id}`);
  const lastNames = rows.map((u) => u.lastName ?? `Last-${u.id}`);
  const shareModes = rows.map((u) => u.shareMode ?? 'default_all');
  // unnest() flattens multi-dimensional arrays, so per-row domain lists travel as JSON arrays.
  const allows = rows.map((u) => JSON.stringify(u.allow ?? []));
  const denies = rows.map((u) => JSON.stringify(u.deny ?? []));
  const extensions = rows.map((u) => u.profileImageExtension ?? null);
  await pool.query(
    `INSERT INTO user_table (user_id, email, first_name, last_name, share_mode,
                             domain_allow_array, domain_deny_array, profile_image_extension)
     SELECT r.user_id, r.email, r.first_name, r.last_name, r.share_mode,
            ARRAY(SELECT jsonb_array_elements_text(r.allow)),
            ARRAY(SELECT jsonb_array_elements_text(r.deny)),
            r.ext
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[], $8::text[])
            AS r(user_id, email, first_name, last_name, share_mode, allow, deny, ext)
     ON CONFLICT (user_id) DO UPDATE SET
       email = EXCLUDED.email, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
       share_mode = EXCLUDED.share_mode, domain_allow_array = EXCLUDED.domain_allow_array,
       domain_deny_array = EXCLUDED.domain_deny_array, profile_image_extension = EXCLUDED.profile_image_extension`,
    [ids, emails, firstNames, lastNames, shareModes, allows, denies, extensions],
  );
}

export interface FriendshipOptions {
  /** Default true: sets accepted_at = now(); false leaves a pending request (accepted_at null). */
  accepted?: boolean;
}

/** Records a friendship row (a -> b). Accepted friendships count in either direction. */
export async function befriend(pool: Pool, a: string, b: string, options: FriendshipOptions = {}): Promise<void> {
  await befriendAll(pool, [[a, b]], options);
}

/** Records many friendship rows (user_id1, user_id2) in one statement. */
export async function befriendAll(
  pool: Pool,
  pairs: ReadonlyArray<readonly [string, string]>,
  options: FriendshipOptions = {},
): Promise<void> {
  if (pairs.length === 0) return;
  const accepted = options.accepted ?? true;
  await pool.query(
    `INSERT INTO friendship_table (user_id1, user_id2, requested_at, accepted_at)
     SELECT p.a, p.b, now(), CASE WHEN $3::boolean THEN now() END
       FROM unnest($1::text[], $2::text[]) AS p(a, b)
     ON CONFLICT (user_id1, user_id2) DO UPDATE SET accepted_at = EXCLUDED.accepted_at`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1]), accepted],
  );
}

/** Empties the user service tables. */
export async function resetTables(pool: Pool): Promise<void> {
  await pool.query('TRUNCATE user_table, friendship_table');
}

/**
 * Gives the calling suite a database of its own (tables from db/schema.sql),
 * so suites running in parallel never truncate each other's rows. Points
 * DATABASE_URL at it and returns the URL; the global teardown drops it.
 */
export async function useSuiteDatabase(suite: string): Promise<string> {
  const runUrl = databaseUrl();
  const runDatabase = new URL(runUrl).pathname.slice(1);
  const name = `${runDatabase}_${suite.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`.slice(0, 63);
  const admin = new Pool({ connectionString: runUrl, max: 1 });
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(runUrl);
  url.pathname = `/${name}`;
  const suitePool = new Pool({ connectionString: url.toString(), max: 1 });
  try {
    await suitePool.query(readFileSync(join(__dirname, '..', '..', 'db', 'schema.sql'), 'utf8'));
  } finally {
    await suitePool.end();
  }
  process.env.DATABASE_URL = url.toString();
  return url.toString();
}
