/**
 * An in-process Redis emulation for `npm start` on machines with neither REDIS_URL nor redis-server:
 * RESP2 over loopback TCP, sorted sets, hashes, expiry, SCAN and Lua scripting (wasmoon). It covers the
 * commands this project uses and nothing more; it is for trying the API, not for measuring or trusting it.
 */
export { startRedisEmulator, type RedisEmulator } from './server';
