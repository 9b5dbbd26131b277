/** Small helpers shared by the fault suites: timing an answer, waiting for recovery, catching crashes. */

export async function elapsedMs<T>(call: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await call();
  return { result, ms: Date.now() - started };
}

/** Polls `ok` every 100 ms until it holds; resolves how long that took (rejects after `limitMs` plus one try). */
export async function untilOk(ok: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await ok().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > limitMs) throw new Error(`not recovered after ${Date.now() - started} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Records uncaught exceptions and unhandled rejections in this worker: a dependency error that would
 * crash a Lambda container (an 'error' event nobody listens to) shows up here instead of killing jest.
 */
export function watchProcessErrors(): { seen(): string[]; stop(): void } {
  const seen: string[] = [];
  const record = (error: unknown) => seen.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  return {
    seen: () => seen.splice(0),
    stop: () => {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
    },
  };
}
