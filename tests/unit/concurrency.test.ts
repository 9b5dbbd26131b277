import { forEachBounded } from '../../layers/core/push/concurrency';

/** A task whose completion the test controls. */
function controllable() {
  const running = new Map<number, () => void>();
  const started: number[] = [];
  let maxInFlight = 0;
  const task = (item: number): Promise<void> =>
    new Promise<void>((resolve) => {
      started.push(item);
      running.set(item, () => {
        running.delete(item);
        resolve();
      });
      maxInFlight = Math.max(maxInFlight, running.size);
    });
  const finish = async (...items: number[]): Promise<void> => {
    for (const item of items) running.get(item)!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { task, started, running, finish, maxInFlight: () => maxInFlight };
}

describe('forEachBounded', () => {
  it('runs every item exactly once and resolves after the last', async () => {
    const seen: number[] = [];
    const items = Array.from({ length: 250 }, (_, i) => i);
    await forEachBounded(items, 16, async (item) => {
      await new Promise((resolve) => setTimeout(resolve, item % 3));
      seen.push(item);
    });
    expect(seen.sort((a, b) => a - b)).toEqual(items);
  });

  it('never has more than the limit in flight, and refills only once half the window has finished', async () => {
    const c = controllable();
    const done = forEachBounded(
      Array.from({ length: 10 }, (_, i) => i),
      4,
      c.task,
    );
    expect(c.started).toEqual([0, 1, 2, 3]);
    await c.finish(0);
    expect(c.started).toHaveLength(4); // 3 in flight: above half, no refill yet
    await c.finish(1);
    expect(c.started).toEqual([0, 1, 2, 3, 4, 5]); // 2 in flight (half): topped up to 4
    await c.finish(2, 3, 4, 5);
    expect(c.started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await c.finish(6, 7, 8, 9);
    await done;
    expect(c.maxInFlight()).toBe(4);
  });

  it('does not stall behind one slow task', async () => {
    const c = controllable();
    const done = forEachBounded([0, 1, 2, 3, 4, 5, 6, 7], 4, c.task);
    await c.finish(1, 2, 3); // 0 hangs; the refill at half the window started 4 and 5
    expect(c.started).toEqual([0, 1, 2, 3, 4, 5]);
    await c.finish(4);
    expect(c.started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await c.finish(5, 6);
    let resolved = false;
    void done.then(() => (resolved = true));
    await c.finish(7);
    expect(resolved).toBe(false); // 0 is still running
    await c.finish(0);
    expect(resolved).toBe(true);
  });

  it('resolves at once for no items', async () => {
    await expect(forEachBounded([], 8, () => Promise.reject(new Error('never called')))).resolves.toBeUndefined();
  });

  it('treats a rejected or throwing task as finished instead of hanging', async () => {
    const seen: number[] = [];
    await forEachBounded([1, 2, 3, 4, 5], 2, (item) => {
      seen.push(item);
      if (item === 2) throw new Error('sync');
      return item === 3 ? Promise.reject(new Error('async')) : Promise.resolve();
    });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('treats a limit below one as one', async () => {
    const c = controllable();
    const done = forEachBounded([0, 1], 0, c.task);
    expect(c.started).toEqual([0]);
    await c.finish(0);
    await c.finish(1);
    await done;
  });
});
