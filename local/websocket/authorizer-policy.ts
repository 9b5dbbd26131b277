/**
 * What API Gateway does with a REQUEST authorizer's answer: an explicit Deny or no matching Allow
 * for execute-api:Invoke on the method ARN refuses the connection (403); a thrown "Unauthorized"
 * is a 401; any other failure is a 500. On Allow, the context plus principalId becomes
 * requestContext.authorizer for the connection's every event.
 */

export type AuthorizerOutcome =
  | { allowed: true; authorizer: Record<string, unknown> }
  | { allowed: false; statusCode: 401 | 403 | 500 };

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
}

interface PolicyResult {
  principalId?: unknown;
  policyDocument?: { Statement?: Statement[] };
  context?: Record<string, unknown>;
}

function asList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** IAM-style wildcards: `*` matches any run of characters, `?` one character. */
function wildcardMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return regex.test(value);
}

function applies(statement: Statement, methodArn: string): boolean {
  const actionMatches = asList(statement.Action).some((action) => wildcardMatch(action.toLowerCase(), 'execute-api:invoke'));
  return actionMatches && asList(statement.Resource).some((resource) => wildcardMatch(resource, methodArn));
}

export function evaluateAuthorizerResult(result: unknown, methodArn: string): AuthorizerOutcome {
  const policy = (result ?? {}) as PolicyResult;
  // A malformed answer is API Gateway's AuthorizerConfigurationException: a 500.
  if (typeof policy.principalId !== 'string' || !Array.isArray(policy.policyDocument?.Statement)) return { allowed: false, statusCode: 500 };
  const statements = policy.policyDocument.Statement.filter((statement) => applies(statement, methodArn));
  if (statements.some((statement) => statement.Effect === 'Deny')) return { allowed: false, statusCode: 403 };
  if (!statements.some((statement) => statement.Effect === 'Allow')) return { allowed: false, statusCode: 403 };
  return { allowed: true, authorizer: { ...(policy.context ?? {}), principalId: policy.principalId, integrationLatency: 0 } };
}

export function authorizerFailure(error: unknown): AuthorizerOutcome {
  return { allowed: false, statusCode: error instanceof Error && error.message === 'Unauthorized' ? 401 : 500 };
}
