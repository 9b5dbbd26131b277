import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { AllowedOrigins } from '../config';
import { RateLimitedError, ServiceUnavailableError, StaleConnectionError, toPublicError } from '../errors';
import type { PresenceService } from '../presence-service';
import { corsHeaders, requestOrigin } from './cors';
import { jsonResponse } from './responses';

/** What a WebSocket client reads in the error frame of an outage: nothing was applied, send it again. */
export const UNAVAILABLE_FRAME_MESSAGE = 'temporarily unavailable, retry';

/** Middy's own error when the function is about to run out of time (its timeoutEarly). */
function isMiddyTimeout(error: unknown): boolean {
  return (
    error instanceof Error && error.name === 'TimeoutError' && (error.cause as { package?: string } | undefined)?.package === '@middy/core'
  );
}

/** Outages are answered 503, never 500: a dependency failing, or the invocation running out of time waiting on one. */
function normalize(error: unknown): unknown {
  return isMiddyTimeout(error) ? new ServiceUnavailableError('deadline', error) : error;
}

interface WebSocketEventLike {
  requestContext: { connectionId?: string; eventType?: string };
}

/** How a WebSocket route answers a failed message on its connection (PresenceService does it). */
export type ErrorFrames = Pick<PresenceService, 'sendError' | 'closeConnection'>;

/**
 * WebSocket routes: a bad message gets an error frame on its own connection
 * and the socket stays usable; an outage gets "temporarily unavailable, retry";
 * a connection that is no longer registered, or that kept flooding, is closed
 * (the client reconnects). Nothing internal leaks into the frame.
 */
export function websocketErrors(frames: ErrorFrames): middy.MiddlewareObj<WebSocketEventLike, { statusCode: number; body?: string }> {
  return {
    onError: async (request) => {
      const error = normalize(request.error);
      const { statusCode, message } = toPublicError(error);
      const { connectionId, eventType } = request.event.requestContext;
      if (connectionId && eventType === 'MESSAGE') {
        await frames.sendError(connectionId, error instanceof ServiceUnavailableError ? UNAVAILABLE_FRAME_MESSAGE : message);
        if (error instanceof StaleConnectionError || (error instanceof RateLimitedError && error.close))
          await frames.closeConnection(connectionId);
      }
      // A refused handshake ($connect) has no socket for an error frame: the answer's body says why.
      request.response = eventType === 'CONNECT' && statusCode < 500 ? { statusCode, body: JSON.stringify({ message }) } : { statusCode };
    },
  };
}

/** REST routes: typed errors become their status with a short message (503 with Retry-After); anything else a bare 500. */
export function restErrors(retryAfterSeconds: number): middy.MiddlewareObj<unknown, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      const error = normalize(request.error);
      const { statusCode, message } = toPublicError(error);
      const response = jsonResponse(statusCode, { message });
      if (error instanceof ServiceUnavailableError) {
        // Not a CORS-safelisted response header: a browser page reads it only when it is exposed.
        response.headers = {
          ...response.headers,
          'Retry-After': String(retryAfterSeconds),
          'Access-Control-Expose-Headers': 'Retry-After',
        };
      }
      request.response = response;
    },
  };
}

/** REST routes: every answer, success or error, carries the CORS headers for the request's Origin (cors.ts). */
export function restCors(allowed: AllowedOrigins): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const withCors = (request: middy.Request<APIGatewayProxyEvent, APIGatewayProxyResult>): void => {
    if (!request.response) return;
    request.response.headers = { ...request.response.headers, ...corsHeaders(allowed, requestOrigin(request.event)) };
  };
  return { after: withCors, onError: withCors };
}
