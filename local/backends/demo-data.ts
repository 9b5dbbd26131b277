/**
 * Demo users for the embedded database: alice and bob are friends, dave is alice's friend, carol is a
 * stranger to all of them (her request to alice is still pending, which does not count). alice shares
 * every page by default; bob shares only a few domains, to show the sharing rules.
 */

export interface DemoUser {
  userId: string;
  firstName: string;
  lastName: string;
  shareMode: 'default_all' | 'default_none';
  allow: string[];
  deny: string[];
}

export const DEMO_USERS: DemoUser[] = [
  { userId: 'alice', firstName: 'Alice', lastName: 'Liddell', shareMode: 'default_all', allow: [], deny: ['bank.example'] },
  { userId: 'bob', firstName: 'Bob', lastName: 'Builder', shareMode: 'default_none', allow: ['wikipedia.org', 'github.com'], deny: [] },
  { userId: 'carol', firstName: 'Carol', lastName: 'Danvers', shareMode: 'default_all', allow: [], deny: [] },
  { userId: 'dave', firstName: 'Dave', lastName: 'Lister', shareMode: 'default_all', allow: [], deny: [] },
];

/** [requester, addressee, accepted] */
export const DEMO_FRIENDSHIPS: Array<[string, string, boolean]> = [
  ['alice', 'bob', true],
  ['dave', 'alice', true],
  ['carol', 'alice', false],
];

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
const array = (items: string[]) => `ARRAY[${items.map(literal).join(', ')}]::text[]`;

/** Plain SQL (the values are the constants above), idempotent. */
export function demoSeedSql(): string {
  const users = DEMO_USERS.map(
    (u) =>
      `(${literal(u.userId)}, ${literal(`${u.userId}@example.test`)}, ${literal(u.firstName)}, ${literal(u.lastName)}, ` +
      `${literal(u.shareMode)}, ${array(u.allow)}, ${array(u.deny)}, NULL)`,
  );
  const friendships = DEMO_FRIENDSHIPS.map(([a, b, accepted]) => `(${literal(a)}, ${literal(b)}, now(), ${accepted ? 'now()' : 'NULL'})`);
  return (
    'INSERT INTO user_table (user_id, email, first_name, last_name, share_mode, domain_allow_array, domain_deny_array, profile_image_extension) VALUES\n  ' +
    `${users.join(',\n  ')}\nON CONFLICT (user_id) DO NOTHING;\n` +
    'INSERT INTO friendship_table (user_id1, user_id2, requested_at, accepted_at) VALUES\n  ' +
    `${friendships.join(',\n  ')}\nON CONFLICT (user_id1, user_id2) DO NOTHING;\n`
  );
}
