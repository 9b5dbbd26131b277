import type { ConnectionRef } from '../model';

/**
 * The live connections of these users, looked up in a map of user → connection ids (what
 * PresenceStore.connectionsOf resolves), as push targets appended to `into`. Users without
 * connections add none.
 */
export function connectionTargets(
  userIds: Iterable<string>,
  connections: ReadonlyMap<string, readonly string[]>,
  into: ConnectionRef[] = [],
): ConnectionRef[] {
  for (const userId of userIds) for (const connectionId of connections.get(userId) ?? []) into.push({ userId, connectionId });
  return into;
}

/** The targets of a user's own update: the user's own connections and every friend's live connection. */
export function updateTargets(
  userId: string,
  ownConnections: readonly string[],
  friendIds: Iterable<string>,
  connections: ReadonlyMap<string, readonly string[]>,
): ConnectionRef[] {
  return connectionTargets(
    friendIds,
    connections,
    ownConnections.map((connectionId) => ({ userId, connectionId })),
  );
}
