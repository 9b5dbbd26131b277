import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { createTokenVerifier, refusalReason } from '../layers/core/auth/verifier';
import { tokenFromHandshake } from '../layers/core/auth/websocket-token';
import { loadJwtConfig } from '../layers/core/config';
import { UnauthorizedError } from '../layers/core/errors';
import { authorizerHandler } from '../layers/core/lambda/build';
import { logger } from '../layers/core/logger';
import { countBy, Metric } from '../layers/core/metrics';
import { parseHeartbeatParameter } from '../layers/core/validation';

const verifier = createTokenVerifier(loadJwtConfig());
// Fetch the JWKS during init; a failure here is retried lazily on the first request.
const hydrated = verifier.hydrate().catch((error: unknown) => logger.warn('JWKS prefetch failed', { error: String(error) }));

type ConnectionContext = { userId: string; heartbeatSeconds?: number };

function policy(principalId: string, effect: 'Allow' | 'Deny', resource: string, context?: ConnectionContext): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
    ...(context ? { context } : {}),
  };
}

/**
 * The heartbeat interval the client negotiated, for every later event of the connection (API Gateway
 * copies this context into each). An invalid one is left out here: $connect refuses it with its reason.
 */
function negotiatedHeartbeat(query: Record<string, string | undefined> | null | undefined): number | undefined {
  try {
    return parseHeartbeatParameter(query);
  } catch {
    return undefined;
  }
}

/**
 * $connect authorizer. No token: "Unauthorized" (API Gateway answers 401).
 * A token that fails any check: an explicit Deny (403). Never a 500. The
 * log line and the AuthorizerRefusals metric say why, never the token.
 */
export const handler = authorizerHandler(async (event, log) => {
  await hydrated;
  const token = tokenFromHandshake(event);
  if (!token) {
    log.reason = 'missing';
    countBy(Metric.AuthorizerRefusals, 'Reason', 'missing');
    // API Gateway answers 401 for exactly this error message.
    throw new UnauthorizedError('Unauthorized');
  }
  try {
    const userId = await verifier.verify(token);
    log.userId = userId;
    const heartbeatSeconds = negotiatedHeartbeat(event.queryStringParameters);
    return policy(userId, 'Allow', event.methodArn, heartbeatSeconds ? { userId, heartbeatSeconds } : { userId });
  } catch (error) {
    const reason = refusalReason(error);
    log.reason = reason;
    countBy(Metric.AuthorizerRefusals, 'Reason', reason);
    return policy('anonymous', 'Deny', event.methodArn);
  }
});
