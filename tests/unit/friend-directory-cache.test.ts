import type { QueryResult, QueryResultRow } from 'pg';
import { PostgresFriendDirectory } from '../../layers/core/db/friend-directory';
import type { QueryPool } from '../../layers/core/db/pool';
import { ServiceUnavailableError } from '../../layers/core/errors';

/** A pool answering every query with the current friend rows; counts queries, fails on demand. */
function fakePool() {
  const state = { queries: 0, friends: ['old'], failing: false };
  const pool: QueryPool = {
    async query<R extends QueryResultRow>(): Promise<QueryResult<R>> {
      state.queries++;
      if (state.failing) throw new ServiceUnavailableError('postgres', new Error('connection refused'));
      const rows = [{ user_id: 'me' }, ...state.friends.map((user_id) => ({ user_id }))];
      return { rows: rows as unknown as R[] } as QueryResult<R>;
    },
    end: async () => undefined,
  };
  return { pool, state };
}

const friendsOf = (profiles: { friends: { user_id: string }[] }): string[] => profiles.friends.map((friend) => friend.user_id);

describe('PostgresFriendDirectory: profiles are read fresh on every call', () => {
  const settings = { freshMs: 30_000, staleMaxMs: 600_000, retryMs: 1000 };

  it('asks PostgreSQL again for the next call, however soon it comes (a friend accepted in between is listed)', async () => {
    const { pool, state } = fakePool();
    const directory = new PostgresFriendDirectory(pool, settings);
    expect(friendsOf(await directory.profilesWithFriends('me'))).toEqual(['old']);
    state.friends.push('fresh');
    expect(friendsOf(await directory.profilesWithFriends('me'))).toEqual(['old', 'fresh']);
    expect(state.queries).toBe(2);
  });

  it('shares one query between concurrent calls', async () => {
    const { pool, state } = fakePool();
    const directory = new PostgresFriendDirectory(pool, settings);
    await Promise.all([directory.profilesWithFriends('me'), directory.profilesWithFriends('me')]);
    expect(state.queries).toBe(1);
  });

  it('serves the last profiles while PostgreSQL is down', async () => {
    const { pool, state } = fakePool();
    const directory = new PostgresFriendDirectory(pool, settings);
    await directory.profilesWithFriends('me');
    state.failing = true;
    expect(friendsOf(await directory.profilesWithFriends('me'))).toEqual(['old']);
  });
});
