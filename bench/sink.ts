/**
 * The benchmark's API Gateway Management API sink, run in its own process
 * (forked by bench/run.ts) so its CPU is not the handlers' CPU. Every
 * connection exists; it only counts what arrives and reports over IPC.
 */
import { startManagementApi, type ConnectionRegistry } from '../local/management-api';

export interface SinkStats {
  posts: number;
  postBytes: number;
  closes: number;
  maxRssKb: number;
  /** User + system CPU time of the sink process (µs). */
  cpuUs: number;
}

export type SinkMessage = { type: 'ready'; endpoint: string } | { type: 'stats'; id: number; stats: SinkStats };
export type SinkRequest = { type: 'stats'; id: number } | { type: 'stop' };

const stats: SinkStats = { posts: 0, postBytes: 0, closes: 0, maxRssKb: 0, cpuUs: 0 };

const registry: ConnectionRegistry = {
  send(_connectionId, data) {
    stats.posts++;
    stats.postBytes += data.length;
    return true;
  },
  close() {
    stats.closes++;
    return true;
  },
  describe() {
    const now = Date.now();
    return { connectedAt: now, sourceIp: '127.0.0.1', lastActiveAt: now };
  },
};

function cpuUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/sink.ts must be forked with an IPC channel');
  // No signature check: the sink measures the clients, and the transport floor posts unsigned.
  const api = await startManagementApi(registry, 0, { credentials: false });
  const send = (message: SinkMessage): void => {
    process.send?.(message);
  };
  process.on('message', (request: SinkRequest) => {
    if (request.type === 'stats') {
      send({ type: 'stats', id: request.id, stats: { ...stats, maxRssKb: process.resourceUsage().maxRSS, cpuUs: cpuUs() } });
    } else if (request.type === 'stop') {
      void api.close().finally(() => process.exit(0));
    }
  });
  // The parent died or was interrupted: never outlive it.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', endpoint: api.endpoint });
}

main().catch((error: unknown) => {
  console.error('sink failed', error);
  process.exit(1);
});
