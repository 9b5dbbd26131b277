/**
 * The presence store the timeout report (timeout-report.ts) reads through: the functions' own store
 * code on a Redis connection of its own, straight to the server. The report exists only locally
 * (AWS has no such reader), so its commands must not reach the meter's proxy, which sits between the
 * functions and Redis. Loaded after the local environment is in place, like the handlers.
 */
import type { PresenceStore } from '../../layers/core/ports/presence-store';
import type { ConnectionGateway } from '../../layers/core/ports/connection-gateway';

export interface ReportStore {
  store: Pick<PresenceStore, 'staleCandidates' | 'snapshot'>;
  close(): Promise<void>;
}

/** The report only reads: any push or close through this runtime is a bug. */
const noGateway: ConnectionGateway = {
  post: () => Promise.reject(new Error('the timeout report never pushes')),
  close: () => Promise.reject(new Error('the timeout report never closes connections')),
};

/**
 * handlerEnvironment: the functions' settings; servers: the Redis and PostgreSQL themselves, not the
 * meter's proxies (PostgreSQL is never queried by the store; it is named so no client points at a proxy).
 */
export function directReportStore(
  handlerEnvironment: Record<string, string | undefined>,
  servers: { redisUrl: string; databaseUrl: string },
): ReportStore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createRuntime } = require('../../layers/core/runtime') as typeof import('../../layers/core/runtime');
  const env = { ...handlerEnvironment, REDIS_URL: servers.redisUrl, DATABASE_URL: servers.databaseUrl };
  const runtime = createRuntime({ env, gateway: noGateway });
  return { store: runtime.store, close: () => runtime.close() };
}
