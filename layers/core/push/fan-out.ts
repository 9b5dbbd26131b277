import { logger } from '../logger';
import { count, Metric } from '../metrics';
import type { ServerMessage } from '../messages';
import type { ConnectionRef } from '../model';
import { forEachBounded } from './concurrency';
import type { ConnectionGateway } from '../ports/connection-gateway';

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
  return (await deliverAndClose(gateway, deliveries, [], concurrency)).report;
}

export interface DeliverAndCloseReport {
  report: FanOutReport;
  /** Connections that could not be closed (gone ones count as closed). */
  closeFailures: number;
}

/**
 * Posts the deliveries and closes the connections (ghost sockets of
 * timed-out users) through one window of `concurrency` requests, so an
 * invocation never has more requests in flight than its client has sockets:
 * requests queued behind busy sockets still cost the SDK and the agent CPU.
 */
export async function deliverAndClose(
  gateway: ConnectionGateway,
  deliveries: readonly Delivery[],
  connectionsToClose: readonly string[],
  concurrency: number,
): Promise<DeliverAndCloseReport> {
  const report: FanOutReport = { sent: 0, gone: [], failed: 0 };
  let closeFailures = 0;
  const post = async ({ target, data }: Delivery): Promise<void> => {
    try {
      if ((await gateway.post(target.connectionId, data)) === 'sent') report.sent++;
      else report.gone.push(target);
    } catch (error) {
      report.failed++;
      logger.warn('push failed', { connectionId: target.connectionId, userId: target.userId, error: describe(error) });
    }
  };
  const close = async (connectionId: string): Promise<void> => {
    try {
      await gateway.close(connectionId);
    } catch (error) {
      closeFailures++;
      logger.warn('close failed', { connectionId, error: describe(error) });
    }
  };
  const work: readonly (Delivery | string)[] = connectionsToClose.length > 0 ? [...deliveries, ...connectionsToClose] : deliveries;
  await forEachBounded(work, concurrency, (item) => (typeof item === 'string' ? close(item) : post(item)));
  recordPushes(deliveries.length, report);
  return { report, closeFailures };
}

/** Every push goes through here, so the push metrics are counted here. */
function recordPushes(targets: number, report: FanOutReport): void {
  if (targets === 0) return;
  count(Metric.FanOutSize, targets);
  count(Metric.PushesSent, report.sent);
  count(Metric.PushesGone, report.gone.length);
  count(Metric.PushesFailed, report.failed);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
