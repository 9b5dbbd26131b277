/**
 * The local stack's log line for a sweep run that timed someone out:
 *
 *   [sweep] timed out alice (silent 152 s): 1 friend told, 1 socket closed; silent longer than their connections allow (...) (38 ms)
 *
 * The sweep function reports counts only, so before a run this reads who is stale (the same
 * candidate query the sweeper makes, through the handlers' own store) and their last activity, and
 * while the run lasts it tells the WebSocket gateway why the sweep's DeleteConnection calls close
 * those users' sockets, so their $disconnect lines say so too.
 */
import type { UserPresence } from '../../layers/core/model';
import type { PresenceStore } from '../../layers/core/ports/presence-store';
import { plural } from '../text';
import type { DeleteExplainer } from '../websocket/gateway';

/** Sums of the sweep function's outputs over one run (see SweepBatchResult). */
export interface SweepTotals {
  batches: number;
  timedOut: number;
  notifications: number;
  connectionsClosed: number;
  failedShards: Array<{ shard: number; error: string }>;
}

export interface TimeoutReporterDeps {
  store: Pick<PresenceStore, 'staleCandidates' | 'snapshot'>;
  statusShards: number;
  timeoutMs: number;
  /** The gateway's hook for explaining DeleteConnection closes. */
  explainDeletes: (explainer: DeleteExplainer | undefined) => void;
  log: (line: string) => void;
  now?: () => number;
}

/** How many stale users a report names at most (the counts stay exact). */
const MAX_NAMED = 1000;
/**
 * The sweep takes its own clock reading a moment after this report's (the state machine has to start
 * first; longer on a busy machine), so users who turn stale in between are candidates too. Only those
 * offline after the run are named, so a candidate the run did not time out is never reported.
 */
const LOOKAHEAD_MS = 2000;

export function timeoutLine(
  timedOut: Array<{ userId: string; silentMs: number }>,
  totals: SweepTotals,
  timeoutSeconds: number,
  durationMs: number,
): string {
  const named = timedOut.map(({ userId, silentMs }) => `${userId} (silent ${Math.round(silentMs / 1000)} s)`);
  const unnamed = totals.timedOut - named.length;
  const who = named.length === 0 ? plural(totals.timedOut, 'user') : [...named, ...(unnamed > 0 ? [`${unnamed} more`] : [])].join(', ');
  return (
    `[sweep] timed out ${who}: ${plural(totals.notifications, 'friend')} told, ` +
    `${plural(totals.connectionsClosed, 'socket')} closed; silent longer than their connections allow ` +
    `(PRESENCE_TIMEOUT_SECONDS=${timeoutSeconds} without a negotiated heartbeat) or their offline grace ended (${durationMs} ms)`
  );
}

export class TimeoutReporter {
  private readonly now: () => number;

  constructor(private readonly deps: TimeoutReporterDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Call before a run; call the returned function with the run's totals when it ends. */
  async start(): Promise<(totals: SweepTotals, durationMs: number) => Promise<void>> {
    const { store, timeoutMs } = this.deps;
    const now = this.now();
    const shards = Array.from({ length: this.deps.statusShards }, (_, shard) => shard);
    const candidates = (await Promise.all(shards.map((shard) => store.staleCandidates(shard, now + LOOKAHEAD_MS, MAX_NAMED)))).flat();
    const presence = candidates.length > 0 ? await store.snapshot(candidates) : new Map<string, UserPresence>();
    const lastActiveAt = new Map(candidates.map((userId) => [userId, presence.get(userId)?.lastActiveAt ?? now - timeoutMs]));
    // Silence is measured when the sweep acts (a lookahead candidate was not stale yet at `now`).
    const silentMsOf = (userId: string): number | undefined => {
      const last = lastActiveAt.get(userId);
      return last === undefined ? undefined : this.now() - last;
    };
    const timeoutSeconds = Math.round(timeoutMs / 1000);

    this.deps.explainDeletes((userId) => {
      const silent = userId === undefined ? undefined : silentMsOf(userId);
      return silent === undefined
        ? undefined
        : `timed out by the sweep: silent for ${Math.round(silent / 1000)} s, longer than the connection allows, or the offline grace ended`;
    });

    return async (totals, durationMs) => {
      this.deps.explainDeletes(undefined);
      for (const { shard, error } of totals.failedShards) this.deps.log(`[sweep] shard ${shard} failed: ${error}`);
      if (totals.timedOut === 0) return;
      // The stale users who are offline now are the ones this run timed out.
      const after = candidates.length > 0 ? await store.snapshot(candidates) : new Map<string, UserPresence>();
      const timedOut = candidates
        .filter((userId) => after.get(userId)?.online === false)
        .map((userId) => ({ userId, silentMs: silentMsOf(userId)! }))
        .slice(0, totals.timedOut);
      this.deps.log(timeoutLine(timedOut, totals, timeoutSeconds, durationMs));
    };
  }
}
