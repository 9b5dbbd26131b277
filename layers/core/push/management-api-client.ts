import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type Dispatcher } from 'undici';
import type { DeliveryResult } from '../ports/connection-gateway';
import { CredentialCache, type Credentials } from './credentials';
import { PushError, errorFromResponse, errorFromTransport } from './push-error';
import { RetryStrategy } from './retry';
import { EMPTY_BODY_SHA256, ExecuteApiSigner, sha256Hex, type SignedRequestHeaders } from './sigv4';

/** GetConnection's answer. */
export interface ConnectionInfo {
  connectedAt: Date;
  lastActiveAt: Date;
  identity: { sourceIp: string; userAgent?: string };
}

/** Signs one @connections request for the client's endpoint: ./sigv4.ts, or another signer of the same headers. */
export interface RequestSigner {
  sign(
    method: string,
    path: string,
    credentials: Credentials,
    payloadSha256: string,
    body?: { contentType: string; length: number },
  ): SignedRequestHeaders | Promise<SignedRequestHeaders>;
}

export interface ManagementApiClientOptions {
  /** https://{api}.execute-api.{region}.amazonaws.com/{stage} (the stage path is the prefix of every request). */
  endpoint: string;
  region: string;
  /** Sockets to the endpoint: the most requests the caller keeps in flight (PUSH_CONCURRENCY). */
  connections: number;
  /** Bound on each attempt, from its start (a wait for a socket included) to its whole answer (PUSH_TIMEOUT_MS). */
  timeoutMs: number;
  credentials?: CredentialCache;
  retry?: RetryStrategy;
  /** Default: SigV4 for the endpoint's host and `region` (./sigv4.ts). */
  signer?: RequestSigner;
  clock?: () => number;
}

export const USER_AGENT = `presence-api lang/js md/nodejs#${process.versions.node}`;
/** What the SDK sends for PostToConnection's Data (a blob payload). */
export const POST_CONTENT_TYPE = 'application/octet-stream';
// An idle keep-alive socket is kept this long: a warm container between invocations reuses its
// sockets instead of paying a TLS handshake each. A socket the far end closed meanwhile fails
// its next request with a reset, which is retried like any reset.
const KEEP_ALIVE_MS = 30_000;

