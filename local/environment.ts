/**
 * The process environment the handlers run with locally: the template's variables with local values,
 * plus what replaces the AWS infrastructure (REDIS_URL, DATABASE_URL, a local JWT issuer, the loopback
 * management endpoint, the local stack's fixed AWS credentials, which its Management API checks every signature with). Handlers read
 * process.env once at module load, so this is applied before any handler is loaded.
 */
import { localCredentialEnvironment } from './aws-credentials';
import type { TemplateEnvironment } from '../template/environment';
import { INFRASTRUCTURE_VARIABLES } from '../template/environment';
import { LOCAL_REGION } from '../template/intrinsics';

export interface LocalEnvironmentInput {
  template: TemplateEnvironment;
  redisUrl: string;
  redisKeyPrefix: string;
  databaseUrl: string;
  /** PGlite serves one session at a time; see backends/postgres.ts. */
  singleDatabaseConnection: boolean;
  issuer: string;
  jwksUri: string;
  clientId: string;
  managementEndpoint: string;
  connectionMaxAgeSeconds: number;
  logLevel?: string;
  /** The caller's environment; its values win for the template's non-infrastructure variables. */
  inherited?: NodeJS.ProcessEnv;
  /** Last word, for tests. */
  overrides?: Record<string, string>;
}

export function localEnvironment(input: LocalEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = { ...input.template.values };
  for (const name of Object.keys(env)) {
    const inherited = input.inherited?.[name];
    if (inherited !== undefined && inherited !== '') env[name] = inherited;
  }
  Object.assign(env, {
    REDIS_URL: input.redisUrl,
    REDIS_KEY_PREFIX: input.redisKeyPrefix,
    REDIS_CLUSTER: 'false',
    DATABASE_URL: input.databaseUrl,
    PG_SSL: 'false',
    JWT_ISSUER: input.issuer,
    JWT_JWKS_URI: input.jwksUri,
    JWT_CLIENT_IDS: input.clientId,
    WEBSOCKET_MANAGEMENT_ENDPOINT: input.managementEndpoint,
    AWS_REGION: LOCAL_REGION,
    // Never real credentials: the local stack's fixed ones, which its Management API verifies signatures with.
    ...localCredentialEnvironment(),
    CONNECTION_MAX_AGE_SECONDS: String(input.connectionMaxAgeSeconds),
    // Lambda runs Node 24; the SDK's "upgrade from Node 20" notice is noise for a local run.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // The handlers' CloudWatch metrics (EMF lines) would bury the local log; POWERTOOLS_METRICS_DISABLED=false shows them.
    POWERTOOLS_METRICS_DISABLED: input.inherited?.POWERTOOLS_METRICS_DISABLED?.trim() || 'true',
  });
  // One process serves every local connection (Lambda: one request per container), so the pool is larger; PGlite serves one session.
  env.PG_POOL_MAX = input.singleDatabaseConnection ? '1' : input.inherited?.PG_POOL_MAX?.trim() || '4';
  if (input.logLevel) env.POWERTOOLS_LOG_LEVEL = input.logLevel;
  return { ...env, ...input.overrides };
}

/** Writes the environment into process.env, removing variables that would point the handlers at AWS. */
export function applyEnvironment(env: Record<string, string>): void {
  // AWS_LAMBDA_MAX_CONCURRENCY belongs to whoever invokes the handlers (local/lambda/invoker.ts sets it with
  // its invocation store); inherited without that store, Powertools refuses to log.
  for (const name of [...INFRASTRUCTURE_VARIABLES, 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_LAMBDA_MAX_CONCURRENCY']) delete process.env[name];
  Object.assign(process.env, env);
}
