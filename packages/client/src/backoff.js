/**
 * Full-jitter exponential backoff: the n-th retry waits a uniform random time in
 * [0, min(cap, base * 2^n)), so clients cut off together do not come back together.
 *
 * @param {number} attempt retries already made since the last success (0 for the first)
 * @param {{ baseMs: number, capMs: number }} limits
 * @param {() => number} random uniform in [0, 1)
 * @returns {number} milliseconds to wait
 */
export function fullJitterDelay(attempt, limits, random) {
  const ceiling = Math.min(limits.capMs, limits.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.floor(random() * ceiling);
}

/**
 * After the server closed a connection for flooding: at least half the cap, so one misbehaving
 * client cannot reconnect and flood again at once.
 *
 * @param {{ capMs: number }} limits
 * @param {() => number} random
 * @returns {number}
 */
export function floodDelay(limits, random) {
  return Math.floor(limits.capMs / 2 + (random() * limits.capMs) / 2);
}
