/** The client model of each type in the mix. */
import type { SimulationParams } from '../params';
import type { ClientKind } from './kinds';
import { legacyClient } from './legacy';
import type { ClientModel } from './model';

export function clientModelFor(kind: ClientKind, params: Pick<SimulationParams, 'heartbeatSeconds'>): ClientModel {
  switch (kind) {
    case 'legacy':
      return legacyClient(params.heartbeatSeconds);
    default:
      throw new Error(`the ${kind} client is not simulated yet`);
  }
}

export type { ClientKind } from './kinds';
export type { ClientModel, PeriodicFrame } from './model';
