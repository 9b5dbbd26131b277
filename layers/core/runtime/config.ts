import { ConfigError, loadConfig, type Config } from '../config';
import { containerScoped } from './container';

/** The container's configuration: read from the environment once, at the first function's init, and validated. */
export const containerConfig = containerScoped(() => loadConfig(process.env));

/** The @connections endpoint of a function that pushes; without one it fails at init, with one line. */
export function managementEndpointOf(config: Config): string {
  if (!config.managementEndpoint) {
    throw new ConfigError('WEBSOCKET_MANAGEMENT_ENDPOINT must be set for functions that push to connections');
  }
  return config.managementEndpoint;
}
