/**
 * Who is measured and with what: the original as it ships (console.log, aws-sdk v2 without keep-alive,
 * 128 MB, the CDK's default), and ours twice, with the template's defaults (INFO, metrics on) and with
 * logging and metrics off; which function serves each path on each side; and each function's
 * environment. Both sides get the same Lambda runtime variables (region, a role's credentials with a
 * session token) and the same Redis, PostgreSQL database and sink.
 */
import { join } from 'node:path';
import { loadTemplate } from '../../template/cfn-yaml';
import { templateFunction } from '../lambda-template';
import { OUR_NODE_MODULES, originalLayer } from './build';
import type { PathName, Side } from './protocol';

/** The app client the REST events' tokens are issued to. */
export const CLIENT_ID = 'bench-client';

export interface Contender {
  /** Short name in tables and JSON. */
  key: 'original' | 'ours' | 'ours-silent';
  side: Side;
  label: string;
  /** Variables over the template's (ours) or the stack's (the original). */
  overrides: Record<string, string>;
}

export const CONTENDERS: readonly Contender[] = [
  { key: 'original', side: 'original', label: 'original (console.log as shipped)', overrides: {} },
  { key: 'ours', side: 'ours', label: 'ours, template defaults (INFO, metrics on)', overrides: {} },
  {
    key: 'ours-silent',
    side: 'ours',
    label: 'ours, logging off (SILENT, metrics off)',
    overrides: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  },
];

/** Our function (template logical id) and the original's (src/functions/<name>) for each path. */
export const FUNCTIONS: Record<PathName, { ours: string; original: string }> = {
  heartbeat: { ours: 'HeartbeatFunction', original: 'heartbeat' },
  'update-20': { ours: 'UpdatePresenceFunction', original: 'update_presence' },
  'update-200': { ours: 'UpdatePresenceFunction', original: 'update_presence' },
  'get-presence-200': { ours: 'GetPresenceFunction', original: 'get_presence' },
  sweep: { ours: 'SweepShardFunction', original: 'timeout' },
};

/** The original's stack (lib/presence-api-stack.ts): Lambda's default 128 MB, the timeout function's TIMEOUT. */
export const ORIGINAL_MEMORY_MB = 128;
export const ORIGINAL_TIMEOUT_MS = 180_000;
const ORIGINAL_FUNCTION_TIMEOUT_MS = 3_000;

/** Where the harness's services are. */
export interface Infrastructure {
  redisPort: number;
  redisKeyPrefix: string;
  dbName: string;
  /** The sink's Management API endpoint, e.g. http://127.0.0.1:1234/local. */
  sinkEndpoint: string;
  dynamoEndpoint: string;
}

/** What Lambda puts in every function's environment (credentials: a role's, with a session token). */
function lambdaRuntimeVariables(functionName: string, memoryMb: number, nodePath: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_PATH: nodePath,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'bench',
    AWS_ACCESS_KEY_ID: 'ASIABENCHBENCHBENCH0',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key-not-a-real-one-000',
    AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjE'.padEnd(800, 'x'),
  };
}

/** NODE_OPTIONS as the template's Globals set it (process-wide in Lambda, so the harness passes it to our processes). */
function templateNodeOptions(): string | undefined {
  const template = loadTemplate(join(__dirname, '..', '..', 'template.yaml'));
  const environment = template.Globals?.Function?.Environment as { Variables?: Record<string, unknown> } | undefined;
  const value = environment?.Variables?.NODE_OPTIONS;
  return typeof value === 'string' ? value : undefined;
}

export interface FunctionEnvironment {
  functionName: string;
  /** The handler's export (Handler after the dot). */
  exportName: string;
  memoryMb: number;
  timeoutMs: number;
  env: Record<string, string>;
}

/** Our function with the template's variables at their defaults, the harness's infrastructure, and `overrides`. */
export function ourEnvironment(logicalId: string, infra: Infrastructure, overrides: Record<string, string>): FunctionEnvironment {
  const fn = templateFunction(logicalId, { CognitoClientIds: [CLIENT_ID] });
  const nodeOptions = templateNodeOptions();
  return {
    functionName: logicalId,
    exportName: fn.exportName,
    memoryMb: fn.memoryMb,
    timeoutMs: fn.timeoutSeconds * 1000,
    env: {
      ...fn.environment,
      REDIS_URL: `redis://127.0.0.1:${infra.redisPort}`,
      REDIS_KEY_PREFIX: infra.redisKeyPrefix,
      DATABASE_URL: `postgresql://postgres@127.0.0.1:5432/${infra.dbName}`,
      WEBSOCKET_MANAGEMENT_ENDPOINT: infra.sinkEndpoint,
      // No function measured here verifies a token (API Gateway's authorizers do); never contacted.
      JWT_ISSUER: 'http://127.0.0.1:9/bench-issuer',
      JWT_JWKS_URI: 'http://127.0.0.1:9/bench-issuer/.well-known/jwks.json',
      // Node 20 only: the SDK's notice that it wants Node 22 (Lambda runs nodejs24.x).
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
      ...overrides,
      ...lambdaRuntimeVariables(logicalId, fn.memoryMb, OUR_NODE_MODULES),
    },
  };
}

/** The original's function with its stack's variables, pointed at the harness's infrastructure. */
export function originalEnvironment(name: string, originalDir: string, infra: Infrastructure): FunctionEnvironment {
  const sink = new URL(infra.sinkEndpoint);
  return {
    functionName: name,
    exportName: 'handler',
    memoryMb: ORIGINAL_MEMORY_MB,
    timeoutMs: ORIGINAL_FUNCTION_TIMEOUT_MS,
    env: {
      REDIS_PRIMARY_HOST: '127.0.0.1',
      REDIS_PRIMARY_PORT: String(infra.redisPort),
      REDIS_READER_HOST: '127.0.0.1',
      REDIS_READER_PORT: String(infra.redisPort),
      DB_USER: 'postgres',
      DB_HOST: '127.0.0.1',
      DB_DATABASE: infra.dbName,
      DB_PASSWORD: '',
      DB_PORT: '5432',
      // The stack sets "true" (RDS); neither side uses TLS to PostgreSQL here.
      DB_SSL: 'false',
      USER_ACTIVITY_HISTORY_TABLE_NAME: 'UserActivityHistoryTable',
      TIMEOUT: String(ORIGINAL_TIMEOUT_MS),
      WSS_DOMAIN_NAME: `wss://${sink.host}`,
      WSS_STAGE: sink.pathname.replace(/^\//, ''),
      ...lambdaRuntimeVariables(name, ORIGINAL_MEMORY_MB, originalLayer(originalDir).nodeModules),
    },
  };
}

/**
 * The original's aws-sdk v2 global configuration (its public AWS.config.update): plain HTTP, since the
 * sink has no TLS (ours posts over plain HTTP to it too), and DynamoDB, which it writes an activity
 * record to after each update and each timed-out user, answered by the harness's loopback stub.
 * Keep-alive stays as it ships: off.
 */
export function originalSdkConfig(infra: Infrastructure): Record<string, unknown> {
  return { sslEnabled: false, dynamodb: { endpoint: infra.dynamoEndpoint } };
}
