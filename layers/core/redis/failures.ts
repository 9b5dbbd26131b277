import { ReplyError } from 'ioredis';

/**
 * Which Redis errors are an outage (503) and which are bugs (500). Everything ioredis raises about
 * the connection (timeouts, a closed or reconnecting socket, exhausted retries, a cluster with no
 * reachable node) is an outage; a server reply error is one only when the server says it cannot
 * serve right now (loading, failover, out of memory, authentication), not for a broken script.
 */
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|OOM|NOAUTH|WRONGPASS|NOPERM)\b/;
const CONNECTION_ERROR_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const CONNECTION_MESSAGES =
  /Command timed out|Connection is closed|Stream isn't writeable|None of startup nodes|Failed to refresh slots cache|Too many Cluster redirections|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE/;

export function isRedisOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof ReplyError) return UNAVAILABLE_REPLIES.test(error.message);
  return CONNECTION_ERROR_NAMES.has(error.name) || CONNECTION_MESSAGES.test(error.message);
}
