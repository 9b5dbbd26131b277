/**
 * The run's own PostgreSQL database: created on the server of the admin URL under a unique name,
 * given db/schema.sql, seeded with the population and its accepted friendships, and dropped at the end
 * (also after a failure or Ctrl-C; WITH (FORCE) ends the stack's sessions if it is still up).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import type { Population } from './population';

const SCHEMA_FILE = path.resolve(__dirname, '..', 'db', 'schema.sql');
const CONNECT_TIMEOUT_MS = 5000;

/** A database the simulator could not create or use: its message is the one line to print. */
export class DatabaseError extends Error {
  override name = 'DatabaseError';
}

/** host:port/database of a URL, never its password. */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'an unparsable DATABASE_URL';
  }
}

function urlWithDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function connected(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new DatabaseError(
      `PostgreSQL at ${describeDatabase(url)} did not accept a connection (${(error as Error).message}); start it or pass --database-url.`,
    );
  }
}

export interface RunDatabase {
  name: string;
  /** The run database's URL (handed to the stack as DATABASE_URL). */
  url: string;
  drop(): Promise<void>;
}

export async function createRunDatabase(adminUrl: string): Promise<RunDatabase> {
  const name = `presence_sim_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await connected(adminUrl);
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    throw new DatabaseError(`Could not create a database on ${describeDatabase(adminUrl)} (${(error as Error).message}).`);
  } finally {
    await admin.end().catch(() => undefined);
  }
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: urlWithDatabase(adminUrl, name),
    drop: () =>
      (dropped ??= (async () => {
        const client = await connected(adminUrl);
        try {
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await client.end().catch(() => undefined);
        }
      })()),
  };
}

/** Loads the schema and the population (users, accepted friendships) into the run's database. */
export async function seedDatabase(url: string, population: Population): Promise<void> {
  const client = await connected(url);
  try {
    await client.query(await readFile(SCHEMA_FILE, 'utf8'));
    const users = population.users;
    await client.query(
      `INSERT INTO user_table (user_id, email, first_name, last_name, share_mode, domain_allow_array)
       SELECT r.user_id, r.email, r.first_name, r.last_name, r.share_mode, ARRAY(SELECT jsonb_array_elements_text(r.allow))
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
              AS r(user_id, email, first_name, last_name, share_mode, allow)`,
      [
        users.map((user) => user.userId),
        users.map((user) => user.email),
        users.map((user) => user.firstName),
        users.map((user) => user.lastName),
        users.map((user) => user.shareMode),
        users.map((user) => JSON.stringify(user.allow)),
      ],
    );
    // Half the pairs are stored one way round, half the other: friendships count in either direction.
    const edges = population.graph.edges;
    await client.query(
      `INSERT INTO friendship_table (user_id1, user_id2, requested_at, accepted_at)
       SELECT a, b, now() - interval '1 day', now() FROM unnest($1::text[], $2::text[]) AS r(a, b)`,
      [
        edges.map(([a, b], i) => users[i % 2 === 0 ? a : b]!.userId),
        edges.map(([a, b], i) => users[i % 2 === 0 ? b : a]!.userId),
      ],
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
