/** The @connections client's pure parts: credentials and their refresh, the SDK's retry arithmetic, error classification. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  CredentialCache,
  defaultCredentialProvider,
  environmentCredentials,
  type CredentialProvider,
  type Credentials,
} from '../../layers/core/push/credentials';
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
    const cache = new CredentialCache(() =>
      fail ? Promise.reject(new Error('no credentials')) : Promise.resolve({ accessKeyId: 'k', secretAccessKey: 's' }),
    );
    await expect(cache.get()).rejects.toThrow('no credentials');
    fail = false;
    await expect(cache.get()).resolves.toMatchObject({ accessKeyId: 'k' });
  });
});

describe('credentials from the environment first, the SDK chain only without them', () => {
  const KEYS = { AWS_ACCESS_KEY_ID: 'ASIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret' };

  it('reads the variables the SDK reads: keys, session token, expiration', () => {
    expect(environmentCredentials(KEYS)).toEqual({ accessKeyId: 'ASIAENV', secretAccessKey: 'env-secret' });
    expect(environmentCredentials({ ...KEYS, AWS_SESSION_TOKEN: 'token', AWS_CREDENTIAL_EXPIRATION: '2030-01-02T03:04:05Z' })).toEqual({
      accessKeyId: 'ASIAENV',
      secretAccessKey: 'env-secret',
      sessionToken: 'token',
      expiration: new Date('2030-01-02T03:04:05Z'),
    });
  });

  it('has none without both keys, or when AWS_PROFILE names a profile (the SDK then skips the environment)', () => {
    expect(environmentCredentials({})).toBeUndefined();
    expect(environmentCredentials({ AWS_ACCESS_KEY_ID: 'ASIAENV' })).toBeUndefined();
    expect(environmentCredentials({ AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'token' })).toBeUndefined();
    expect(environmentCredentials({ ...KEYS, AWS_PROFILE: 'dev' })).toBeUndefined();
  });

  /** A chain loader that counts its loads and its calls. */
  const countingChain = (credentials: Credentials) => {
    const counts = { loads: 0, calls: 0 };
    const load = (): Promise<CredentialProvider> => {
      counts.loads++;
      return Promise.resolve(() => {
        counts.calls++;
        return Promise.resolve(credentials);
      });
    };
    return { counts, load };
  };

  it('answers from the environment without loading the chain', async () => {
    const chain = countingChain({ accessKeyId: 'CHAIN', secretAccessKey: 's' });
    const provider = defaultCredentialProvider({ ...KEYS, AWS_SESSION_TOKEN: 'token' }, chain.load);
    await expect(provider()).resolves.toEqual({ accessKeyId: 'ASIAENV', secretAccessKey: 'env-secret', sessionToken: 'token' });
    expect(chain.counts).toEqual({ loads: 0, calls: 0 });
  });

  it('loads the chain once when the environment has no credentials, and asks it on every call', async () => {
    const chain = countingChain({ accessKeyId: 'CHAIN', secretAccessKey: 's' });
    const provider = defaultCredentialProvider({ AWS_PROFILE: 'dev', ...KEYS }, chain.load);
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'CHAIN' });
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'CHAIN' });
    expect(chain.counts).toEqual({ loads: 1, calls: 2 });
  });

  it('loads the chain again after a failed load', async () => {
    let loads = 0;
    const provider = defaultCredentialProvider({}, () => {
      loads++;
      return loads === 1
        ? Promise.reject(new Error('cannot load'))
        : Promise.resolve(() => Promise.resolve({ accessKeyId: 'k', secretAccessKey: 's' }));
    });
    await expect(provider()).rejects.toThrow('cannot load');
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'k' });
    expect(loads).toBe(2);
  });

  it('the client and its gateway load without the SDK credential chain, and sign from the environment without it', () => {
    const script = `
      const { ApiGatewayConnectionGateway } = require('./layers/core/push/connection-gateway');
      const { CredentialCache } = require('./layers/core/push/credentials');
      const chainLoaded = () => Object.keys(require.cache).some((file) => file.includes('credential-provider-node'));
      const before = chainLoaded();
      ApiGatewayConnectionGateway.create('https://abc123.execute-api.eu-west-1.amazonaws.com/prod', 'eu-west-1', 1).client.close();
      new CredentialCache().get().then((credentials) => {
        process.stdout.write(JSON.stringify({ before, after: chainLoaded(), key: credentials.accessKeyId }));
      });
    `;
    const env = { PATH: process.env.PATH, AWS_ACCESS_KEY_ID: 'ASIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret' };
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: join(__dirname, '..', '..'),
      env,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ before: false, after: false, key: 'ASIAENV' });
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

  it("names an error without a string code by its name (an AbortSignal's DOMException has a numeric one)", () => {
    const aborted = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(aborted.code).toBe(23);
    expect(errorFromTransport('PostToConnection', aborted)).toMatchObject({ code: 'TimeoutError', retryable: true, timeout: true });
  });

  it('does not retry unknown local failures (bad credentials, bugs)', () => {
    expect(errorFromTransport('PostToConnection', new TypeError('boom'))).toMatchObject({ code: 'TypeError', retryable: false });
  });
});
