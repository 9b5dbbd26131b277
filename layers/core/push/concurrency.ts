/**
 * Runs `task` over `items` with at most `limit` in flight, refilling in
 * batches: new tasks start only once half of the window has finished (or
 * nothing is left to wait for). Starting one post per finished post keeps
 * the event loop on one request per turn; batches let Node write and read
 * many sockets per turn, which measured ~1.5x more posts per CPU-second
 * through the AWS SDK client (README, Performance), while one slow post never
 * stalls the rest.
 *
 * Resolves when every task has settled. Tasks are expected to handle their
 * own errors; a rejected task counts as finished and never hangs the batch.
 */
export function forEachBounded<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  const window = Math.max(1, Math.floor(limit));
  const refillAt = window >> 1;
  let next = 0;
  let inFlight = 0;
  return new Promise<void>((resolve) => {
    const finished = (): void => {
      inFlight--;
      if (inFlight <= refillAt) launch();
    };
    const launch = (): void => {
      while (inFlight < window && next < items.length) {
        const item = items[next++]!;
        inFlight++;
        let started: Promise<void>;
        try {
          started = task(item);
        } catch {
          started = Promise.resolve();
        }
        started.then(finished, finished);
      }
      if (inFlight === 0) resolve();
    };
    launch();
  });
}
