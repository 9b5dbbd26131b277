/**
 * Where a WebSocket client puts its token: the `Authorization` query
 * parameter (the extension) or a `Sec-WebSocket-Protocol` entry (browsers,
 * which cannot set headers on a WebSocket).
 */
import { headerValue } from '../http/headers';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface HandshakeRequest {
  queryStringParameters?: Record<string, string | undefined> | null;
  headers?: Record<string, string | undefined> | null;
}

export function offeredSubprotocols(request: HandshakeRequest): string[] {
  return (headerValue(request.headers, 'sec-websocket-protocol') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

export function tokenFromHandshake(request: HandshakeRequest): string | undefined {
  const query = request.queryStringParameters?.Authorization?.trim();
  if (query) return query.replace(/^Bearer\s+/i, '');
  return offeredSubprotocols(request).find((entry) => JWT_SHAPE.test(entry));
}

/**
 * The subprotocol $connect must echo when the client offered some (browsers
 * fail the handshake otherwise): a named protocol when one was offered, so
 * the token is not echoed; the client's own token only when it offered nothing else.
 */
export function selectSubprotocol(request: HandshakeRequest): string | undefined {
  const offered = offeredSubprotocols(request);
  return offered.find((entry) => !JWT_SHAPE.test(entry)) ?? offered[0];
}
