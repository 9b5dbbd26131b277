/** API Gateway REST (Lambda proxy, payload format 1.0) events for the local REST gateway. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LOCAL_ACCOUNT_ID } from '../../template/intrinsics';
import { requestTime } from '../websocket/events';

export interface RestEventInput {
  request: IncomingMessage;
  url: URL;
  /** The request path without the optional stage prefix. */
  path: string;
  resourcePath: string;
  pathParameters: Record<string, string>;
  body: Buffer;
  apiId: string;
  stage: string;
  claims?: Record<string, string>;
}

function headersOf(rawHeaders: string[]): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    headers[name] = rawHeaders[i + 1]!;
    (multiValueHeaders[name] ??= []).push(rawHeaders[i + 1]!);
  }
  return { headers, multiValueHeaders };
}

function queryOf(url: URL) {
  if ([...url.searchParams.keys()].length === 0) return { queryStringParameters: null, multiValueQueryStringParameters: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) {
    single[key] = value;
    (multi[key] ??= []).push(value);
  }
  return { queryStringParameters: single, multiValueQueryStringParameters: multi };
}

export function restEvent(input: RestEventInput) {
  const { request, url } = input;
  const now = Date.now();
  const requestId = randomUUID();
  const method = request.method ?? 'GET';
  const hasBody = input.body.length > 0;
  return {
    resource: input.resourcePath,
    path: input.path,
    httpMethod: method,
    ...headersOf(request.rawHeaders),
    ...queryOf(url),
    pathParameters: Object.keys(input.pathParameters).length > 0 ? input.pathParameters : null,
    stageVariables: null,
    requestContext: {
      resourceId: 'local',
      resourcePath: input.resourcePath,
      httpMethod: method,
      extendedRequestId: requestId,
      requestTime: requestTime(now),
      path: `/${input.stage}${input.path}`,
      accountId: LOCAL_ACCOUNT_ID,
      protocol: `HTTP/${request.httpVersion}`,
      stage: input.stage,
      domainPrefix: 'localhost',
      requestTimeEpoch: now,
      requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: request.headers['user-agent'] ?? null,
        user: null,
      },
      domainName: request.headers.host ?? 'localhost',
      apiId: input.apiId,
      ...(input.claims ? { authorizer: { claims: input.claims } } : {}),
    },
    body: hasBody ? input.body.toString('utf8') : null,
    isBase64Encoded: false,
  };
}
