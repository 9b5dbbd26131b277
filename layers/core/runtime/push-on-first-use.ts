import type { ConnectionGateway } from '../ports/connection-gateway';
import { containerConfig, managementEndpointOf } from './config';

type PushModule = typeof import('./push');

/**
 * The @connections client as the functions use it: the endpoint is checked at init, but the client and
 * its packages (HTTP client, request signing, the credential chain) load on the first push or close.
 * Many invocations push nothing (a heartbeat, a $connect with no friend online, a sweep batch that timed
 * nobody out), and a container that never pushes never loads them; one that does pays the same load once,
 * on its first push instead of in its init (both billed alike). It is the container's one client
 * (./push.ts), so the local runtime still has one per process.
 */
export function gatewayOnFirstUse(): ConnectionGateway {
  managementEndpointOf(containerConfig());
  let gateway: ConnectionGateway | undefined;
  const load = (): ConnectionGateway => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
    gateway ??= (require('./push') as PushModule).containerGateway();
    return gateway;
  };
  return {
    post: async (connectionId, data) => load().post(connectionId, data),
    close: async (connectionId) => load().close(connectionId),
  };
}
