import { ConfigError, loadConfig, loadJwtConfig } from '../../layers/core/config';
import { restHandler } from '../../layers/core/lambda/build';

const base = { REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'postgres://localhost/db' };

describe('loadConfig', () => {
  it('reads the REST user id from the ID token claim matching USER_ID_CLAIM', () => {
    expect(loadConfig(base).userIdClaim).toBe('cognito:username');
    // REST requests carry ID tokens: an access token's `username` is their `cognito:username`.
    expect(loadConfig({ ...base, JWT_TOKEN_USE: 'access' }).userIdClaim).toBe('cognito:username');
    expect(loadConfig({ ...base, JWT_TOKEN_USE: 'access', USER_ID_CLAIM: 'sub' }).userIdClaim).toBe('sub');
  });

  it('applies defaults chosen for a 60-second heartbeat', () => {
    const config = loadConfig(base);
    expect(config.presence.timeoutMs).toBe(150_000);
    expect(config.presence.statusShards).toBe(16);
    expect(config.presence.connectionMaxAgeMs).toBe(7_200_000);
    expect(config.presence.pushTimeoutMs).toBe(2_000);
    expect(config.presence.offlineGraceMs).toBe(30_000);
    expect(config.redis).toMatchObject({ host: '127.0.0.1', port: 6379, tls: false, cluster: false });
  });

  it('reads AWS-style parts when no URLs are given', () => {
    const config = loadConfig({
      REDIS_HOST: 'cache.local',
      REDIS_TLS: 'true',
      REDIS_CLUSTER: 'true',
      PGHOST: 'db.local',
      PGDATABASE: 'users',
      PGUSER: 'presence',
      PG_PASSWORD_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:x',
    });
    expect(config.redis).toMatchObject({ host: 'cache.local', port: 6379, tls: true, cluster: true });
    expect(config.postgres).toMatchObject({ host: 'db.local', database: 'users', user: 'presence' });
  });

  it('takes a connection cap of a few seconds (the local stack with time compressed)', () => {
    const compressed = loadConfig({ ...base, CONNECTION_MAX_AGE_SECONDS: '5', PRESENCE_TIMEOUT_SECONDS: '5' });
    expect(compressed.presence.connectionMaxAgeMs).toBe(5_000);
    expect(compressed.presence.timeoutMs).toBe(5_000);
    expect(loadConfig({ ...base, CONNECTION_MAX_AGE_SECONDS: '1' }).presence.connectionMaxAgeMs).toBe(1_000);
  });

  it('takes CORS origins as * or a list, kept as browsers send them', () => {
    expect(loadConfig(base).corsAllowOrigins).toBe('*');
    expect(loadConfig({ ...base, CORS_ALLOW_ORIGIN: ' * ' }).corsAllowOrigins).toBe('*');
    const extension = `chrome-extension://${'abcdefghijklmnop'.repeat(2)}`;
    expect(loadConfig({ ...base, CORS_ALLOW_ORIGIN: `https://Chat.Example.com, ${extension} ,http://localhost:3000,https://a.example:443` }).corsAllowOrigins).toEqual([
      'https://chat.example.com',
      extension,
      'http://localhost:3000',
      'https://a.example',
    ]);
  });

  it('reads the app clients the REST functions accept (none: restHandler refuses to start)', () => {
    expect(loadConfig({ ...base, JWT_CLIENT_IDS: 'web, extension' }).restClientIds).toEqual(['web', 'extension']);
    const withoutClients = loadConfig(base);
    expect(withoutClients.restClientIds).toEqual([]);
    const route = async () => ({ statusCode: 200, body: '' });
    expect(() => restHandler(withoutClients, route)).toThrow(ConfigError);
    expect(() => restHandler(withoutClients, route)).toThrow(/^JWT_CLIENT_IDS must list at least one app client id/);
    expect(typeof restHandler(loadConfig({ ...base, JWT_CLIENT_IDS: 'web' }), route)).toBe('function');
  });

  it('speaks TLS to REDIS_HOST unless turned off, and reads the credentials secret only there (REDIS_URL carries its own)', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:presence-redis-AbCdEf';
    const parts = { ...base, REDIS_URL: '', REDIS_HOST: 'cache.local', REDIS_AUTH_SECRET_ARN: arn };
    expect(loadConfig(parts).redis).toMatchObject({ tls: true, authSecretArn: arn });
    expect(loadConfig({ ...parts, REDIS_TLS: 'false' }).redis.tls).toBe(false);
    const fromUrl = loadConfig({ ...base, REDIS_AUTH_SECRET_ARN: arn }).redis;
    expect(fromUrl.tls).toBe(false);
    expect(fromUrl.authSecretArn).toBeUndefined();
    expect(loadConfig({ ...base, REDIS_URL: 'rediss://user:p%40ss@cache.local:6380' }).redis).toMatchObject({
      tls: true,
      port: 6380,
      username: 'user',
      password: 'p@ss',
    });
  });

  it.each([
    [{ ...base, CORS_ALLOW_ORIGIN: '*,https://chat.example.com' }, /CORS_ALLOW_ORIGIN must be \* alone or a comma-separated list of origins .* got "\*"/],
    [{ ...base, CORS_ALLOW_ORIGIN: 'https://chat.example.com/app' }, /got "https:\/\/chat.example.com\/app"/],
    [{ ...base, CORS_ALLOW_ORIGIN: 'chat.example.com' }, /got "chat.example.com"/],
    [{ ...base, CORS_ALLOW_ORIGIN: 'https://chat.example.com:99999' }, /got "https:\/\/chat.example.com:99999"/],
    [{ ...base, CORS_ALLOW_ORIGIN: 'chrome-extension://abcdefghijklmnopqrstuvwxyzabcdef' }, /chrome-extension:\/\/<32 letters a-p>/],
    [{ REDIS_HOST: 'cache.local', REDIS_AUTH_SECRET_ARN: 'presence-redis', DATABASE_URL: base.DATABASE_URL }, /REDIS_AUTH_SECRET_ARN must be the full ARN of a Secrets Manager secret/],
  ])('refuses a malformed CORS origin or secret ARN with one line (%#)', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it.each([
    [{ ...base, CONNECTION_MAX_AGE_SECONDS: '0' }, /CONNECTION_MAX_AGE_SECONDS must be an integer between 1 and 7200/],
    [{}, /REDIS_HOST/],
    [{ REDIS_URL: 'http://x' }, /redis:\/\//],
    [{ ...base, STATUS_SHARDS: '0' }, /STATUS_SHARDS must be an integer/],
    [{ ...base, PRESENCE_TIMEOUT_SECONDS: 'soon' }, /PRESENCE_TIMEOUT_SECONDS/],
    [{ ...base, REDIS_CLUSTER: 'maybe' }, /REDIS_CLUSTER must be true or false/],
    [{ REDIS_URL: base.REDIS_URL }, /PGHOST/],
    [{ ...base, PUSH_TIMEOUT_MS: '10' }, /PUSH_TIMEOUT_MS must be an integer between 50 and 30000/],
    [{ ...base, PUSH_TIMEOUT_MS: '2s' }, /PUSH_TIMEOUT_MS/],
    [{ ...base, OFFLINE_GRACE_SECONDS: '301' }, /OFFLINE_GRACE_SECONDS must be an integer between 0 and 300/],
  ])('fails fast with a clear message (%#)', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('loadJwtConfig', () => {
  it('configures Cognito', () => {
    expect(loadJwtConfig({ COGNITO_USER_POOL_ID: 'us-east-1_abc', JWT_CLIENT_IDS: 'a, b' })).toEqual({
      kind: 'cognito',
      userPoolId: 'us-east-1_abc',
      clientIds: ['a', 'b'],
      tokenUse: 'id',
      userIdClaim: 'cognito:username',
    });
  });

  it("takes the user id from the token type's username claim by default, as the original service did", () => {
    const cognito = { COGNITO_USER_POOL_ID: 'us-east-1_abc', JWT_CLIENT_IDS: 'c' };
    expect(loadJwtConfig(cognito).userIdClaim).toBe('cognito:username');
    expect(loadJwtConfig({ ...cognito, JWT_TOKEN_USE: 'access' }).userIdClaim).toBe('username');
    expect(loadJwtConfig({ ...cognito, USER_ID_CLAIM: 'sub' }).userIdClaim).toBe('sub');
  });

  it.each([
    ['access', 'cognito:username', /USER_ID_CLAIM=cognito:username is never in access tokens \(JWT_TOKEN_USE=access\); use username or sub/],
    ['access', 'custom:user_id', /never in access tokens/],
    ['id', 'username', /USER_ID_CLAIM=username is never in id tokens \(JWT_TOKEN_USE=id\); use cognito:username or sub/],
  ])('refuses a %s token with USER_ID_CLAIM=%s, which can never match', (tokenUse, claim, message) => {
    const env = { COGNITO_USER_POOL_ID: 'us-east-1_abc', JWT_CLIENT_IDS: 'c', JWT_TOKEN_USE: tokenUse, USER_ID_CLAIM: claim };
    expect(() => loadJwtConfig(env)).toThrow(ConfigError);
    expect(() => loadJwtConfig(env)).toThrow(message);
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });

  it('configures any issuer with a JWKS URL', () => {
    const config = loadJwtConfig({ JWT_ISSUER: 'http://127.0.0.1:1/pool', JWT_JWKS_URI: 'http://127.0.0.1:1/jwks', JWT_CLIENT_IDS: 'c', JWT_TOKEN_USE: 'access' });
    expect(config).toMatchObject({ kind: 'generic', tokenUse: 'access' });
  });

  it.each([
    [{ JWT_CLIENT_IDS: 'c' }, /COGNITO_USER_POOL_ID/],
    [{ COGNITO_USER_POOL_ID: 'us-east-1_abc' }, /JWT_CLIENT_IDS/],
    [{ COGNITO_USER_POOL_ID: 'nope', JWT_CLIENT_IDS: 'c' }, /look like/],
    [{ COGNITO_USER_POOL_ID: 'us-east-1_abc', JWT_CLIENT_IDS: 'c', JWT_TOKEN_USE: 'refresh' }, /JWT_TOKEN_USE/],
  ])('fails fast (%#)', (env, message) => {
    expect(() => loadJwtConfig(env)).toThrow(message);
  });
});
