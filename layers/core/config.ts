/**
 * Configuration is read from the environment once, validated, and frozen.
 * A missing or malformed value fails the cold start with a message naming the
 * variable, instead of surfacing later as a confusing runtime error.
 */

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface RedisConfig {
  host: string;
  port: number;
  tls: boolean;
  cluster: boolean;
  username?: string;
  password?: string;
  /**
   * Secrets Manager secret holding the AUTH token (a plain string) or an RBAC user (JSON with username and
   * password), read once per container before the first command; only with REDIS_HOST (REDIS_URL carries
   * its own credentials).
   */
  authSecretArn?: string;
  keyPrefix: string;
  /** Bounded waits, well under the function timeout: an outage answers 503 instead of hanging. */
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

export interface PostgresConfig {
  /** A full connection string (local runs and tests); wins over the parts below. */
  connectionString?: string;
  host: string;
  port: number;
  database: string;
  user: string;
  /** Secrets Manager secret holding the password (plain string or JSON with `password`). */
  passwordSecretArn?: string;
  ssl: boolean;
  poolMax: number;
  /** Requests waiting for a pooled connection beyond this many are refused at once (503), never queued for seconds. */
  maxWaiting: number;
  connectTimeoutMs: number;
  /** Client-side read timeout and server-side statement_timeout of every query. */
  queryTimeoutMs: number;
}

export type TokenUse = 'id' | 'access';

export type JwtConfig =
  | { kind: 'cognito'; userPoolId: string; clientIds: string[]; tokenUse: TokenUse; userIdClaim: string }
  | { kind: 'generic'; issuer: string; jwksUri: string; clientIds: string[]; tokenUse: TokenUse; userIdClaim: string };

export interface PresenceConfig {
  /** A connection that did not negotiate its heartbeat is timed out after this long without a message. */
  timeoutMs: number;
  /**
   * How long a user whose last connection closed stays online, so a reconnect within it makes no
   * presence-timeout and no came-online push (0: announced at once). The sweep announces the rest.
   */
  offlineGraceMs: number;
  statusShards: number;
  /** API Gateway closes every WebSocket after two hours; our records never outlive that. */
  connectionMaxAgeMs: number;
  lastSeenRetentionMs: number;
  friendCacheTtlMs: number;
  pushConcurrency: number;
  /** Bound on each attempt of a push or close to the @connections API (retries come on top). */
  pushTimeoutMs: number;
  sweepBatchSize: number;
  sweepTimeBudgetMs: number;
  maxUrlLength: number;
  maxTitleLength: number;
  /** Friend lists, sharing settings and profiles may be served this stale while PostgreSQL is failing. */
  staleCacheMaxMs: number;
  /** What a 503 asks clients to wait (Retry-After), and how long a failed dependency is not retried per key. */
  retryAfterSeconds: number;
  limits: RateLimits;
}

/** Budgets that bound what one client can make the service do; see README "Failure behaviour". */
export interface RateLimits {
  /** Messages one connection may send per window (heartbeat, update-presence, anything else). */
  messagesPerWindow: number;
  messageWindowMs: number;
  /** Messages over the budget within one window after which the connection is closed. */
  floodCloseAfter: number;
  /** update-presence fan-outs one user may start at once ... */
  fanOutBurst: number;
  /** ... and then one per this interval; later pages wait (stored at once) for a token or the next sweep. */
  fanOutIntervalMs: number;
}

export interface Config {
  redis: RedisConfig;
  postgres: PostgresConfig;
  presence: PresenceConfig;
  /** Endpoint of the API Gateway Management API (https://{api}.execute-api.{region}.amazonaws.com/{stage}). */
  managementEndpoint?: string;
  awsRegion?: string;
  /** Origins whose browser pages may read the REST API's answers: any ('*'), or exactly these. */
  corsAllowOrigins: AllowedOrigins;
  /**
   * App clients whose tokens the REST functions accept (JWT_CLIENT_IDS): API Gateway's Cognito authorizer
   * accepts any app client of the pool. Only the REST functions need it (restHandler refuses an empty list).
   */
  restClientIds: readonly string[];
  /** Claim holding the user id in the REST authorizer's claims (ID tokens: see restUserIdClaim). */
  userIdClaim: string;
}

/** `'*'`: every origin; otherwise the exact origins (scheme, host and port, as browsers send them). */
export type AllowedOrigins = '*' | readonly string[];

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback?: string): string {
  const value = env[name]?.trim();
  if (value) return value;
  if (fallback !== undefined) return fallback;
  throw new ConfigError(`Missing required environment variable ${name}`);
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function int(env: Env, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function list(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function loadRedis(env: Env): RedisConfig {
  const keyPrefix = str(env, 'REDIS_KEY_PREFIX', 'presence:');
  const timeouts = {
    connectTimeoutMs: int(env, 'REDIS_CONNECT_TIMEOUT_MS', 1000, 50, 30_000),
    commandTimeoutMs: int(env, 'REDIS_COMMAND_TIMEOUT_MS', 1000, 50, 30_000),
  };
  const url = optional(env, 'REDIS_URL');
  if (url) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError('REDIS_URL must be a URL like redis://host:6379');
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new ConfigError('REDIS_URL must start with redis:// or rediss://');
    }
    return {
      host: parsed.hostname,
      port: parsed.port ? Number(parsed.port) : 6379,
      tls: parsed.protocol === 'rediss:',
      cluster: bool(env, 'REDIS_CLUSTER', false),
      username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
      password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
      keyPrefix,
      ...timeouts,
    };
  }
  return {
    host: str(env, 'REDIS_HOST'),
    port: int(env, 'REDIS_PORT', 6379, 1, 65535),
    // ElastiCache Serverless only speaks TLS, and AUTH and RBAC need in-transit encryption: on unless turned off.
    tls: bool(env, 'REDIS_TLS', true),
    cluster: bool(env, 'REDIS_CLUSTER', false),
    authSecretArn: secretArn(env, 'REDIS_AUTH_SECRET_ARN'),
    keyPrefix,
    ...timeouts,
  };
}

function secretArn(env: Env, name: string): string | undefined {
  const arn = optional(env, name);
  if (arn !== undefined && !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(arn)) {
    throw new ConfigError(
      `${name} must be the full ARN of a Secrets Manager secret (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME), got "${arn}"`,
    );
  }
  return arn;
}

const WEB_ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/;
/** A Chrome extension's origin: its id is 32 letters from a to p. */
const EXTENSION_ORIGIN = /^chrome-extension:\/\/[a-p]{32}$/;

/**
 * CORS_ALLOW_ORIGIN: `*`, or a comma-separated list of origins, each `http(s)://host[:port]` or
 * `chrome-extension://<id>`, kept as a browser sends them in the Origin header (lower case, no default port).
 */
function allowedOrigins(env: Env): AllowedOrigins {
  const entries = list(env, 'CORS_ALLOW_ORIGIN');
  if (entries.length === 0 || (entries.length === 1 && entries[0] === '*')) return '*';
  return entries.map((entry) => {
    const origin = entry.toLowerCase();
    if (EXTENSION_ORIGIN.test(origin)) return origin;
    if (WEB_ORIGIN.test(origin) && URL.canParse(origin)) return new URL(origin).origin;
    throw new ConfigError(
      `CORS_ALLOW_ORIGIN must be * alone or a comma-separated list of origins like https://chat.example.com or chrome-extension://<32 letters a-p>, got "${entry}"`,
    );
  });
}

function loadPostgres(env: Env): PostgresConfig {
  const connectionString = optional(env, 'DATABASE_URL');
  const base = {
    poolMax: int(env, 'PG_POOL_MAX', 2, 1, 100),
    maxWaiting: int(env, 'PG_MAX_WAITING', 32, 0, 10_000),
    connectTimeoutMs: int(env, 'PG_CONNECT_TIMEOUT_MS', 1000, 50, 30_000),
    queryTimeoutMs: int(env, 'PG_QUERY_TIMEOUT_MS', 1500, 50, 30_000),
    ssl: bool(env, 'PG_SSL', false),
  };
  if (connectionString) {
    return { ...base, connectionString, host: '', port: 5432, database: '', user: '' };
  }
  return {
    ...base,
    host: str(env, 'PGHOST'),
    port: int(env, 'PGPORT', 5432, 1, 65535),
    database: str(env, 'PGDATABASE'),
    user: str(env, 'PGUSER'),
    passwordSecretArn: optional(env, 'PG_PASSWORD_SECRET_ARN'),
  };
}

/**
 * The longest heartbeat interval a client may negotiate (`heartbeat=<seconds>` when it connects): API
 * Gateway closes a connection idle for 10 minutes.
 */
export const MAX_HEARTBEAT_SECONDS = 540;

/** A connection that negotiated a heartbeat is timed out after one lost heartbeat plus slack: 2 x interval + 30 s. */
export function allowanceMs(heartbeatSeconds: number): number {
  return (2 * heartbeatSeconds + 30) * 1000;
}

/** The longest any connection may stay silent: the longest negotiable allowance, or the default if longer. */
export function longestAllowanceMs(presence: Pick<PresenceConfig, 'timeoutMs'>): number {
  return Math.max(presence.timeoutMs, allowanceMs(MAX_HEARTBEAT_SECONDS));
}

/**
 * A reconnect within this many seconds of a user's last close sends friends nothing. Chosen by
 * measurement (docs/COST.md, "Offline grace"): with the sweep's one-minute schedule on top, 30 s spares
 * friends 96 % of the flaps PageNow's extension makes at API Gateway's 2-hour cap (it reconnects at its
 * next one-minute alarm), and announces a real departure at most about 1.5 minutes late.
 */
const DEFAULT_OFFLINE_GRACE_SECONDS = 30;

/**
 * No offline grace outlasts the longest allowance: the sweep's backstop (users without a due time)
 * relies on every due time lying within it of the user's last activity.
 */
const MAX_OFFLINE_GRACE_SECONDS = 300;

function loadPresence(env: Env): PresenceConfig {
  return {
    timeoutMs: int(env, 'PRESENCE_TIMEOUT_SECONDS', 150, 5, 86_400) * 1000,
    offlineGraceMs: int(env, 'OFFLINE_GRACE_SECONDS', DEFAULT_OFFLINE_GRACE_SECONDS, 0, MAX_OFFLINE_GRACE_SECONDS) * 1000,
    statusShards: int(env, 'STATUS_SHARDS', 16, 1, 1024),
    connectionMaxAgeMs: int(env, 'CONNECTION_MAX_AGE_SECONDS', 7200, 1, 7200) * 1000,
    lastSeenRetentionMs: int(env, 'LAST_SEEN_RETENTION_DAYS', 30, 1, 365) * 86_400_000,
    friendCacheTtlMs: int(env, 'FRIEND_CACHE_TTL_SECONDS', 30, 0, 3600) * 1000,
    pushConcurrency: int(env, 'PUSH_CONCURRENCY', 64, 1, 1000),
    pushTimeoutMs: int(env, 'PUSH_TIMEOUT_MS', 2000, 50, 30_000),
    sweepBatchSize: int(env, 'SWEEP_BATCH_SIZE', 500, 1, 5000),
    sweepTimeBudgetMs: int(env, 'SWEEP_TIME_BUDGET_SECONDS', 45, 1, 900) * 1000,
    maxUrlLength: int(env, 'MAX_URL_LENGTH', 2048, 16, 32_768),
    maxTitleLength: int(env, 'MAX_TITLE_LENGTH', 512, 16, 32_768),
    staleCacheMaxMs: int(env, 'STALE_CACHE_MAX_SECONDS', 600, 0, 86_400) * 1000,
    retryAfterSeconds: int(env, 'RETRY_AFTER_SECONDS', 2, 1, 3600),
    limits: loadLimits(env),
  };
}

function loadLimits(env: Env): RateLimits {
  const messagesPerWindow = int(env, 'MESSAGE_RATE_LIMIT', 120, 1, 100_000);
  return {
    messagesPerWindow,
    messageWindowMs: int(env, 'MESSAGE_RATE_WINDOW_SECONDS', 60, 1, 3600) * 1000,
    floodCloseAfter: int(env, 'FLOOD_CLOSE_AFTER', messagesPerWindow, 1, 1_000_000),
    fanOutBurst: int(env, 'FANOUT_BURST', 10, 1, 10_000),
    fanOutIntervalMs: int(env, 'FANOUT_INTERVAL_MS', 2000, 1, 3_600_000),
  };
}

/**
 * Where a Cognito token holds the username, which the original PageNow service and its clients use as
 * the user id (user_table.user_id): `cognito:username` in ID tokens, `username` in access tokens.
 */
const USERNAME_CLAIM: Readonly<Record<TokenUse, string>> = { id: 'cognito:username', access: 'username' };

/** Claims a Cognito token of one kind never carries: a user id claim among them can never match. */
const NEVER_IN: Readonly<Record<TokenUse, readonly string[]>> = {
  id: ['username', 'client_id', 'scope'],
  access: ['cognito:username', 'aud', 'email', 'email_verified'],
};

function tokenUseOf(env: Env): TokenUse {
  const tokenUse = str(env, 'JWT_TOKEN_USE', 'id');
  if (tokenUse !== 'id' && tokenUse !== 'access') throw new ConfigError(`JWT_TOKEN_USE must be "id" or "access", got "${tokenUse}"`);
  return tokenUse;
}

/**
 * The claim holding the user id in the tokens the WebSocket authorizer accepts: USER_ID_CLAIM, by default
 * the username claim of the configured token type. A claim that token type never carries is refused.
 */
function userIdClaimOf(env: Env, tokenUse: TokenUse): string {
  const claim = str(env, 'USER_ID_CLAIM', USERNAME_CLAIM[tokenUse]);
  if (NEVER_IN[tokenUse].includes(claim) || (tokenUse === 'access' && claim.startsWith('custom:'))) {
    throw new ConfigError(
      `USER_ID_CLAIM=${claim} is never in ${tokenUse} tokens (JWT_TOKEN_USE=${tokenUse}); use ${USERNAME_CLAIM[tokenUse]} or sub`,
    );
  }
  return claim;
}

/**
 * The same user id in the ID tokens API Gateway's Cognito authorizer passes to the REST functions (it
 * accepts ID tokens unless methods require OAuth scopes): an access token's `username` is an ID token's
 * `cognito:username`; every other claim is named alike in both.
 */
function restUserIdClaim(claim: string): string {
  return claim === USERNAME_CLAIM.access ? USERNAME_CLAIM.id : claim;
}

/** JWT settings are separate: only the authorizer (and the local REST emulation) needs them. */
export function loadJwtConfig(env: Env = process.env): JwtConfig {
  const tokenUse = tokenUseOf(env);
  const userIdClaim = userIdClaimOf(env, tokenUse);
  const clientIds = list(env, 'JWT_CLIENT_IDS');
  if (clientIds.length === 0) throw new ConfigError('JWT_CLIENT_IDS must list at least one app client id');
  const userPoolId = optional(env, 'COGNITO_USER_POOL_ID');
  if (userPoolId) {
    if (!/^[\w-]+_[0-9a-zA-Z]+$/.test(userPoolId)) {
      throw new ConfigError('COGNITO_USER_POOL_ID must look like <region>_<id>');
    }
    return { kind: 'cognito', userPoolId, clientIds, tokenUse, userIdClaim };
  }
  const issuer = optional(env, 'JWT_ISSUER');
  const jwksUri = optional(env, 'JWT_JWKS_URI');
  if (!issuer || !jwksUri) {
    throw new ConfigError('Set COGNITO_USER_POOL_ID, or both JWT_ISSUER and JWT_JWKS_URI');
  }
  return { kind: 'generic', issuer, jwksUri, clientIds, tokenUse, userIdClaim };
}

export function loadConfig(env: Env = process.env): Config {
  return Object.freeze({
    redis: loadRedis(env),
    postgres: loadPostgres(env),
    presence: loadPresence(env),
    managementEndpoint: optional(env, 'WEBSOCKET_MANAGEMENT_ENDPOINT'),
    awsRegion: optional(env, 'AWS_REGION'),
    corsAllowOrigins: allowedOrigins(env),
    restClientIds: list(env, 'JWT_CLIENT_IDS'),
    userIdClaim: restUserIdClaim(userIdClaimOf(env, tokenUseOf(env))),
  });
}
