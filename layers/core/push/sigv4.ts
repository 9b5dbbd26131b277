import { createHmac, hash } from 'node:crypto';
import type { Credentials } from './credentials';

/** sha256 of an empty body: the x-amz-content-sha256 of DELETE and GET. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 'execute-api';

/** One-shot `crypto.hash` (Node 20.12+): half the cost of a `createHash` object for the few hundred bytes hashed per request. */
export function sha256Hex(body: Uint8Array | string): string {
  return hash('sha256', body, 'hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** 2024-01-02T03:04:05.678Z -> 20240102T030405Z, the x-amz-date form. */
export function amzDate(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[:-]|\.\d{3}/g, '');
}

/**
 * The canonical URI of every service but S3: each segment of the path as sent URI-encoded once
 * more (RFC 3986, so ! ' ( ) * too), the slashes kept. The paths signed here never hold `.` or `..`
 * segments or empty ones (a stage, `@connections`, an encoded connection id), so there is nothing
 * to normalise.
 */
export function canonicalPath(path: string): string {
  return encodeURIComponent(path)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/');
}

/** A header value as SigV4 canonicalises it: trimmed, runs of whitespace made one space. */
function canonicalValue(value: string): string {
  return /\s/.test(value) ? value.trim().replace(/\s+/g, ' ') : value;
}

export interface SignedRequestHeaders {
  [name: string]: string;
}

/**
 * SigV4 for one execute-api endpoint (one host, one region), written for the
 * one request shape it signs rather than with the AWS SDK's general signer
 * (@smithy/signature-v4): with the SDK's, a 200-friend fan-out bills more than
 * 5 % more Lambda time, one invocation at a time, and a pushing function's
 * cold start loads tens of milliseconds more (`npm run bench -- --scenario
 * signers` measures both). Byte-identical to the SDK's signer, which
 * tests/unit/sigv4.test.ts checks request by request. Signs the headers the
 * SDK signs for the @connections operations, less its per-request telemetry
 * (amz-sdk-invocation-id, amz-sdk-request, x-amz-user-agent): host,
 * x-amz-date, x-amz-content-sha256, x-amz-security-token when there is a
 * session token, and content-type/content-length for a body. The body hash is
 * given (a fan-out hashes its one frame once); the signing key is derived once
 * a day per secret.
 */
export class ExecuteApiSigner {
  private lastSecond = -1;
  private lastDate = '';
  private key: { secret: string; day: string; value: Buffer } | undefined;

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

  /** kSigning = HMAC chain of the secret over day, region, service and "aws4_request". */
  private signingKey(secret: string, day: string): Buffer {
    const key = this.key;
    if (key && key.secret === secret && key.day === day) return key.value;
    const value = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), this.region), SERVICE), 'aws4_request');
    this.key = { secret, day, value };
    return value;
  }

  /**
   * The headers to send, Authorization included. `path` is the request path
   * as sent (connection id already URI-encoded); it is encoded once more for
   * the canonical request, as SigV4 asks of every service but S3.
   */
  sign(
    method: string,
    path: string,
    credentials: Credentials,
    payloadSha256: string,
    body?: { contentType: string; length: number },
  ): SignedRequestHeaders {
    const date = this.date();
    const day = date.slice(0, 8);
    const token = credentials.sessionToken;
    const headers: SignedRequestHeaders = { host: this.host, 'x-amz-date': date, 'x-amz-content-sha256': payloadSha256 };
    // The canonical headers in the order SigV4 sorts them (by lower-case name).
    let canonicalHeaders = '';
    let signedHeaders = '';
    if (body) {
      const length = String(body.length);
      headers['content-type'] = body.contentType;
      headers['content-length'] = length;
      canonicalHeaders = `content-length:${length}\ncontent-type:${canonicalValue(body.contentType)}\n`;
      signedHeaders = 'content-length;content-type;';
    }
    canonicalHeaders += `host:${this.host}\nx-amz-content-sha256:${payloadSha256}\nx-amz-date:${date}\n`;
    signedHeaders += 'host;x-amz-content-sha256;x-amz-date';
    if (token) {
      headers['x-amz-security-token'] = token;
      canonicalHeaders += `x-amz-security-token:${canonicalValue(token)}\n`;
      signedHeaders += ';x-amz-security-token';
    }
    const canonicalRequest = `${method}\n${canonicalPath(path)}\n\n${canonicalHeaders}\n${signedHeaders}\n${payloadSha256}`;
    const scope = `${day}/${this.region}/${SERVICE}/aws4_request`;
    const stringToSign = `${ALGORITHM}\n${date}\n${scope}\n${sha256Hex(canonicalRequest)}`;
    const signature = createHmac('sha256', this.signingKey(credentials.secretAccessKey, day)).update(stringToSign).digest('hex');
    headers.Authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }
}
