import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { AllowedOrigins } from '../config';
import { headerValue } from './headers';

/** The request's Origin header (API Gateway keeps the case the client sent; HTTP/2 clients send it lower case). */
export function requestOrigin(event: Pick<APIGatewayProxyEvent, 'headers'>): string | undefined {
  return headerValue(event.headers, 'origin') || undefined;
}

/**
 * The CORS headers of a REST answer: `*` when every origin is allowed; else the request's own origin when
 * it is on the list, and nothing for any other (the browser then keeps the answer from the page). The
 * answer depends on the Origin header then, so caches are told (Vary). No Allow-Credentials: the token
 * travels in the Authorization header, never in a cookie.
 */
export function corsHeaders(allowed: AllowedOrigins, origin: string | undefined): Record<string, string> {
  if (allowed === '*') return { 'Access-Control-Allow-Origin': '*' };
  return origin !== undefined && allowed.includes(origin) ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : { Vary: 'Origin' };
}
