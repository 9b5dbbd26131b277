/**
 * A client on the reference client's protocol (`@presence-api/client` with levels on): it negotiates a
 * longer heartbeat at the handshake, subscribes as soon as a socket opens (the first subscribe answers
 * with a presence snapshot, so it reads no REST snapshot), holds its connection at `status` and raises it
 * to `pages` while the friends list is on screen (each raise answers with a snapshot), renews its
 * connection at 85-95 % of API Gateway's cap before the cap closes it, and reconnects promptly with
 * jitter after any other close. Held by a page or an offscreen document: no keep-alive.
 */
import type { ClientModel, ScreenModel } from './model';

/** The reference client's renewal window, as a share of the connection cap. */
const RENEW_AT: readonly [number, number] = [0.85, 0.95];
/** Its first reconnect delay is full jitter over this; later attempts back off (not modelled: one attempt suffices here). */
const RECONNECT_BASE_SECONDS = 1;

export interface SubscribingOptions {
  /** Simulated seconds between heartbeats. */
  heartbeatSeconds: number;
  /** The same interval in the stack's wall seconds (what `heartbeat=` carries in the connect URL). */
  heartbeatWallSeconds: number;
  screen: ScreenModel;
}

export function subscribingClient({ heartbeatSeconds, heartbeatWallSeconds, screen }: SubscribingOptions): ClientModel {
  return {
    kind: 'subscribing',
    connectQuery: { heartbeat: String(heartbeatWallSeconds) },
    periodicFrames: [
      {
        action: 'heartbeat',
        everySeconds: heartbeatSeconds,
        frame: { action: 'heartbeat' },
        // Each of these moves the connection's deadline on the server.
        restartedBy: ['heartbeat', 'update-presence', 'subscribe'],
      },
    ],
    framesOnOpen: (onScreen) => [{ action: 'subscribe', level: onScreen ? 'pages' : 'status' }],
    snapshotAfterConnect: false,
    restSnapshots: false,
    screen,
    renewBeforeCap: RENEW_AT,
    reconnectDelaySeconds: (random) => random.uniform(0, RECONNECT_BASE_SECONDS),
    retryDelaySeconds: (random) => random.uniform(0, 4 * RECONNECT_BASE_SECONDS),
  };
}

/** The same client held in a Manifest V3 service worker: a keep-alive keeps the worker, and so the socket, alive. */
export function serviceWorkerClient(options: SubscribingOptions & { keepaliveSeconds: number }): ClientModel {
  const client = subscribingClient(options);
  return {
    ...client,
    kind: 'service-worker',
    periodicFrames: [
      ...client.periodicFrames,
      { action: 'keepalive', everySeconds: options.keepaliveSeconds, frame: { action: 'keepalive' }, restartedBy: 'any' },
    ],
  };
}
