/**
 * The workloads the scenarios are made of, shared by the named scenarios
 * (bench/scenarios.ts) and the full run (bench/full-run.ts): which users a
 * load scenario drives, the load specs themselves, the friend-cache warm-up
 * and the timed timeout sweep.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { forEachBounded } from '../layers/core/push/concurrency';
import type { PushClient } from './containers';
import type { Bench } from './fixtures';
import { NOTHING_SPENT, addSpent, closeWindow, fmt, openWindow, perOpFigures, type LoadScenarioSpec, type ScenarioResult } from './measure';
import { SAMPLE_PUSH } from './operations';
import { summarizeProfile } from './profile-summary';
import { benchConnection, connectQuietly, hub, ringUser, staleUser } from './seed';
import { NO_COUNTS, median, sum, type Counts, type RunResult } from './support';

export function range(n: number, f: (i: number) => string): string[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

// --- who a scenario drives ----------------------------------------------------------

export const onlineRing = (b: Bench): string[] => range(b.settings.size.ring, ringUser);

/** Ring users have exactly 20 friends, all online; 1,000 of them, spread over the ring. */
export const workingSet = (b: Bench): string[] => {
  const { ring } = b.settings.size;
  const n = Math.min(1000, ring);
  return range(n, (i) => ringUser(Math.floor((i * ring) / n)));
};

export const hubs = (b: Bench): string[] => range(b.settings.size.hubs, hub);

// --- load specs ---------------------------------------------------------------------

/** --profile: one CPU profile (first measured run, one container) per hot path, with its top self time. */
export function profileAs(b: Bench, scenario: string, fileName: string): ((cpuProfile: unknown) => void) | undefined {
  if (!b.settings.profile) return undefined;
  return (cpuProfile) => {
    mkdirSync(b.settings.resultsDir, { recursive: true });
    const file = join(b.settings.resultsDir, `${fileName}.cpuprofile`);
    writeFileSync(file, JSON.stringify(cpuProfile));
    b.profiles.push({ scenario, file, hot: summarizeProfile(cpuProfile as Parameters<typeof summarizeProfile>[0], 25) });
  };
}

export function update20Spec(b: Bench): LoadScenarioSpec {
  const name = `update-presence, ${b.settings.size.ringFriends} friends online`;
  return {
    name,
    concurrency: b.settings.concurrency,
    spec: { op: 'update', users: workingSet(b) },
    onProfile: profileAs(b, name, 'update-presence'),
  };
}

export function update200Spec(b: Bench): LoadScenarioSpec {
  return {
    name: `update-presence, ${b.settings.size.hubFriends} friends online`,
    concurrency: b.settings.concurrency,
    spec: { op: 'update', users: hubs(b) },
  };
}

export function heartbeatSpec(b: Bench): LoadScenarioSpec {
  return {
    name: 'heartbeat',
    concurrency: b.settings.concurrency,
    spec: { op: 'heartbeat', users: onlineRing(b) },
    onProfile: profileAs(b, 'heartbeat', 'heartbeat'),
  };
}

export function getPresence200Spec(b: Bench): LoadScenarioSpec {
  return {
    name: `GET /presence, ${b.settings.size.hubFriends} friends`,
    concurrency: 1,
    spec: { op: 'get-presence', users: hubs(b) },
  };
}

/** One update's fan-out: the user's friends and her own connection. */
const fanOutPosts = (b: Bench): number => b.settings.size.ringFriends + 1;

/** A fan-out of one update's posts through one client alone, no Redis or PostgreSQL. */
export function clientAloneSpec(b: Bench, client: PushClient): LoadScenarioSpec {
  const posts = fanOutPosts(b);
  const { concurrency } = b.settings;
  return {
    name: {
      floor: `transport floor: bare undici posts, unsigned, fan-outs of ${posts}`,
      lean: `lean client alone: fan-outs of ${posts} signed posts, no Redis or PostgreSQL`,
      sdk: `SDK client alone: fan-outs of ${posts} posts, no Redis or PostgreSQL`,
    }[client],
    concurrency,
    spec: { op: 'fan-out', client, posts },
    note: `${concurrency} fan-outs at once over the containers, PUSH_CONCURRENCY in flight per fan-out, the same ${SAMPLE_PUSH.length}-byte frame`,
  };
}

// --- preparations and the sweep -----------------------------------------------------

/** Fills each container's friend cache as a busy container would have it (once). */
export async function warmFriends(b: Bench): Promise<void> {
  if (b.friendsWarm) return;
  const { ring } = b.settings.size;
  await b.containers.warmFriends(workingSet(b).map((userId) => [userId, ringUser((Number(userId.slice(1)) + 1) % ring)]));
  b.friendsWarm = true;
}

/** Timeout sweep: every shard in parallel (the state machine's Map), each looping batches while `more`. */
export async function timeoutSweep(b: Bench, set: 'a' | 'b', count: number): Promise<ScenarioResult> {
  const { store } = b;
  const { config } = b.runtime;
  const { runs: runCount, size } = b.settings;
  const users = range(count, (i) => staleUser(set, i));
  const name = `timeout sweep, ${fmt(count)} stale x ${size.staleFriends} online friends`;
  const refreshOnline = async (): Promise<void> => {
    const now = Date.now();
    await forEachBounded(
      b.graph.online,
      64,
      async (userId) => void (await store.heartbeat(userId, benchConnection(userId, now, config.presence.timeoutMs), now)),
    );
  };
  const makeStale = async (stale: readonly string[]): Promise<void> => {
    const past = Date.now() - config.presence.timeoutMs - 60_000;
    await forEachBounded(stale, 64, (userId) => connectQuietly(store, userId, past, config.presence.timeoutMs));
  };
  const sweepAll = () => b.containers.sweep(config.presence.statusShards, new Date().toISOString());
  // Warm-up: a small sweep so the code paths, pool and scripts are hot.
  await refreshOnline();
  await makeStale(users.slice(0, Math.max(1, Math.floor(count / 20))));
  await sweepAll();
  const runs: RunResult[] = [];
  let counts: Counts = NO_COUNTS;
  let spent = NOTHING_SPENT;
  for (let i = 0; i < runCount; i++) {
    await refreshOnline();
    await makeStale(users);
    const window = await openWindow(b.meters);
    const t0 = performance.now();
    const swept = await sweepAll();
    const elapsedMs = performance.now() - t0;
    const run = await closeWindow(b.meters, window);
    spent = addSpent(spent, { ...run, elapsedMs });
    counts = sum(counts, swept.counts);
    const ok = swept.timedOut === count;
    runs.push({ ops: count, errors: ok ? 0 : 1, elapsedMs, opsPerSec: (count * 1000) / elapsedMs, p50Ms: elapsedMs, p99Ms: elapsedMs });
    b.log(
      `  ${name}: run ${i + 1}: ${(elapsedMs / 1000).toFixed(2)} s, ${fmt(swept.timedOut)} timed out, ${fmt(run.posts)} posts, ${fmt(run.closes)} closes`,
    );
  }
  const seconds = median(runs.map((r) => r.elapsedMs)) / 1000;
  const result: ScenarioResult = {
    name,
    concurrency: config.presence.statusShards,
    runs,
    opsPerSec: median(runs.map((r) => r.opsPerSec)),
    p50Ms: seconds * 1000,
    p99Ms: seconds * 1000,
    seconds,
    ...perOpFigures(spent, count * runCount, counts),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    note: 'per-op = per stale user; all shards in parallel, batches of SWEEP_BATCH_SIZE',
  };
  b.results.push(result);
  return result;
}
