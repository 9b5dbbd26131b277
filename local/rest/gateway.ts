/**
 * The local API Gateway for the REST API: every route comes from the template's `Type: Api` events,
 * the Cognito authorizer is emulated (401 before the handler), CORS preflights and API Gateway's own
 * error responses carry the template's CORS headers, and unknown paths answer 403
 * "Missing Authentication Token" like API Gateway. Requests no API route claims fall through to
 * `fallback` (the local page and its helper endpoints).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpStatus } from '../http-status';
import type { FunctionInvoker } from '../lambda/invoker';
import type { RestRecorder } from '../meter/recorders';
import type { RestApiSpec, RestRoute } from '../../template';
import type { CognitoAuthorizer } from './cognito-authorizer';
import { restEvent } from './events';
import { compilePath, type PathMatcher } from './path-match';

export interface RestGatewayOptions {
  api: RestApiSpec;
  invoker: FunctionInvoker;
  authorizer: CognitoAuthorizer;
  /** The claim the functions read the user id from (USER_ID_CLAIM as the REST functions see it), for the log line. */
  userIdClaim: string;
  apiId: string;
  stage: string;
  log: (line: string) => void;
  /** Handles requests no API route matched; resolves false to get API Gateway's 403. */
  fallback?: (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;
  /** The local stack's meter: told of every request the API answered (never of the fallback's). */
  meter?: RestRecorder;
}

interface ProxyResult {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  multiValueHeaders?: Record<string, Array<string | number | boolean>>;
  body?: string;
  isBase64Encoded?: boolean;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024; // API Gateway's payload limit

/** How far one request got, for the meter: its body bytes, and whether a local helper route has it. */
interface DispatchProgress {
  bodyBytes: number;
  local: boolean;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy(new Error('payload too large'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export class RestGateway {
  private readonly routes: Array<RestRoute & { match: PathMatcher }>;

  constructor(private readonly options: RestGatewayOptions) {
    this.routes = options.api.routes.map((route) => ({ ...route, match: compilePath(route.path) }));
  }

  /** The http server's 'request' listener. */
  handle = (request: IncomingMessage, response: ServerResponse): void => {
    const progress: DispatchProgress = { bodyBytes: 0, local: false };
    this.dispatch(request, response, progress).catch((error: unknown) => {
      this.options.log(`[rest] ${request.method} ${request.url} failed: ${String(error)}`);
      // A local helper route that failed is no API request: not metered.
      if (!response.headersSent) this.gatewayError(response, 500, 'Internal server error', progress.bodyBytes, !progress.local);
      else response.destroy();
    });
  };

  private async dispatch(request: IncomingMessage, response: ServerResponse, progress: DispatchProgress): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    // Deployed URLs carry the stage (https://…/prod/presence); accept both forms.
    const stagePrefix = `/${this.options.stage}/`;
    const path = url.pathname.startsWith(stagePrefix) ? url.pathname.slice(stagePrefix.length - 1) : url.pathname;
    const method = (request.method ?? 'GET').toUpperCase();

    const candidates = this.routes.map((route) => ({ route, params: route.match(path) })).filter((c) => c.params !== undefined);
    if (candidates.length === 0) {
      progress.local = true;
      if (this.options.fallback && (await this.options.fallback(request, response))) return;
      progress.local = false;
      this.gatewayError(response, 403, 'Missing Authentication Token');
      return;
    }
    if (method === 'OPTIONS' && this.options.api.cors) {
      this.preflight(response);
      this.options.meter?.answered(0, 0);
      return;
    }
    const hit = candidates.find(({ route }) => route.method === method || route.method === 'ANY');
    if (!hit) {
      this.gatewayError(response, 403, 'Missing Authentication Token');
      return;
    }

    const started = Date.now();
    let claims: Record<string, string> | undefined;
    if (hit.route.authHeader) {
      const result = await this.options.authorizer.authorize(request.headers[hit.route.authHeader.toLowerCase()] as string | undefined);
      if (!result.ok) {
        const why =
          result.reason === 'missing'
            ? `no token in the ${hit.route.authHeader} header`
            : 'the Cognito authorizer refused the token (bad signature, expired, or minted for another issuer or app client)';
        this.options.log(`[rest] ${method} ${path} - -> 401 Unauthorized: ${why} (${Date.now() - started} ms)`);
        this.gatewayError(response, 401, 'Unauthorized');
        return;
      }
      claims = result.claims;
    }
    const user = claims?.[this.options.userIdClaim] ?? '-';

    const body = await readBody(request);
    progress.bodyBytes = body.length;
    const event = restEvent({
      request,
      url,
      path,
      resourcePath: hit.route.path,
      pathParameters: hit.params!,
      body,
      apiId: this.options.apiId,
      stage: this.options.stage,
      claims,
    });
    let result: ProxyResult;
    try {
      result = (await this.options.invoker.invoke<ProxyResult>(hit.route.function, event)) ?? {};
    } catch (error) {
      this.options.log(`[rest] ${method} ${path} ${user} -> 502: ${hit.route.function.logicalId} failed: ${String(error)} (${Date.now() - started} ms)`);
      this.gatewayError(response, 502, 'Internal server error', body.length);
      return;
    }
    this.options.log(`[rest] ${method} ${path} ${user} -> ${httpStatus(result.statusCode ?? 200)} (${Date.now() - started} ms)`);
    this.write(response, result, body.length);
  }

  private write(response: ServerResponse, result: ProxyResult, requestBytes: number): void {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
    const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
    response.writeHead(result.statusCode ?? 200, { ...headers, 'Content-Length': String(body.length) });
    response.end(body);
    this.options.meter?.answered(requestBytes, body.length);
  }

  private preflight(response: ServerResponse): void {
    const cors = this.options.api.cors!;
    response.writeHead(200, {
      'Access-Control-Allow-Origin': cors.allowOrigin,
      ...(cors.allowHeaders ? { 'Access-Control-Allow-Headers': cors.allowHeaders } : {}),
      ...(cors.allowMethods ? { 'Access-Control-Allow-Methods': cors.allowMethods } : {}),
      ...(cors.maxAge ? { 'Access-Control-Max-Age': cors.maxAge } : {}),
      'Content-Length': '0',
    });
    response.end();
  }

  /** A response API Gateway produces itself, with the template's gateway-response headers. */
  private gatewayError(response: ServerResponse, statusCode: number, message: string, requestBytes = 0, metered = true): void {
    const extra = this.options.api.gatewayResponseHeaders[statusCode >= 500 ? '5XX' : '4XX'];
    const body = JSON.stringify({ message });
    response.writeHead(statusCode, {
      ...extra,
      'Content-Type': 'application/json',
      'x-amzn-ErrorType': statusCode === 401 ? 'UnauthorizedException' : statusCode === 403 ? 'MissingAuthenticationTokenException' : 'InternalServerErrorException',
      'Content-Length': String(Buffer.byteLength(body)),
    });
    response.end(body);
    if (metered) this.options.meter?.answered(requestBytes, Buffer.byteLength(body));
  }
}
