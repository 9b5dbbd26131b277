/** `npm run simulate` parameters: defaults, the compressed stack settings, and one clear line for each refusal. */
import { ParameterError, parseMix, parseParams, stackTimeSettings } from '../../simulator/params';

function refusal(argv: string[]): string {
  try {
    parseParams(argv, {});
  } catch (error) {
    expect(error).toBeInstanceOf(ParameterError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

describe('simulator parameters', () => {
  it('defaults to the reference profile at 30x', () => {
    const params = parseParams([], {})!;
    expect(params).toMatchObject({
      users: 200,
      hours: 1,
      warmupMinutes: 120,
      speed: 30,
      seed: 1,
      degree: { name: 'fixed', mean: 50 },
      onlineFraction: 0.4,
      sessionHours: 4,
      devices: 1.2,
      heartbeatSeconds: 60,
      dwellMeanSeconds: 144,
      dwellShape: 0.8,
      snapshotsPer8Hours: 10,
      abruptShare: 0.1,
      mix: { legacy: 1 },
      presenceTimeoutSeconds: 150,
      sweepIntervalSeconds: 60,
      connectionCapSeconds: 7200,
      idleTimeoutSeconds: 600,
      maxLagSeconds: 30,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      json: false,
      allowDirty: false,
    });
    expect(parseParams(['--help'], {})).toBeUndefined();
    expect(parseParams([], { DATABASE_URL: 'postgres://u@127.0.0.1:5433/x' })!.databaseUrl).toBe('postgres://u@127.0.0.1:5433/x');
  });

  it('divides every time setting of the stack by the speed', () => {
    expect(stackTimeSettings(parseParams([], {})!)).toEqual({
      PRESENCE_TIMEOUT_SECONDS: '5',
      SWEEP_INTERVAL_SECONDS: '2',
      WS_MAX_CONNECTION_SECONDS: '240',
      WS_IDLE_TIMEOUT_SECONDS: '20',
      MESSAGE_RATE_WINDOW_SECONDS: '2',
      FRIEND_CACHE_TTL_SECONDS: '1',
      OFFLINE_GRACE_SECONDS: '1',
      FANOUT_INTERVAL_MS: '67',
    });
    expect(stackTimeSettings(parseParams(['--grace', '60'], {})!)).toMatchObject({ OFFLINE_GRACE_SECONDS: '2' });
    // A client that negotiates its heartbeat sends it in the stack's (wall) seconds: whole ones too.
    expect(refusal(['--mix', 'subscribing=1', '--subscribing-heartbeat', '100'])).toContain('--subscribing-heartbeat (100 s)');
    expect(refusal(['--grace', '45'])).toContain('--grace (45 s)');
    expect(stackTimeSettings(parseParams(['--speed', '1'], {})!)).toMatchObject({ PRESENCE_TIMEOUT_SECONDS: '150', FANOUT_INTERVAL_MS: '2000' });
  });

  it('refuses a speed that does not give whole seconds, and names one that does', () => {
    expect(refusal(['--speed', '60'])).toBe(
      '--speed 60 does not divide --presence-timeout (150 s) into whole seconds; the largest speed up to 60 that divides every time setting is 30.',
    );
    expect(refusal(['--speed', '7'])).toContain('the largest speed up to 7 that divides every time setting is 6');
    expect(refusal(['--speed', '15', '--connection-cap', '100'])).toContain('--connection-cap (100 s)');
  });

  it('refuses what cannot be simulated, naming the flag', () => {
    expect(refusal(['--users', '1'])).toContain('--users takes a whole number from 2');
    expect(refusal(['--online-fraction', '1'])).toContain('--online-fraction');
    expect(refusal(['--devices', '2.5'])).toContain('--devices takes a mean from 1 to 2');
    expect(refusal(['--degree', 'gaussian'])).toContain('--degree takes one of fixed, poisson, lognormal, powerlaw');
    expect(refusal(['--mean-degree', '300'])).toContain('more than the other users there are');
    expect(refusal(['--degree', 'powerlaw', '--degree-alpha', '2'])).toContain('--degree-alpha');
    expect(refusal(['--heartbeat', '150'])).toContain('every user would be timed out between heartbeats');
    expect(refusal(['--hours', 'x'])).toContain('--hours takes a number of hours > 0, got "x"');
    expect(refusal(['--bogus'])).toContain("Unknown option '--bogus'");
    expect(refusal(['extra'])).toContain('unexpected argument "extra"');
  });

  it('reads the population mix, and refuses unknown client types', () => {
    expect(parseMix('legacy=3')).toEqual({ legacy: 1 });
    expect(parseMix('legacy')).toEqual({ legacy: 1 });
    expect(parseMix('legacy=1,subscribing=1,service-worker=2')).toEqual({ legacy: 0.25, subscribing: 0.25, 'service-worker': 0.5 });
    expect(refusal(['--mix', 'tablet=1'])).toContain('unknown client type "tablet"');
    expect(refusal(['--mix', 'legacy=0'])).toContain('at least one client type a share above 0');
  });
});
