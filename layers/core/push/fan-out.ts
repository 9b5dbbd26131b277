import { logger } from '../logger';
import type { ServerMessage } from '../messages';
import type { ConnectionRef } from '../redis/presence-store';
import { forEachBounded } from './concurrency';
import type { ConnectionGateway } from './connection-gateway';

export interface FanOutReport {
  sent: number;
  gone: ConnectionRef[];
  failed: number;
}

/**
 * Sends one message to many connections with bounded parallelism. A gone
 * connection is reported for cleanup; any other failure is logged and does
 * not fail the caller, because one broken socket must not block an update.
 */
export async function fanOut(
  gateway: ConnectionGateway,
  targets: readonly ConnectionRef[],
  message: ServerMessage,
  concurrency: number,
): Promise<FanOutReport> {
  const data = encode(message);
  return deliverAll(
    gateway,
    targets.map((target) => ({ target, data })),
    concurrency,
  );
}

export interface Delivery {
  target: ConnectionRef;
  data: Uint8Array;
}

export function encode(message: ServerMessage): Uint8Array {
  return Buffer.from(JSON.stringify(message));
}

/** Like fanOut, for a mix of messages (the sweep tells each friend about several users). */
export async function deliverAll(gateway: ConnectionGateway, deliveries: readonly Delivery[], concurrency: number): Promise<FanOutReport> {
  const report: FanOutReport = { sent: 0, gone: [], failed: 0 };
  await forEachBounded(deliveries, concurrency, async ({ target, data }) => {
    try {
      if ((await gateway.post(target.connectionId, data)) === 'sent') report.sent++;
      else report.gone.push(target);
    } catch (error) {
      report.failed++;
      logger.warn('push failed', { connectionId: target.connectionId, userId: target.userId, error: describe(error) });
    }
  });
  return report;
}

/** Closes connections (ghost sockets of timed-out users); gone ones are already closed. */
export async function closeAll(gateway: ConnectionGateway, connectionIds: readonly string[], concurrency: number): Promise<number> {
  let failed = 0;
  await forEachBounded(connectionIds, concurrency, async (connectionId) => {
    try {
      await gateway.close(connectionId);
    } catch (error) {
      failed++;
      logger.warn('close failed', { connectionId, error: describe(error) });
    }
  });
  return failed;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
