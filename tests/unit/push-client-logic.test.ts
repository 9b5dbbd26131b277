/** The lean client's pure parts: credential refresh, the SDK's retry arithmetic, error classification. */
import { CredentialCache, type Credentials } from '../../layers/core/push/credentials';
import { PushError, errorFromResponse, errorFromTransport } from '../../layers/core/push/push-error';
import { RetryStrategy, STANDARD_RETRY } from '../../layers/core/push/retry';

const MINUTE = 60_000;

describe('CredentialCache', () => {
  const provider = (expiresInMs?: number) => {
    let calls = 0;
    let now = 1_000_000;
    const cache = new CredentialCache(
      async () => {
        calls++;
        await new Promise((resolve) => setImmediate(resolve));
        return {
          accessKeyId: `key-${calls}`,
          secretAccessKey: 's',
          expiration: expiresInMs === undefined ? undefined : new Date(now + expiresInMs),
        } satisfies Credentials;
      },
      () => now,
    );
    return { cache, calls: () => calls, advance: (ms: number) => (now += ms) };
  };

  it('resolves once and answers synchronously after that when the credentials never expire', async () => {
    const p = provider();
    expect(p.cache.current()).toBeUndefined();
    await p.cache.get();
    p.advance(24 * 60 * MINUTE);
    expect(p.cache.current()?.accessKeyId).toBe('key-1');
    expect(p.calls()).toBe(1);
  });

  it('refreshes 5 minutes before expiry, one refresh shared by concurrent callers', async () => {
    const p = provider(60 * MINUTE);
    await p.cache.get();
    p.advance(54 * MINUTE);
    expect(p.cache.current()?.accessKeyId).toBe('key-1');
    p.advance(2 * MINUTE);
    expect(p.cache.current()).toBeUndefined();
    const all = await Promise.all(Array.from({ length: 10 }, () => p.cache.get()));
    expect(all.map((c) => c.accessKeyId)).toEqual(Array(10).fill('key-2'));
    expect(p.calls()).toBe(2);
  });

  it('retries a failed refresh on the next call instead of caching the failure', async () => {
    let fail = true;
    const cache = new CredentialCache(async () => {
      if (fail) throw new Error('no credentials');
      return { accessKeyId: 'k', secretAccessKey: 's' };
    });
    await expect(cache.get()).rejects.toThrow('no credentials');
    fail = false;
    await expect(cache.get()).resolves.toMatchObject({ accessKeyId: 'k' });
  });
});

describe('RetryStrategy (the SDK standard)', () => {
  const retryable = errorFromResponse('PostToConnection', 503, undefined);
  const throttled = errorFromResponse('PostToConnection', 429, 'LimitExceededException');

  it('full jitter under min(base x 2^i, 20 s), base 100 ms, 500 ms after throttling, 3 attempts', () => {
    const top = new RetryStrategy({ ...STANDARD_RETRY, random: () => 0.999999 });
    expect(top.retryDelay(1, retryable)?.delayMs).toBe(99);
    expect(top.retryDelay(2, retryable)?.delayMs).toBe(199);
    expect(top.retryDelay(3, retryable)).toBeUndefined();
    expect(top.retryDelay(1, throttled)?.delayMs).toBe(499);
    const long = new RetryStrategy({ ...STANDARD_RETRY, maxAttempts: 20, random: () => 0.999999 });
    expect(long.retryDelay(15, retryable)?.delayMs).toBe(19_999);
    const bottom = new RetryStrategy({ ...STANDARD_RETRY, random: () => 0 });
    expect(bottom.retryDelay(1, retryable)?.delayMs).toBe(0);
  });

  it('never retries what retrying cannot fix', () => {
    const strategy = new RetryStrategy();
    for (const [status, type] of [
      [400, 'BadRequestException'],
      [403, 'ForbiddenException'],
      [413, 'PayloadTooLargeException'],
    ] as const) {
      expect(strategy.retryDelay(1, errorFromResponse('PostToConnection', status, type))).toBeUndefined();
    }
  });

  it('charges 5 per retry, 10 after a timeout, from 500 tokens; a success refunds', () => {
    const strategy = new RetryStrategy({ ...STANDARD_RETRY, random: () => 0 });
    expect(strategy.retryDelay(1, retryable)?.cost).toBe(5);
    const timeout = errorFromTransport('PostToConnection', Object.assign(new Error('late'), { code: 'TimeoutError' }));
    expect(strategy.retryDelay(1, timeout)?.cost).toBe(10);
    expect(strategy.remainingCapacity).toBe(485);
    strategy.recordSuccess(10);
    expect(strategy.remainingCapacity).toBe(495);
    strategy.recordSuccess(0);
    strategy.recordSuccess(0);
    expect(strategy.remainingCapacity).toBe(497);
  });
});

describe('PushError classification', () => {
  it.each([
    [429, undefined, true, true],
    [400, 'LimitExceededException', true, true],
    [500, undefined, true, false],
    [502, undefined, true, false],
    [504, undefined, true, false],
    [501, undefined, true, false],
    [403, 'ForbiddenException', false, false],
    [400, 'BadRequestException', false, false],
    [413, 'PayloadTooLargeException', false, false],
  ])('%i %s: retryable %s, throttling %s', (status, type, retryable, throttling) => {
    expect(errorFromResponse('PostToConnection', status, type)).toMatchObject({ status, retryable, throttling });
  });

  it('reads the code of x-amzn-ErrorType without its suffix', () => {
    expect(errorFromResponse('PostToConnection', 403, 'ForbiddenException:http://internal.amazon.com/coral/').code).toBe(
      'ForbiddenException',
    );
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'])('%s is retryable', (code) => {
    const error = errorFromTransport('DeleteConnection', Object.assign(new Error('x'), { code }));
    expect(error).toBeInstanceOf(PushError);
    expect(error).toMatchObject({ code, retryable: true, status: undefined });
  });

  it('does not retry unknown local failures (bad credentials, bugs)', () => {
    expect(errorFromTransport('PostToConnection', new TypeError('boom'))).toMatchObject({ code: 'TypeError', retryable: false });
  });
});
