/**
 * API Gateway-shaped events for the WebSocket routes and the REQUEST authorizer, with the fields
 * API Gateway sends: requestContext.routeKey/eventType/connectionId/connectedAt/domainName/stage/
 * requestId/identity, messageId only on messages, the authorizer's context on every event after
 * $connect, and disconnectStatusCode/disconnectReason on $disconnect.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../template/intrinsics';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `28/Nov/2026:04:22:00 +0000`, API Gateway's requestTime format. */
export function requestTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** API Gateway connection ids look like `L0SM9cOFvHcCIhw=`. */
export function newConnectionId(): string {
  return `${randomBytes(11).toString('base64url')}=`;
}

function newRequestId(): string {
  return `${randomBytes(6).toString('base64url')}=`;
}

export interface ConnectionInfo {
  connectionId: string;
  connectedAt: number;
  apiId: string;
  stage: string;
  domainName: string;
  sourceIp: string;
  userAgent?: string;
  /** Set after the authorizer allowed the connection: its context plus principalId. */
  authorizer?: Record<string, unknown>;
}

export interface Handshake {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
}

type EventType = 'CONNECT' | 'MESSAGE' | 'DISCONNECT';

function requestContext(connection: ConnectionInfo, routeKey: string, eventType: EventType, extra: Record<string, unknown> = {}) {
  const now = Date.now();
  const requestId = newRequestId();
  return {
    routeKey,
    ...extra,
    eventType,
    extendedRequestId: requestId,
    requestTime: requestTime(now),
    messageDirection: 'IN',
    stage: connection.stage,
    connectedAt: connection.connectedAt,
    requestTimeEpoch: now,
    identity: { sourceIp: connection.sourceIp, ...(connection.userAgent ? { userAgent: connection.userAgent } : {}) },
    requestId,
    domainName: connection.domainName,
    connectionId: connection.connectionId,
    apiId: connection.apiId,
    ...(connection.authorizer ? { authorizer: connection.authorizer } : {}),
  };
}

export function methodArn(connection: ConnectionInfo, routeKey: string): string {
  return `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${connection.apiId}/${connection.stage}/${routeKey}`;
}

/** The REQUEST authorizer's event for $connect. */
export function authorizerEvent(connection: ConnectionInfo, handshake: Handshake) {
  return {
    type: 'REQUEST',
    methodArn: methodArn(connection, '$connect'),
    ...handshake,
    stageVariables: {},
    requestContext: requestContext({ ...connection, authorizer: undefined }, '$connect', 'CONNECT'),
  };
}

export function connectEvent(connection: ConnectionInfo, handshake: Handshake) {
  return { ...handshake, requestContext: requestContext(connection, '$connect', 'CONNECT'), isBase64Encoded: false };
}

export function messageEvent(connection: ConnectionInfo, routeKey: string, body: string, isBase64Encoded: boolean) {
  return {
    requestContext: requestContext(connection, routeKey, 'MESSAGE', { messageId: `${randomUUID().replace(/-/g, '').slice(0, 15)}=` }),
    body,
    isBase64Encoded,
  };
}

export function disconnectEvent(connection: ConnectionInfo, statusCode: number, reason: string) {
  return {
    headers: { Host: connection.domainName, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' },
    multiValueHeaders: { Host: [connection.domainName], 'x-api-key': [''], 'X-Forwarded-For': [''], 'x-restapi': [''] },
    requestContext: requestContext(connection, '$disconnect', 'DISCONNECT', { disconnectStatusCode: statusCode, disconnectReason: reason }),
    isBase64Encoded: false,
  };
}

/** The request's headers and query string, as API Gateway passes them to $connect and its authorizer. */
export function handshakeOf(rawHeaders: string[], url: URL): Handshake {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const handshake: Handshake = { headers, multiValueHeaders };
  if ([...url.searchParams.keys()].length > 0) {
    handshake.queryStringParameters = {};
    handshake.multiValueQueryStringParameters = {};
    for (const [key, value] of url.searchParams) {
      handshake.queryStringParameters[key] = value;
      (handshake.multiValueQueryStringParameters[key] ??= []).push(value);
    }
  }
  return handshake;
}
