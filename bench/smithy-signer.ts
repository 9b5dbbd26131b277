/**
 * The AWS SDK's own SigV4 signer (@smithy/signature-v4) behind the @connections client's RequestSigner
 * interface, signing what layers/core/push/sigv4.ts signs (the request's host, content type and length,
 * payload hash and, with a session token, the token): what the client would run if it signed with the
 * SDK's signer. bench/signers.ts compares the two.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type { Credentials } from '../layers/core/push/credentials';
import type { RequestSigner } from '../layers/core/push/management-api-client';
import type { SignedRequestHeaders } from '../layers/core/push/sigv4';
import { NodeSha256 } from '../local/node-sha256';

export class SmithyRequestSigner implements RequestSigner {
  /** One SDK signer per credentials (it takes them at construction), each with its own signing-key cache. */
  private readonly signers = new WeakMap<Credentials, SignatureV4>();

  constructor(
    readonly host: string,
    readonly region: string,
  ) {}

  async sign(
    method: string,
    path: string,
    credentials: Credentials,
    payloadSha256: string,
    body?: { contentType: string; length: number },
  ): Promise<SignedRequestHeaders> {
    let signer = this.signers.get(credentials);
    if (!signer) {
      signer = new SignatureV4({ credentials, region: this.region, service: 'execute-api', sha256: NodeSha256, uriEscapePath: true });
      this.signers.set(credentials, signer);
    }
    const headers: Record<string, string> = { host: this.host, 'x-amz-content-sha256': payloadSha256 };
    if (body) {
      headers['content-type'] = body.contentType;
      headers['content-length'] = String(body.length);
    }
    const signed = await signer.sign({ method, protocol: 'https:', hostname: this.host, path, query: {}, headers });
    return signed.headers;
  }
}
