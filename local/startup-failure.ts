/**
 * The one line `npm start` prints when it cannot start. Expected failures (a wrong setting, a
 * dependency that is not there, a port in use) are explained in one line without a stack trace;
 * anything else is a bug in the local runtime and keeps its stack trace.
 */
export interface PortNames {
  port: number;
  wsPort: number;
  idpPort: number;
}

const EXPLAINED = new Set(['SettingsError', 'DependencyError', 'ConfigError', 'RedisUnavailableError']);

function portInUse(error: NodeJS.ErrnoException & { port?: number }, ports: PortNames | undefined): string {
  const port = error.port;
  const variable =
    port === undefined || !ports
      ? undefined
      : port === ports.port
        ? 'PORT'
        : port === ports.wsPort
          ? 'WS_PORT'
          : port === ports.idpPort
            ? 'IDP_PORT'
            : undefined;
  const which = port === undefined ? 'A port' : `Port ${port}${variable ? ` (${variable})` : ''}`;
  return (
    `${which} is already in use on 127.0.0.1 (another npm start?): stop that process, or choose free ports, ` +
    'e.g. PORT=4000 WS_PORT=4001 IDP_PORT=4002 npm start (0 = any free port).'
  );
}

export function startupFailureLine(error: unknown, ports?: PortNames): string {
  const err = error as (NodeJS.ErrnoException & { port?: number }) | undefined;
  if (err?.code === 'EADDRINUSE') return portInUse(err, ports);
  if (err instanceof Error && EXPLAINED.has(err.name)) {
    const message = err.message.replace(/\s*\n\s*/g, ' ').trim();
    // The core's ConfigError names the variable but not where it comes from.
    return err.name === 'ConfigError' ? `Configuration error: ${message} (set in your environment; fix or unset it).` : message;
  }
  return `The local stack failed to start (a bug; please report it): ${err instanceof Error ? (err.stack ?? err.message) : String(error)}`;
}
