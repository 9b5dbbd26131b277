/**
 * The users the demo sign-in offers: the seeded demo users for the embedded database (read from
 * memory, see postgres.ts for why), or the first rows of user_table of a DATABASE_URL database.
 */
import { Client } from 'pg';
import type { LocalUser } from '../rest/local-routes';
import { DEMO_USERS } from './demo-data';
import type { PostgresBackend } from './postgres';

export function userDirectory(postgres: PostgresBackend): () => Promise<LocalUser[]> {
  if (postgres.embedded) {
    const users = DEMO_USERS.map((user) => ({ userId: user.userId, name: `${user.firstName} ${user.lastName}` }));
    return async () => users;
  }
  return async () => {
    const client = new Client({ connectionString: postgres.url, connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ user_id: string; first_name: string; last_name: string }>(
        'SELECT user_id, first_name, last_name FROM user_table ORDER BY user_id LIMIT 200',
      );
      return rows.map((row) => ({ userId: row.user_id, name: `${row.first_name} ${row.last_name}` }));
    } finally {
      await client.end();
    }
  };
}
