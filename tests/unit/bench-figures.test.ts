import { PassThrough } from 'node:stream';
import { split } from '../../bench/containers';
import { billedMs, distribution } from '../../bench/lambda-report';
import { OutputCounter } from '../../bench/lambda-process';
import { END_OF_INVOCATION } from '../../bench/lambda-protocol';
import { differencesFromTemplate } from '../../bench/lambda-template';
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

  it('bills an invocation as Lambda does: its wall time rounded up to the millisecond, at least 1 ms', () => {
    expect([0.05, 0.99, 1, 1.0001, 12.2, 150].map(billedMs)).toEqual([1, 1, 1, 2, 13, 150]);
    expect(distribution([1, 1, 2, 9, 1])).toEqual({ median: 1, p90: 9, mean: 2.8 });
  });

  it('counts what an environment writes per invocation, however the stream cuts it', async () => {
    const stream = new PassThrough();
    const counter = new OutputCounter(stream);
    const log = '{"level":"INFO","message":"websocket route"}\n';
    const emf = '{"_aws":{"CloudWatchMetrics":[]}}\n';
    const text = `${log}${emf}${END_OF_INVOCATION}${END_OF_INVOCATION}${log}${END_OF_INVOCATION}`;
    // Byte by byte: a mark split over chunks must still end its invocation, and count as nothing.
    for (const byte of Buffer.from(text)) stream.write(Buffer.of(byte));
    expect(await counter.next()).toEqual({ bytes: Buffer.byteLength(log + emf), lines: 2 });
    expect(await counter.next()).toEqual({ bytes: 0, lines: 0 });
    expect(await counter.next()).toEqual({ bytes: Buffer.byteLength(log), lines: 1 });
    const pending = counter.next();
    stream.write(`é\n${END_OF_INVOCATION}`);
    expect(await pending).toEqual({ bytes: 3, lines: 1 });
  });

  it("names each setting that differs from the template's, and the watched ones the template leaves unset", () => {
    const template = { POWERTOOLS_LOG_LEVEL: 'INFO', MESSAGE_RATE_LIMIT: '120', STATUS_SHARDS: '16' };
    const actual = { POWERTOOLS_LOG_LEVEL: 'SILENT', MESSAGE_RATE_LIMIT: '120', POWERTOOLS_METRICS_DISABLED: 'true', PATH: '/bin' };
    expect(differencesFromTemplate(template, actual, ['POWERTOOLS_METRICS_DISABLED', 'FRIEND_CACHE_TTL_SECONDS'])).toEqual([
      'POWERTOOLS_LOG_LEVEL=SILENT (template: INFO)',
      'POWERTOOLS_METRICS_DISABLED=true (template: unset)',
    ]);
    expect(differencesFromTemplate(template, { ...template }, ['POWERTOOLS_METRICS_DISABLED'])).toEqual([]);
  });
});
