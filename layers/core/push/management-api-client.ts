import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type Dispatcher } from 'undici';
import type { DeliveryResult } from '../ports/connection-gateway';
import { CredentialCache } from './credentials';
import { Deadlines, type Expirable } from './deadlines';
import { PushError, errorFromResponse, errorFromTransport } from './push-error';
import { RetryStrategy } from './retry';
import { EMPTY_BODY_SHA256, ExecuteApiSigner, sha256Hex, type SignedRequestHeaders } from './sigv4';

/** GetConnection's answer. */
export interface ConnectionInfo {
  connectedAt: Date;
  lastActiveAt: Date;
  identity: { sourceIp: string; userAgent?: string };
}

export interface ManagementApiClientOptions {
  /** https://{api}.execute-api.{region}.amazonaws.com/{stage} (the stage path is the prefix of every request). */
  endpoint: string;
  region: string;
  /** Sockets to the endpoint: the most requests the caller keeps in flight (PUSH_CONCURRENCY). */
  connections: number;
  /** Bound on each attempt, from its start (a wait for a socket included) to its answer (PUSH_TIMEOUT_MS). */
  timeoutMs: number;
  credentials?: CredentialCache;
  retry?: RetryStrategy;
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
 * with the very values that were signed (the pool's origin host, the body's length), and every
 * header handed to it costs a validation per request.
 */
function wireHeaders(signed: SignedRequestHeaders): string[] {
  const headers = [
    'x-amz-date',
    signed['x-amz-date']!,
    'x-amz-content-sha256',
    signed['x-amz-content-sha256']!,
    'authorization',
    signed.Authorization!,
    'user-agent',
    USER_AGENT,
  ];
  if (signed['content-type'] !== undefined) headers.push('content-type', signed['content-type']);
  if (signed['x-amz-security-token'] !== undefined) headers.push('x-amz-security-token', signed['x-amz-security-token']);
  return headers;
}

interface Answer {
  status: number;
  errorType: string | undefined;
  body: Buffer | undefined;
}

class TimeoutError extends Error {
  readonly code = 'TimeoutError';
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * One response, through undici's native handler callbacks: no stream and no
 * parsed header object per request. Error answers only yield their status and
 * x-amzn-ErrorType; their bodies are read past, never kept or logged.
 * The attempt's deadline comes from the client's Deadlines (undici's own
 * timeouts tick at about a second): it settles the attempt and aborts the
 * request, or aborts it as soon as it leaves the pool's queue.
 */
class AnswerHandler implements Dispatcher.DispatchHandler, Expirable {
  private status = 0;
  private errorType: string | undefined;
  private chunks: Buffer[] | undefined;
  private abort: ((error?: Error) => void) | undefined;
  settled = false;

  constructor(
    private readonly keepBody: boolean,
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (error: Error) => void,
    private readonly timeoutMs: number,
  ) {}

  expire(): void {
    const error = new TimeoutError(this.timeoutMs);
    this.fail(error);
    this.abort?.(error);
  }

  onConnect(abort: (error?: Error) => void): void {
    if (this.settled) abort(new TimeoutError(this.timeoutMs));
    else this.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    this.status = statusCode;
    if (statusCode >= 300) {
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        if (rawHeaders[i]!.length === 16 && rawHeaders[i]!.toString('latin1').toLowerCase() === 'x-amzn-errortype') {
          this.errorType = rawHeaders[i + 1]!.toString('latin1');
        }
      }
    } else if (this.keepBody) this.chunks = [];
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks?.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve({ status: this.status, errorType: this.errorType, body: this.chunks && Buffer.concat(this.chunks) });
  }

  onError(error: Error): void {
    this.fail(error);
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
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
  private readonly signer: ExecuteApiSigner;
  private readonly pathPrefix: string;
  private readonly credentials: CredentialCache;
  private readonly retry: RetryStrategy;
  private readonly deadlines: Deadlines;
  /** A fan-out posts one frame to many connections: hash it once. */
  private readonly payloadHashes = new WeakMap<Uint8Array, string>();

  constructor(options: ManagementApiClientOptions) {
    const url = new URL(options.endpoint);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new Error(`management endpoint must be http(s), got ${options.endpoint}`);
    this.pathPrefix = url.pathname.replace(/\/+$/, '');
    this.signer = new ExecuteApiSigner(url.host, options.region, options.clock);
    this.credentials = options.credentials ?? new CredentialCache();
    this.retry = options.retry ?? new RetryStrategy();
    this.deadlines = new Deadlines(options.timeoutMs);
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: KEEP_ALIVE_MS,
      // Backstops: the client's Deadlines are the precise bound of each attempt.
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
      parsed = JSON.parse(answer.body?.toString('utf8') ?? '') as typeof parsed;
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
    keepBody: boolean,
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
        const answer = await this.dispatch(
          method,
          path,
          wireHeaders(this.signer.sign(method, path, credentials, payloadHash, payload)),
          body,
          keepBody,
        );
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

  private dispatch(
    method: 'POST' | 'DELETE' | 'GET',
    path: string,
    headers: string[],
    body: Uint8Array | undefined,
    keepBody: boolean,
  ): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const handler = new AnswerHandler(keepBody, resolve, reject, this.deadlines.timeoutMs);
      this.deadlines.add(handler);
      this.pool.dispatch({ method, path, headers, body }, handler);
    });
  }
}
