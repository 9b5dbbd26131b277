/**
 * The AWS SDK's own SigV4 signer (@smithy/signature-v4) signing an
 * @connections request the way ApiGatewayManagementApiClient does: the
 * reference the lean client's signatures are compared against.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type { Credentials } from '../../layers/core/push/credentials';
import { NodeSha256 } from '../../local/node-sha256';

export interface ReferenceRequest {
  method: string;
  host: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

/** Signs with the SDK's signer at `at`; returns the headers it would send (authorization included). */
export async function smithySign(
  request: ReferenceRequest,
  credentials: Credentials,
  region: string,
  at: Date,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({ credentials, region, service: 'execute-api', sha256: NodeSha256, uriEscapePath: true });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'https:',
      hostname: request.host,
      path: request.path,
      query: {},
      headers: { ...request.headers },
      body: request.body,
    },
    { signingDate: at },
  );
  return signed.headers;
}
