/**
 * The function environment of template.yaml (Globals.Function.Environment plus each function's own),
 * resolved with local parameter values. Variables that name AWS infrastructure (ElastiCache, RDS,
 * Cognito, the execute-api endpoint) are left out: the local runtime supplies its own equivalents.
 */
import type { CfnTemplate, CfnValue } from './cfn-yaml';
import type { TemplateResolver } from './intrinsics';

/** Replaced locally by REDIS_URL, DATABASE_URL, JWT_ISSUER/JWT_JWKS_URI and a loopback endpoint. */
export const INFRASTRUCTURE_VARIABLES = new Set([
  'REDIS_HOST',
  'REDIS_PORT',
  'REDIS_TLS',
  'REDIS_CLUSTER',
  'PGHOST',
  'PGPORT',
  'PGDATABASE',
  'PGUSER',
  'PG_PASSWORD_SECRET_ARN',
  'PG_SSL',
  'COGNITO_USER_POOL_ID',
  'WEBSOCKET_MANAGEMENT_ENDPOINT',
  // Process-level in Lambda (read once at process start; the CA bundle path exists only there);
  // meaningless for handlers loaded into this process.
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
]);

function variablesOf(environment: CfnValue | undefined): Record<string, CfnValue> {
  const variables = (environment as { Variables?: Record<string, CfnValue> } | undefined)?.Variables;
  return variables ?? {};
}

export interface TemplateEnvironment {
  /** Every variable name the template sets for any function. */
  names: Set<string>;
  /** Resolved values of the non-infrastructure variables. */
  values: Record<string, string>;
}

export function readEnvironment(template: CfnTemplate, resolver: TemplateResolver): TemplateEnvironment {
  const declared: Record<string, CfnValue> = { ...variablesOf(template.Globals?.Function?.Environment) };
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type === 'AWS::Serverless::Function') Object.assign(declared, variablesOf(resource.Properties?.Environment));
  }
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(declared)) {
    if (!INFRASTRUCTURE_VARIABLES.has(name)) values[name] = resolver.string(value, `environment variable ${name}`);
  }
  return { names: new Set(Object.keys(declared)), values };
}
