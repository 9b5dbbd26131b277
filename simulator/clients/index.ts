/** The client model of each type in the mix. */
import type { SimulationParams } from '../params';
import type { ClientKind } from './kinds';
import { legacyClient } from './legacy';
import type { ClientModel } from './model';
import { serviceWorkerClient, subscribingClient } from './subscribing';

export type ClientParams = Pick<
  SimulationParams,
  'heartbeatSeconds' | 'subscribingHeartbeatSeconds' | 'keepaliveSeconds' | 'onScreenShare' | 'snapshotsPer8Hours' | 'speed'
>;

export function clientModelFor(kind: ClientKind, params: ClientParams): ClientModel {
  const subscribing = {
    heartbeatSeconds: params.subscribingHeartbeatSeconds,
    heartbeatWallSeconds: params.subscribingHeartbeatSeconds / params.speed,
    // The list comes on screen as often as a legacy user reads GET /presence.
    screen: { onScreenShare: params.onScreenShare, episodesPer8Hours: params.snapshotsPer8Hours },
  };
  switch (kind) {
    case 'legacy':
      return legacyClient(params.heartbeatSeconds);
    case 'subscribing':
      return subscribingClient(subscribing);
    case 'service-worker':
      return serviceWorkerClient({ ...subscribing, keepaliveSeconds: params.keepaliveSeconds });
  }
}

export type { ClientKind } from './kinds';
export type { ClientModel, PeriodicFrame, ScreenModel } from './model';
