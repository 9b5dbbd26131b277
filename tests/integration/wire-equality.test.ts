/**
 * What the AWS SDK's ApiGatewayManagementApiClient sends and what our
 * client sends, captured at the local Management API (which verifies every
 * SigV4 signature with @smithy/signature-v4): the same method, path and
 * connection-id encoding, body bytes, content type and length, payload
 * hash, session token and signed headers (less the SDK's own telemetry
 * headers), and both signatures accepted. A signing or encoding bug in
 * our client fails here, as it would fail against API Gateway. The same for
 * our client signing with the SDK's signer (bench/smithy-signer.ts), so the
 * benchmark's comparison of the two signers compares the same requests.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { CredentialCache, type Credentials as ClientCredentials } from '../../layers/core/push/credentials';
import { ManagementApiClient } from '../../layers/core/push/management-api-client';
import { SmithyRequestSigner } from '../../bench/smithy-signer';
import { PushError } from '../../layers/core/push/push-error';
import { startManagementApi, type ManagementApiServer } from '../../local/management-api';
import { leanClient } from '../support/lean-client';
import { RecordingConnections } from '../support/recording-connections';

interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  status?: number;
}

/** Sent and signed by the SDK for its own bookkeeping; our client leaves them out. */
const SDK_TELEMETRY = new Set(['amz-sdk-invocation-id', 'amz-sdk-request', 'x-amz-user-agent']);
const signedHeaders = (headers: IncomingHttpHeaders): string[] =>
  (/SignedHeaders=([^,]+)/.exec(String(headers.authorization))?.[1] ?? '').split(';').filter((name) => !SDK_TELEMETRY.has(name));

const ID = 'Ldh8ae0b/AM+CJDw=';
const FRAME = Buffer.from(JSON.stringify({ type: 'update-presence', userId: 'u1', url: 'https://例え.jp/?a=1&b=ü', title: 'Ü "quoted"' }));

describe.each([
  ['long-term keys', { accessKeyId: 'AKIDWIRETEST', secretAccessKey: 'wire-test-secret' }],
  [
    'temporary credentials',
    { accessKeyId: 'ASIAWIRETEST', secretAccessKey: 'wire-test-secret', sessionToken: 'FwoGZXIvYXdzEBYaD+token/with=chars' },
  ],
] as const)('SDK client vs our client on the wire (%s)', (_kind, credentials: ClientCredentials) => {
  let api: ManagementApiServer;
  const connections = new RecordingConnections();
  const captured: Captured[] = [];
  let sdk: ApiGatewayManagementApiClient;
  let lean: ManagementApiClient;

  beforeAll(async () => {
    api = await startManagementApi(connections, 0, { credentials });
    api.server.prependListener('request', (request, response) => {
      const entry: Captured = { method: request.method!, url: request.url!, headers: request.headers, body: Buffer.alloc(0) };
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => (entry.body = Buffer.concat(chunks)));
      response.on('finish', () => (entry.status = response.statusCode));
      captured.push(entry);
    });
    sdk = new ApiGatewayManagementApiClient({ endpoint: api.endpoint, region: 'eu-central-1', credentials, maxAttempts: 1 });
    lean = leanClient(api.endpoint, credentials, 'eu-central-1');
  });

  afterAll(async () => {
    sdk.destroy();
    await lean.close();
    await api.close();
  });

  beforeEach(() => {
    captured.splice(0);
    connections.clearAll();
    connections.open(ID);
  });

  const compare = (bySdk: Captured, byLean: Captured): void => {
    expect(byLean.status).toBe(bySdk.status);
    expect(bySdk.status).toBeLessThan(300);
    expect(byLean.method).toBe(bySdk.method);
    expect(byLean.url).toBe(bySdk.url);
    expect(byLean.body.equals(bySdk.body)).toBe(true);
    for (const name of ['content-type', 'content-length', 'host', 'x-amz-content-sha256', 'x-amz-security-token']) {
      expect(`${name}: ${String(byLean.headers[name])}`).toBe(`${name}: ${String(bySdk.headers[name])}`);
    }
    expect(signedHeaders(byLean.headers)).toEqual(signedHeaders(bySdk.headers));
    expect(byLean.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    const scope = (headers: IncomingHttpHeaders) => /Credential=[^/]+\/\d{8}\/([^,]+),/.exec(String(headers.authorization))?.[1];
    expect(scope(byLean.headers)).toBe(scope(bySdk.headers));
    expect(scope(byLean.headers)).toBe('eu-central-1/execute-api/aws4_request');
  };

  it('PostToConnection: same request, both signatures verified', async () => {
    await sdk.send(new PostToConnectionCommand({ ConnectionId: ID, Data: FRAME }));
    await expect(lean.postToConnection(ID, FRAME)).resolves.toBe('sent');
    expect(captured).toHaveLength(2);
    compare(captured[0]!, captured[1]!);
    expect(captured[0]!.url).toBe('/local/@connections/Ldh8ae0b%2FAM%2BCJDw%3D');
    expect(connections.frames(ID)).toEqual([JSON.parse(FRAME.toString()), JSON.parse(FRAME.toString())]);
  });

  it('DeleteConnection and GetConnection: same requests', async () => {
    await sdk.send(new GetConnectionCommand({ ConnectionId: ID }));
    await expect(lean.getConnection(ID)).resolves.toMatchObject({ identity: { sourceIp: expect.any(String) as string } });
    await sdk.send(new DeleteConnectionCommand({ ConnectionId: ID }));
    connections.open(ID);
    await expect(lean.deleteConnection(ID)).resolves.toBe('sent');
    expect(captured.map((c) => c.method)).toEqual(['GET', 'GET', 'DELETE', 'DELETE']);
    compare(captured[0]!, captured[1]!);
    compare(captured[2]!, captured[3]!);
  });

  it("PostToConnection signed by the SDK's signer through our client: the same request, verified", async () => {
    const viaSdkSigner = new ManagementApiClient({
      endpoint: api.endpoint,
      region: 'eu-central-1',
      connections: 1,
      timeoutMs: 2_000,
      credentials: new CredentialCache(() => Promise.resolve(credentials)),
      signer: new SmithyRequestSigner(new URL(api.endpoint).host, 'eu-central-1'),
    });
    try {
      await sdk.send(new PostToConnectionCommand({ ConnectionId: ID, Data: FRAME }));
      await expect(viaSdkSigner.postToConnection(ID, FRAME)).resolves.toBe('sent');
      expect(captured).toHaveLength(2);
      compare(captured[0]!, captured[1]!);
    } finally {
      await viaSdkSigner.close();
    }
  });

  it('a request signed with other credentials is refused 403, as API Gateway does', async () => {
    const forger = leanClient(api.endpoint, { ...credentials, secretAccessKey: 'not-the-secret' }, 'eu-central-1', 1);
    try {
      const error = await forger.postToConnection(ID, FRAME).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PushError);
      expect(error).toMatchObject({ status: 403, code: 'InvalidSignatureException', retryable: false });
      expect(connections.frames(ID)).toEqual([]);
    } finally {
      await forger.close();
    }
  });
});
