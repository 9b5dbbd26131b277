/**
 * Every timer the client starts, so stop() can cancel them all: none survives it.
 */
export class Timers {
  /**
   * @param {{ setTimeout: (callback: () => void, ms: number) => unknown, clearTimeout: (handle: unknown) => void }} host
   */
  constructor(host) {
    this.host = host;
    /** @type {Set<unknown>} */
    this.live = new Set();
  }

  /**
   * @param {() => void} callback
   * @param {number} ms
   * @returns {unknown} a handle for cancel()
   */
  later(callback, ms) {
    const handle = this.host.setTimeout(
      () => {
        this.live.delete(handle);
        callback();
      },
      Math.max(0, ms),
    );
    this.live.add(handle);
    return handle;
  }

  /** @param {unknown} handle */
  cancel(handle) {
    if (handle === undefined || !this.live.has(handle)) return;
    this.live.delete(handle);
    this.host.clearTimeout(handle);
  }

  cancelAll() {
    for (const handle of this.live) this.host.clearTimeout(handle);
    this.live.clear();
  }
}

/** The host's timers, looked up at each call (so test fake timers installed later apply). */
export const hostTimers = {
  /** @param {() => void} callback @param {number} ms */
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  /** @param {unknown} handle what setTimeout above returned */
  clearTimeout: (handle) => globalThis.clearTimeout(/** @type {ReturnType<typeof globalThis.setTimeout>} */ (handle)),
};
