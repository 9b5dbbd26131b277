/** `npm start`'s settings (local/start-options.ts) and its one-line start-up failures (local/startup-failure.ts). */
import { readStartOptions } from '../../local/start-options';
import { startupFailureLine } from '../../local/startup-failure';

function failure(env: NodeJS.ProcessEnv): string {
  try {
    readStartOptions(env);
  } catch (error) {
    return startupFailureLine(error);
  }
  throw new Error('the settings were accepted');
}

describe('readStartOptions', () => {
  it('reads the defaults of a fresh machine', () => {
    expect(readStartOptions({})).toEqual({
      port: 3000,
      wsPort: 3001,
      idpPort: 3002,
      databaseUrl: undefined,
      redisUrl: undefined,
      redisMode: 'auto',
      redisKeyPrefix: undefined,
      presenceTimeoutSeconds: undefined,
      statusShards: undefined,
      sweepIntervalSeconds: undefined,
      idleTimeoutSeconds: undefined,
      maxConnectionSeconds: undefined,
      logLevel: 'WARN',
    });
  });

  it('reads every setting', () => {
    expect(
      readStartOptions({
        PORT: '0',
        WS_PORT: '4001',
        IDP_PORT: '4002',
        DATABASE_URL: 'postgresql://app@db.internal:5433/presence',
        REDIS_URL: 'rediss://cache.internal:6380',
        LOCAL_REDIS: 'redis-server',
        REDIS_KEY_PREFIX: 'mine:',
        PRESENCE_TIMEOUT_SECONDS: '30',
        STATUS_SHARDS: '4',
        SWEEP_INTERVAL_SECONDS: '5',
        WS_IDLE_TIMEOUT_SECONDS: '60',
        WS_MAX_CONNECTION_SECONDS: '600',
        POWERTOOLS_LOG_LEVEL: 'info',
      }),
    ).toMatchObject({
      port: 0,
      wsPort: 4001,
      idpPort: 4002,
      databaseUrl: 'postgresql://app@db.internal:5433/presence',
      redisUrl: 'rediss://cache.internal:6380',
      redisMode: 'redis-server',
      presenceTimeoutSeconds: 30,
      statusShards: 4,
      sweepIntervalSeconds: 5,
      idleTimeoutSeconds: 60,
      maxConnectionSeconds: 600,
      logLevel: 'INFO',
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a port number from 0 to 65535 (0 = any free port), got "abc".'],
    [{ WS_PORT: '70000' }, 'WS_PORT must be a port number from 0 to 65535 (0 = any free port), got "70000".'],
    [{ PORT: '4000', IDP_PORT: '4000' }, 'PORT and IDP_PORT are both 4000; each server needs its own port.'],
    [{ PRESENCE_TIMEOUT_SECONDS: 'abc' }, 'PRESENCE_TIMEOUT_SECONDS must be a whole number of seconds from 1 to 86400, got "abc"'],
    [{ SWEEP_INTERVAL_SECONDS: '0' }, 'SWEEP_INTERVAL_SECONDS must be a whole number of seconds from 1 to 86400, got "0"'],
    [{ STATUS_SHARDS: '2.5' }, 'STATUS_SHARDS must be a whole number from 1 to 1024, got "2.5".'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL is not a URL; it takes the form redis://127.0.0.1:6379'],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL must start with redis:// or rediss://, got http://'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL must start with redis:// or rediss://, got localhost://'],
    [{ DATABASE_URL: 'mysql://root@127.0.0.1/presence' }, 'DATABASE_URL must start with postgres:// or postgresql://, got mysql://'],
    [{ LOCAL_REDIS: 'docker' }, 'LOCAL_REDIS must be auto, redis-server or emulator, got "docker".'],
    [
      { POWERTOOLS_LOG_LEVEL: 'LOUD' },
      'POWERTOOLS_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT, got "LOUD".',
    ],
  ])('%j stops with one line', (env, expected) => {
    const line = failure(env);
    expect(line).toContain(expected);
    expect(line).not.toContain('\n');
    expect(line).not.toMatch(/\bat \S+:\d+/); // no stack trace
  });

  it('never repeats a URL it refuses (it may hold a password)', () => {
    expect(failure({ REDIS_URL: 'http://:s3cret@127.0.0.1:6379' })).not.toContain('s3cret');
    expect(failure({ DATABASE_URL: 'mysql://root:s3cret@127.0.0.1/db' })).not.toContain('s3cret');
  });
});

describe('startupFailureLine', () => {
  it('names the variable of a port in use and how to choose others', () => {
    const error = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:3001'), { code: 'EADDRINUSE', port: 3001 });
    expect(startupFailureLine(error, { port: 3000, wsPort: 3001, idpPort: 3002 })).toBe(
      'Port 3001 (WS_PORT) is already in use on 127.0.0.1 (another npm start?): stop that process, or choose free ports, ' +
        'e.g. PORT=4000 WS_PORT=4001 IDP_PORT=4002 npm start (0 = any free port).',
    );
  });

  it('explains the handlers’ own configuration errors in one line', () => {
    const error = Object.assign(new Error('FRIEND_CACHE_TTL_SECONDS must be an integer between 0 and 3600, got "abc"'), {
      name: 'ConfigError',
    });
    expect(startupFailureLine(error)).toBe(
      'Configuration error: FRIEND_CACHE_TTL_SECONDS must be an integer between 0 and 3600, got "abc" (set in your environment; fix or unset it).',
    );
  });

  it('keeps the stack trace of anything unexpected (a bug)', () => {
    const line = startupFailureLine(new TypeError('x is undefined'));
    expect(line).toMatch(/^The local stack failed to start \(a bug; please report it\): TypeError: x is undefined\n\s+at /);
  });
});
