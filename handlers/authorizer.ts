import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { createTokenVerifier } from '../layers/core/auth/verifier';
import { tokenFromHandshake } from '../layers/core/auth/websocket-token';
import { loadJwtConfig } from '../layers/core/config';
import { logger } from '../layers/core/logger';

const verifier = createTokenVerifier(loadJwtConfig());
// Fetch the JWKS during init; a failure here is retried lazily on the first request.
const hydrated = verifier.hydrate().catch((error: unknown) => logger.warn('JWKS prefetch failed', { error: String(error) }));

function policy(principalId: string, effect: 'Allow' | 'Deny', resource: string, userId?: string): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
    ...(userId ? { context: { userId } } : {}),
  };
}

/**
 * $connect authorizer. No token: "Unauthorized" (API Gateway answers 401).
 * A token that fails any check: an explicit Deny (403). Never a 500.
 */
export const handler = middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    await hydrated;
    const token = tokenFromHandshake(event);
    if (!token) {
      logger.info('handshake without token');
      throw new Error('Unauthorized');
    }
    try {
      const userId = await verifier.verify(token);
      return policy(userId, 'Allow', event.methodArn, userId);
    } catch {
      logger.info('handshake with invalid token');
      return policy('anonymous', 'Deny', event.methodArn);
    }
  });
