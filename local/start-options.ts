/**
 * `npm start`'s settings, read from the environment and checked before anything starts: a wrong value
 * stops the start with one line naming the variable, what it got and what it takes.
 */
import type { LocalAppOptions } from './app';
import { parseRedisMode } from './backends/redis';
import { DEFAULT_IDP_PORT, DEFAULT_PORT, DEFAULT_WS_PORT, SettingsError, portFromEnv } from './settings';

type StartOptions = Required<Pick<LocalAppOptions, 'port' | 'wsPort' | 'idpPort' | 'redisMode' | 'logLevel'>> &
  Pick<
    LocalAppOptions,
    | 'databaseUrl'
    | 'redisUrl'
    | 'redisKeyPrefix'
    | 'presenceTimeoutSeconds'
    | 'statusShards'
    | 'sweepIntervalSeconds'
    | 'idleTimeoutSeconds'
    | 'maxConnectionSeconds'
  >;

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];

function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, max = 86_400): number | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new SettingsError(
      `${name} must be a whole number of seconds from 1 to ${max}, got "${raw}"; fix it or unset it for the default.`,
    );
  }
  return value;
}

/** A URL with one of the given schemes; the message never repeats the value (it may hold a password). */
function url(env: NodeJS.ProcessEnv, name: string, schemes: string[], example: string): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new SettingsError(`${name} is not a URL; it takes the form ${example} (or unset it to let npm start provide one).`);
  }
  if (!schemes.includes(parsed.protocol.slice(0, -1))) {
    throw new SettingsError(
      `${name} must start with ${schemes.map((scheme) => `${scheme}://`).join(' or ')}, got ${parsed.protocol}// (example: ${example}).`,
    );
  }
  if (!parsed.hostname) throw new SettingsError(`${name} names no host; it takes the form ${example}.`);
  return raw;
}

export function readStartOptions(env: NodeJS.ProcessEnv = process.env): StartOptions {
  const port = portFromEnv('PORT', DEFAULT_PORT, env);
  const wsPort = portFromEnv('WS_PORT', DEFAULT_WS_PORT, env);
  const idpPort = portFromEnv('IDP_PORT', DEFAULT_IDP_PORT, env);
  const fixed = [
    ['PORT', port],
    ['WS_PORT', wsPort],
    ['IDP_PORT', idpPort],
  ].filter(([, value]) => value !== 0);
  for (const [name, value] of fixed) {
    const clash = fixed.find(([other, otherValue]) => other !== name && otherValue === value);
    if (clash) throw new SettingsError(`${name} and ${clash[0]} are both ${value}; each server needs its own port.`);
  }

  let redisMode: StartOptions['redisMode'];
  try {
    redisMode = parseRedisMode(env.LOCAL_REDIS);
  } catch (error) {
    throw new SettingsError(`${(error as Error).message}.`);
  }
  const logLevel = (text(env, 'POWERTOOLS_LOG_LEVEL') ?? 'WARN').toUpperCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new SettingsError(`POWERTOOLS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.POWERTOOLS_LOG_LEVEL?.trim()}".`);
  }
  const statusShards = text(env, 'STATUS_SHARDS');
  if (
    statusShards !== undefined &&
    !(Number.isInteger(Number(statusShards)) && Number(statusShards) >= 1 && Number(statusShards) <= 1024)
  ) {
    throw new SettingsError(`STATUS_SHARDS must be a whole number from 1 to 1024, got "${statusShards}".`);
  }

  return {
    port,
    wsPort,
    idpPort,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres', 'postgresql'], 'postgres://user@127.0.0.1:5432/database'),
    redisUrl: url(env, 'REDIS_URL', ['redis', 'rediss'], 'redis://127.0.0.1:6379'),
    redisMode,
    redisKeyPrefix: text(env, 'REDIS_KEY_PREFIX'),
    presenceTimeoutSeconds: positiveInt(env, 'PRESENCE_TIMEOUT_SECONDS'),
    statusShards: statusShards === undefined ? undefined : Number(statusShards),
    sweepIntervalSeconds: positiveInt(env, 'SWEEP_INTERVAL_SECONDS'),
    idleTimeoutSeconds: positiveInt(env, 'WS_IDLE_TIMEOUT_SECONDS'),
    maxConnectionSeconds: positiveInt(env, 'WS_MAX_CONNECTION_SECONDS', 7200),
    // The handlers' JSON logs (INFO per invocation in AWS) would bury the gateway's one-line log.
    logLevel,
  };
}
