/**
 * SigV4 verification for the local Management API, as API Gateway does it
 * for @connections: recompute the signature of the received request with
 * @smithy/signature-v4 (the AWS SDK's signer, not the handlers' own in
 * layers/core/push/sigv4.ts) and the local stack's fixed credentials, and answer 403 with API Gateway's
 * error shapes when it does not match. A signing bug in the handlers thus
 * fails the local tests instead of the first deployment.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentials } from './aws-credentials';
import { NodeSha256 } from './node-sha256';

export interface SignatureFailure {
  errorType: string;
  message: string;
}

/** API Gateway's tolerance for a request's x-amz-date. */
const MAX_SKEW_MS = 5 * 60_000;
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

const forbidden = (errorType: string, message: string): SignatureFailure => ({ errorType, message });
const MISMATCH = forbidden(
  'InvalidSignatureException',
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
);

function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export interface ReceivedRequest {
  method: string;
  /** The request target as received (path still percent-encoded, query included). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** undefined when the request is signed by `credentials`; else the 403 API Gateway would answer. */
export async function verifySignature(
  request: ReceivedRequest,
  credentials: AwsCredentials,
  now: number = Date.now(),
): Promise<SignatureFailure | undefined> {
  const authorization = headerValue(request.headers, 'authorization');
  if (!authorization) return forbidden('ForbiddenException', 'Forbidden');
  const parsed = AUTHORIZATION.exec(authorization);
  if (!parsed) {
    return forbidden(
      'IncompleteSignatureException',
      `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.`,
    );
  }
  const [, accessKeyId, scopeDate, region, service, signedHeaderList, signature] = parsed as unknown as string[];
  const token = headerValue(request.headers, 'x-amz-security-token');
  if (accessKeyId !== credentials.accessKeyId || (token ?? '') !== (credentials.sessionToken ?? '')) {
    return forbidden('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  if (service !== 'execute-api')
    return forbidden('InvalidSignatureException', `Credential should be scoped to correct service: 'execute-api'.`);
  const signedNames = signedHeaderList!.split(';');
  const amzDate = headerValue(request.headers, 'x-amz-date') ?? '';
  const signedAt = parseAmzDate(amzDate);
  if (!signedNames.includes('host') || !signedNames.includes('x-amz-date') || Number.isNaN(signedAt) || !amzDate.startsWith(scopeDate!)) {
    return MISMATCH;
  }
  if (Math.abs(now - signedAt) > MAX_SKEW_MS) {
    return forbidden(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${new Date(now - MAX_SKEW_MS).toISOString().replace(/[:-]|\.\d{3}/g, '')} (${new Date(now).toISOString().replace(/[:-]|\.\d{3}/g, '')} - 5 min.)`,
    );
  }
  // A payload hash header is what the signer trusts for the body: check it against the body itself.
  const payloadHash = headerValue(request.headers, 'x-amz-content-sha256');
  if (payloadHash !== undefined && payloadHash !== createHash('sha256').update(request.body).digest('hex')) return MISMATCH;

  const headers: Record<string, string> = {};
  for (const name of signedNames) {
    const value = headerValue(request.headers, name);
    if (value === undefined) return MISMATCH;
    headers[name] = value;
  }
  const target = new URL(request.url, 'http://local');
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of target.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : ([] as string[]).concat(existing, value);
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: token },
    region: region!,
    service,
    sha256: NodeSha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  const recomputed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: headers.host ?? '',
      // The path as received: the signer percent-encodes it once more, as SigV4 asks of every service but S3.
      path: request.url.split('?')[0]!,
      query,
      headers,
      body: request.body,
    },
    { signingDate: new Date(signedAt), signableHeaders: new Set(signedNames) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(recomputed.headers.authorization ?? ''))?.[1] ?? '';
  const expectedSigned = /SignedHeaders=([a-z0-9;-]+)/.exec(String(recomputed.headers.authorization ?? ''))?.[1];
  if (expectedSigned !== signedHeaderList || expected.length !== 64 || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature!))) {
    return MISMATCH;
  }
  return undefined;
}
