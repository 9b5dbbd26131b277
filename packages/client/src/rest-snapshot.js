/**
 * GET /presence with a bounded wait: the snapshot, or why not (the HTTP status, and how long the
 * server asked to wait).
 */
/* global AbortController -- the standard web API, in browsers, service workers and Node 20+ */
import { asSnapshot } from './presence-view.js';

/**
 * @typedef {{ ok: true, snapshot: import('../index.js').PresenceSnapshot }
 *   | { ok: false, status?: number, retryAfterMs?: number, message: string }} SnapshotResult
 */

/**
 * @param {{
 *   fetch: import('../index.js').FetchLike,
 *   restUrl: string,
 *   token: string,
 *   timeoutMs: number,
 *   timers: import('./timers.js').Timers,
 *   signal: AbortSignal,
 * }} request
 * @returns {Promise<SnapshotResult>}
 */
export async function fetchSnapshot(request) {
  const controller = new AbortController();
  const abort = () => controller.abort();
  request.signal.addEventListener('abort', abort);
  const timer = request.timers.later(abort, request.timeoutMs);
  try {
    const response = await request.fetch(`${request.restUrl.replace(/\/+$/, '')}/presence`, {
      headers: { Authorization: request.token },
      signal: controller.signal,
    });
    if (!response.ok) {
      const retryAfter = Number(response.headers.get('Retry-After'));
      return {
        ok: false,
        status: response.status,
        retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 60) * 1000 : undefined,
        message: `GET /presence answered ${response.status}`,
      };
    }
    const snapshot = asSnapshot(await response.json());
    return snapshot
      ? { ok: true, snapshot }
      : { ok: false, status: response.status, message: 'GET /presence answered something that is not a snapshot' };
  } catch (error) {
    const why = controller.signal.aborted
      ? `no answer within ${request.timeoutMs} ms`
      : error instanceof Error
        ? error.message
        : String(error);
    return { ok: false, message: `GET /presence failed: ${why}` };
  } finally {
    request.timers.cancel(timer);
    request.signal.removeEventListener('abort', abort);
  }
}
