import { split } from '../../bench/containers';
import { requestsPerSecond } from '../../bench/redis-floor';
import { median, mergeSorted, percentile, summarize } from '../../bench/support';

describe('benchmark figures', () => {
  it('reads the final rate from redis-benchmark -q output, past its carriage-return progress lines', () => {
    const output =
      'evalsha abc 3 k1 k2 k3: rps=31234.0 (overall: 30120.5) avg_msec=0.400 (overall: 0.410)\r' +
      'evalsha abc 3 k1 k2 k3: rps=36000.0 (overall: 35500.1) avg_msec=0.390 (overall: 0.395)\r' +
      'evalsha abc 3 k1 k2 k3: 36186.24 requests per second, p50=0.263 msec\n';
    expect(requestsPerSecond(output)).toBe(36186.24);
  });

  it('refuses output without a rate instead of reporting zero', () => {
    expect(() => requestsPerSecond('ERR unknown command\n')).toThrow(/no rate/);
  });

  it('splits concurrency over containers without losing or inventing calls', () => {
    expect(split(16, 2)).toEqual([8, 8]);
    expect(split(1, 2)).toEqual([1, 0]);
    expect(split(17, 3)).toEqual([6, 6, 5]);
    expect(split(16, 3).reduce((a, b) => a + b, 0)).toBe(16);
  });

  it('takes medians and nearest-rank percentiles', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
  });

  it('summarizes merged runs from their sorted latencies', () => {
    const merged = mergeSorted([
      [1, 4],
      [2, 3],
    ]);
    expect(merged).toEqual([1, 2, 3, 4]);
    expect(summarize(merged, 1, 2000)).toEqual({ ops: 4, errors: 1, elapsedMs: 2000, opsPerSec: 2, p50Ms: 2, p99Ms: 4 });
  });
});
