import type middy from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { toPublicError, StaleConnectionError, PresenceError } from '../errors';
import { logger } from '../logger';
import type { PresenceService } from '../presence-service';
import { jsonResponse } from './responses';

function logFailure(error: unknown, statusCode: number): void {
  if (statusCode >= 500) logger.error('request failed', error as Error);
  else logger.info('request rejected', { statusCode, reason: error instanceof PresenceError ? error.message : 'unknown' });
}

interface WebSocketEventLike {
  requestContext: { connectionId?: string; eventType?: string };
}

/**
 * WebSocket routes: a bad message gets an error frame on its own connection
 * and the socket stays usable; a connection that is no longer registered is
 * closed so the client reconnects. Nothing internal leaks into the frame.
 */
export function websocketErrors(service: PresenceService): middy.MiddlewareObj<WebSocketEventLike, { statusCode: number }> {
  return {
    onError: async (request) => {
      const { statusCode, message } = toPublicError(request.error);
      logFailure(request.error, statusCode);
      const { connectionId, eventType } = request.event.requestContext;
      if (connectionId && eventType === 'MESSAGE') {
        await service.sendError(connectionId, message);
        if (request.error instanceof StaleConnectionError) await service.closeConnection(connectionId);
      }
      request.response = { statusCode };
    },
  };
}

/** REST routes: typed errors become their status with a short message; anything else a bare 500. */
export function restErrors(corsOrigin: string): middy.MiddlewareObj<unknown, APIGatewayProxyResult> {
  return {
    onError: async (request) => {
      const { statusCode, message } = toPublicError(request.error);
      logFailure(request.error, statusCode);
      request.response = jsonResponse(statusCode, { message }, corsOrigin);
    },
  };
}
