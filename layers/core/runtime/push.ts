import type { Config } from '../config';
import { ApiGatewayConnectionGateway } from '../push/connection-gateway';
import { containerConfig, managementEndpointOf } from './config';
import { containerScoped } from './container';

/** The @connections client of a function that pushes (it connects on the first push). */
export function createConnectionGateway(config: Config): ApiGatewayConnectionGateway {
  const { presence } = config;
  return ApiGatewayConnectionGateway.create(
    managementEndpointOf(config),
    config.awsRegion,
    presence.pushConcurrency,
    presence.pushTimeoutMs,
  );
}

/** The container's @connections client (the functions that push on most invocations: loaded at start). */
export const containerGateway = containerScoped(
  () => createConnectionGateway(containerConfig()),
  (gateway) => gateway.client.close(),
);
