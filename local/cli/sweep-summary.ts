/** What `npm run sweep -- --local` prints: one summary line, and a table per shard with --verbose. */
import { plural, table } from '../text';

export interface ShardTotals {
  shard: number;
  batches: number;
  timedOut: number;
  notifications: number;
  connectionsClosed: number;
  error?: string;
}

export function sweepSummary(shards: ShardTotals[], durationMs: number, where: string): string {
  const sum = (field: 'timedOut' | 'notifications' | 'connectionsClosed' | 'batches') =>
    shards.reduce((total, shard) => total + shard[field], 0);
  const failed = shards.filter((shard) => shard.error);
  return (
    `Swept ${where} (${plural(shards.length, 'shard')}, ${plural(sum('batches'), 'batch', 'batches')}) in ${(durationMs / 1000).toFixed(1)} s: ` +
    `${plural(sum('timedOut'), 'user')} timed out, ${plural(sum('notifications'), 'friend')} told, ${plural(sum('connectionsClosed'), 'socket')} closed, ` +
    (failed.length === 0 ? 'no failed shards.' : `FAILED shards: ${failed.map((shard) => `${shard.shard} (${shard.error})`).join(', ')}.`)
  );
}

export function shardTable(shards: ShardTotals[]): string {
  return table([
    ['SHARD', 'BATCHES', 'TIMED OUT', 'FRIENDS TOLD', 'SOCKETS CLOSED', 'ERROR'],
    ...shards.map((s) => [s.shard, s.batches, s.timedOut, s.notifications, s.connectionsClosed, s.error ?? ''].map(String)),
  ]);
}