/** The SDK's label encoding (extendedEncodeURIComponent): RFC 3986, so ! ' ( ) * are escaped too. */
export function encodeConnectionId(connectionId: string): string {
  return encodeURIComponent(connectionId).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The signed headers as undici takes them, less host and content-length: undici writes both itself
 * with the very values that were signed (the pool's origin host, the body's length).
 */
function wireHeaders(signed: SignedRequestHeaders): Record<string, string> {
  const headers: Record<string, string> = {
    'x-amz-date': signed['x-amz-date']!,
    'x-amz-content-sha256': signed['x-amz-content-sha256']!,
    authorization: signed.Authorization ?? signed.authorization!,
    'user-agent': USER_AGENT,
  };
  if (signed['content-type'] !== undefined) headers['content-type'] = signed['content-type'];
  if (signed['x-amz-security-token'] !== undefined) headers['x-amz-security-token'] = signed['x-amz-security-token'];
  return headers;
}

interface Answer {
  status: number;
  errorType: string | undefined;
  body: string | undefined;
}

class TimeoutError extends Error {
  readonly code = 'TimeoutError';
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * One attempt's answer, through undici's dispatch handler interface: its status, an error answer's
 * x-amzn-ErrorType, and a 2xx answer's body only when asked for. Every other body is read past as it
 * arrives (the socket goes back to the pool at its end), never kept or logged. The attempt has its own
 * timer, from the pool's queue to the answer's end: when it fires the attempt fails with a
 * TimeoutError and the request is aborted, at once or as soon as it leaves the queue. Pool.request
 * with an AbortSignal per attempt would do the same through a stream and a signal per request, which
 * costs a fan-out measurably more CPU, one invocation at a time (`npm run bench -- --scenario lambda`).
 */
class AttemptHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private errorType: string | undefined;
  private chunks: Buffer[] | undefined;
  private settled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly readBody: boolean,
    private readonly timeoutMs: number,
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.timer = setTimeout(() => this.expire(), timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(new TimeoutError(this.timeoutMs));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.status = statusCode;
    if (statusCode >= 300) {
      const errorType = headers['x-amzn-errortype'];
      this.errorType = Array.isArray(errorType) ? errorType[0] : errorType;
    } else if (this.readBody) this.chunks = [];
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks?.push(chunk);
  }

  onResponseEnd(): void {
    if (!this.settle()) return;
    this.resolve({ status: this.status, errorType: this.errorType, body: this.chunks && Buffer.concat(this.chunks).toString('utf8') });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.settle()) this.reject(error);
  }

  private expire(): void {
    const error = new TimeoutError(this.timeoutMs);
    if (this.settle()) this.reject(error);
    this.controller?.abort(error);
  }

  /** True the first time: an attempt settles once, whichever comes first. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    return true;
  }
}

/**
 * API Gateway's @connections API (PostToConnection, DeleteConnection,
 * GetConnection) over one undici keep-alive pool for the endpoint, signed
 * with SigV4 (./sigv4.ts), with the SDK's standard retries (./retry.ts)
 * and error classification (./push-error.ts). The same requests as the AWS
 * SDK client, without its per-request middleware, endpoint resolution and
 * serde. One per container, created at module scope.
 */
export class ManagementApiClient {
  private readonly pool: Pool;
  private readonly signer: RequestSigner;
  private readonly pathPrefix: string;
  private readonly credentials: CredentialCache;
  private readonly retry: RetryStrategy;
  private readonly timeoutMs: number;
  /** A fan-out posts one frame to many connections: hash it once. */
  private readonly payloadHashes = new WeakMap<Uint8Array, string>();

  constructor(options: ManagementApiClientOptions) {
    const url = new URL(options.endpoint);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new Error(`management endpoint must be http(s), got ${options.endpoint}`);
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.signer = options.signer ?? new ExecuteApiSigner(url.host, options.region, options.clock);
    this.credentials = options.credentials ?? new CredentialCache();
    this.retry = options.retry ?? new RetryStrategy();
    this.timeoutMs = options.timeoutMs;
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: KEEP_ALIVE_MS,
      // Backstops: each attempt's own timer is the precise bound.
      connectTimeout: options.timeoutMs,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  async postToConnection(connectionId: string, data: Uint8Array): Promise<DeliveryResult> {
    let payloadHash = this.payloadHashes.get(data);
    if (payloadHash === undefined) {
      payloadHash = sha256Hex(data);
      this.payloadHashes.set(data, payloadHash);
    }
    const answer = await this.send('PostToConnection', 'POST', connectionId, payloadHash, data, false);
    return answer.status === 410 ? 'gone' : 'sent';
  }

  async deleteConnection(connectionId: string): Promise<DeliveryResult> {
    const answer = await this.send('DeleteConnection', 'DELETE', connectionId, EMPTY_BODY_SHA256, undefined, false);
    return answer.status === 410 ? 'gone' : 'sent';
  }

  async getConnection(connectionId: string): Promise<ConnectionInfo | 'gone'> {
    const answer = await this.send('GetConnection', 'GET', connectionId, EMPTY_BODY_SHA256, undefined, true);
    if (answer.status === 410) return 'gone';
    let parsed: { ConnectedAt?: string; LastActiveAt?: string; Identity?: { SourceIp?: string; UserAgent?: string } };
    try {
      parsed = JSON.parse(answer.body ?? '') as typeof parsed;
    } catch (error) {
      throw new PushError('GetConnection failed: unreadable answer', {
        status: answer.status,
        code: 'SerializationException',
        retryable: false,
        cause: error,
      });
    }
    return {
      connectedAt: new Date(parsed.ConnectedAt ?? NaN),
      lastActiveAt: new Date(parsed.LastActiveAt ?? NaN),
      identity: { sourceIp: parsed.Identity?.SourceIp ?? '', userAgent: parsed.Identity?.UserAgent },
    };
  }

  /** Closes the sockets (tests, local shutdown); Lambda just freezes the container. */
  close(): Promise<void> {
    return this.pool.close();
  }

  /** Resolves with a 2xx or 410 answer; anything else is a PushError once retries are spent. */
  private async send(
    operation: string,
    method: 'POST' | 'DELETE' | 'GET',
    connectionId: string,
    payloadHash: string,
    body: Uint8Array | undefined,
    readBody: boolean,
  ): Promise<Answer> {
    if (!connectionId) throw new PushError(`${operation} failed: empty connection id`, { code: 'ValidationException', retryable: false });
    const path = `${this.pathPrefix}/@connections/${encodeConnectionId(connectionId)}`;
    const payload = body && { contentType: POST_CONTENT_TYPE, length: body.byteLength };
    let retryCost = 0;
    for (let attempt = 1; ; attempt++) {
      let error: PushError;
      try {
        const credentials = this.credentials.current() ?? (await this.credentials.get());
        // Signed per attempt, as the SDK does: a retry carries its own x-amz-date.
        const signed = await this.signer.sign(method, path, credentials, payloadHash, payload);
        const answer = await this.attempt(method, path, wireHeaders(signed), body, readBody);
        if (answer.status < 300) {
          this.retry.recordSuccess(retryCost);
          return answer;
        }
        if (answer.status === 410) return answer;
        error = errorFromResponse(operation, answer.status, answer.errorType);
      } catch (caught) {
        error = errorFromTransport(operation, caught);
      }
      error.attempts = attempt;
      const next = this.retry.retryDelay(attempt, error);
      if (!next) throw error;
      retryCost = next.cost;
      await sleep(next.delayMs);
    }
  }

  /** One request: its answer (any status), or a transport failure or TimeoutError. */
  private attempt(
    method: 'POST' | 'DELETE' | 'GET',
    path: string,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
    readBody: boolean,
  ): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      this.pool.dispatch({ method, path, headers, body }, new AttemptHandler(readBody, this.timeoutMs, resolve, reject));
    });
  }
}
