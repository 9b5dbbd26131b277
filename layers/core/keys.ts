/**
 * Redis key layout. Every key of one user lives in the hash slot of the user's
 * status shard ({prefix}{<shard>}), so each state change is one atomic script
 * on one slot, on a single node and on Redis Cluster alike.
 *
 *   <prefix>{<s>}:status        ZSET userId -> last activity (ms)    online users of shard s
 *   <prefix>{<s>}:due           ZSET userId -> timed out at (ms)     the latest deadline of the user's connections, or the end of the offline grace
 *   <prefix>{<s>}:conn:<user>   ZSET connectionId -> deadline (ms)   a user's connections; live while the deadline is ahead
 *   <prefix>{<s>}:cinfo:<user>  HASH connectionId -> level + opened  subscription level (P p s n) and when it opened (ms)
 *   <prefix>{<s>}:page:<user>   HASH u t d, lu lt ld (latest shared), pt (when this state began), ft pl pd (fan-out budget, push lease, pending)
 *   <prefix>{<s>}:seen          ZSET userId -> went offline at (ms)  bounded retention
 *   <prefix>{<s>}:pending       HASH userId -> "conn1,conn2"         went offline, friends not yet told
 *   <prefix>{<s>}:deferred      ZSET userId -> due (ms)              fan-outs waiting for a token, a lease or the sweep
 *   <prefix>{<s>}:rate:<user>:<conn>  STRING message count           the connection's budget window
 */

/** FNV-1a: stable across processes and languages, cheap, evenly spread for ids. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export class KeySpace {
  constructor(
    readonly prefix: string,
    readonly shards: number,
  ) {}

  shardOf(userId: string): number {
    return fnv1a(userId) % this.shards;
  }

  private slot(shard: number): string {
    return `${this.prefix}{${shard}}`;
  }

  status(shard: number): string {
    return `${this.slot(shard)}:status`;
  }

  lastSeen(shard: number): string {
    return `${this.slot(shard)}:seen`;
  }

  pending(shard: number): string {
    return `${this.slot(shard)}:pending`;
  }

  connections(userId: string, shard = this.shardOf(userId)): string {
    return `${this.slot(shard)}:conn:${userId}`;
  }

  due(shard: number): string {
    return `${this.slot(shard)}:due`;
  }

  connectionInfo(userId: string, shard = this.shardOf(userId)): string {
    return `${this.slot(shard)}:cinfo:${userId}`;
  }

  page(userId: string, shard = this.shardOf(userId)): string {
    return `${this.slot(shard)}:page:${userId}`;
  }

  deferred(shard: number): string {
    return `${this.slot(shard)}:deferred`;
  }

  /** In the slot of the connection's user, so a message's budget and its state change are one script. */
  messageCount(userId: string, connectionId: string, shard = this.shardOf(userId)): string {
    return `${this.slot(shard)}:rate:${userId}:${connectionId}`;
  }

  /** Groups user ids by shard, so multi-user reads can run one pipeline per slot. */
  groupByShard(userIds: Iterable<string>): Map<number, string[]> {
    const groups = new Map<number, string[]>();
    for (const userId of userIds) {
      const shard = this.shardOf(userId);
      const group = groups.get(shard);
      if (group) group.push(userId);
      else groups.set(shard, [userId]);
    }
    return groups;
  }
}
