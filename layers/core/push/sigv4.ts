import { createHash } from 'node:crypto';
import aws4 from 'aws4';
import type { Credentials } from './credentials';

/** sha256 of an empty body: the x-amz-content-sha256 of DELETE and GET. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function sha256Hex(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** 2024-01-02T03:04:05.678Z -> 20240102T030405Z, the x-amz-date form. */
export function amzDate(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[:-]|\.\d{3}/g, '');
}

export interface SignedRequestHeaders {
  [name: string]: string;
}

/**
 * SigV4 for one execute-api endpoint (one host, one region), with `aws4`:
 * one aws4 call per request. Signs the headers the AWS SDK signs for the
 * @connections operations, less its per-request telemetry
 * (amz-sdk-invocation-id, amz-sdk-request, x-amz-user-agent): host,
 * x-amz-date, x-amz-content-sha256, x-amz-security-token when there is a
 * session token, and content-type/content-length for a body. The body hash
 * is given (a fan-out hashes its one frame once), so aws4 hashes only the
 * canonical request.
 */
export class ExecuteApiSigner {
  private lastSecond = -1;
  private lastDate = '';

  constructor(
    readonly host: string,
    readonly region: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /** x-amz-date, formatted once per second. */
  private date(): string {
    const now = this.clock();
    const second = Math.floor(now / 1000);
    if (second !== this.lastSecond) {
      this.lastSecond = second;
      this.lastDate = amzDate(now);
    }
    return this.lastDate;
  }

  /**
   * The headers to send, Authorization included. `path` is the request path
   * as sent (connection id already URI-encoded); aws4 encodes it once more
   * for the canonical request, as SigV4 asks of every service but S3.
   */
  sign(
    method: string,
    path: string,
    credentials: Credentials,
    payloadSha256: string,
    body?: { contentType: string; length: number },
  ): SignedRequestHeaders {
    const headers: SignedRequestHeaders = {
      host: this.host,
      'x-amz-date': this.date(),
      'x-amz-content-sha256': payloadSha256,
    };
    if (body) {
      headers['content-type'] = body.contentType;
      headers['content-length'] = String(body.length);
    }
    if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
    // Every header aws4 would add is already there, so it adds none; and it signs at the x-amz-date
    // given (with doNotModifyHeaders it would sign at its own clock instead).
    const signed = aws4.sign({ host: this.host, method, path, service: 'execute-api', region: this.region, headers }, credentials);
    return signed.headers as SignedRequestHeaders;
  }
}
