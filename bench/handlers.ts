/**
 * The handlers the benchmark drives. Each creates its runtime (config,
 * clients) at module scope, as in Lambda, so this module is only loaded once
 * the environment points at the benchmark's database, key prefix and sink:
 * by bench/fixtures.ts with `await import('./handlers')` after configureEnv,
 * and statically by bench/container-worker.ts, whose thread starts with that
 * environment already in place.
 */
export { handler as getPresence } from '../handlers/get-presence';
export { handler as getUserPresence } from '../handlers/get-user-presence';
export { handler as heartbeat } from '../handlers/heartbeat';
export { handler as sweepShard } from '../handlers/sweep-shard';
export { handler as updatePresence } from '../handlers/update-presence';
