/**
 * Which PostgreSQL errors are an outage (503, served stale where possible) and which are bugs (500).
 * pg reports server errors with a SQLSTATE `code` and network failures with errno codes or plain
 * messages; the password lookup fails with AWS SDK errors.
 */

/** SQLSTATE classes of a server that is unreachable, overloaded, shutting down or refusing us. */
const OUTAGE_SQLSTATE_CLASSES = new Set(['08', '28', '53', '57', '58']);
const OUTAGE_SQLSTATES = new Set(['40001', '40P01']);
const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
const OUTAGE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection error and is not queryable|Connection ended|Client was closed/i;

/** The connection died under a query (terminated backend, failover, reset): a retry on a fresh connection may work at once. */
const LOST_CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
const LOST_CONNECTION_MESSAGES = /Connection terminated unexpectedly|connection error and is not queryable|Connection ended/i;

interface PgLikeError {
  code?: unknown;
  message?: unknown;
  $metadata?: unknown;
}

function fields(error: unknown): PgLikeError {
  return typeof error === 'object' && error !== null ? error : {};
}

export function isPostgresOutage(error: unknown): boolean {
  const { code, message, $metadata } = fields(error);
  if (typeof code === 'string') {
    if (code.length === 5 && (OUTAGE_SQLSTATE_CLASSES.has(code.slice(0, 2)) || OUTAGE_SQLSTATES.has(code))) return true;
    if (NETWORK_ERRNOS.has(code)) return true;
  }
  // Secrets Manager could not give us the password (throttled, unreachable, access denied).
  if ($metadata !== undefined) return true;
  return typeof message === 'string' && OUTAGE_MESSAGES.test(message);
}

export function isLostConnection(error: unknown): boolean {
  const { code, message } = fields(error);
  if (typeof code === 'string' && (LOST_CONNECTION_SQLSTATES.has(code) || code === 'ECONNRESET' || code === 'EPIPE')) return true;
  return typeof message === 'string' && LOST_CONNECTION_MESSAGES.test(message);
}
