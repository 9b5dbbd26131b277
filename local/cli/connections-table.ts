/** `npm run connections`' table of live connections. */
import type { ConnectionSummary } from '../websocket/gateway';
import { table } from '../text';

function ago(iso: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 90) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  return minutes < 90 ? `${minutes} min ago` : `${Math.round(minutes / 60)} h ago`;
}

function clock(iso: string): string {
  return new Date(iso).toLocaleTimeString('en-GB', { hour12: false });
}

/** A table, one row per connection, columns padded to their widest cell. */
export function connectionsTable(connections: ConnectionSummary[], now = Date.now()): string {
  return table([
    ['CONNECTION', 'USER', 'CONNECTED SINCE', 'LAST ACTIVE'],
    ...connections.map((c) => [
      c.connectionId,
      c.userId ?? '-',
      `${clock(c.connectedAt)} (${ago(c.connectedAt, now)})`,
      `${clock(c.lastActiveAt)} (${ago(c.lastActiveAt, now)})`,
    ]),
  ]);
}
