/**
 * The local Management API checks SigV4 on every request as API Gateway
 * does (local/sigv4-verifier.ts, with the local stack's fixed credentials)
 * and answers API Gateway's 403 shapes: ForbiddenException without an
 * Authorization header, InvalidSignatureException for a wrong signature,
 * a tampered body or an expired date, UnrecognizedClientException for an
 * unknown key.
 */
import { request as httpRequest } from 'node:http';
import { LOCAL_AWS_CREDENTIALS } from '../../local/aws-credentials';
import { startManagementApi, type ManagementApiServer } from '../../local/management-api';
import type { Credentials } from '../../layers/core/push/credentials';
import { POST_CONTENT_TYPE } from '../../layers/core/push/management-api-client';
import { ExecuteApiSigner, sha256Hex } from '../../layers/core/push/sigv4';
import { leanClient } from '../support/lean-client';
import { RecordingConnections } from '../support/recording-connections';

interface Answer {
  status: number;
  errorType: string | undefined;
  body: string;
}

describe('local Management API: SigV4 verification', () => {
  let api: ManagementApiServer;
  let url: URL;
  const connections = new RecordingConnections();

  beforeAll(async () => {
    api = await startManagementApi(connections);
    url = new URL(api.endpoint);
  });

  afterAll(() => api.close());

  beforeEach(() => {
    connections.clearAll();
    connections.open('c1');
  });

  const path = () => `${url.pathname}/@connections/c1`;

  const send = (headers: Record<string, string>, body: Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const request = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: path(), headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            errorType: response.headers['x-amzn-errortype'] as string | undefined,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
      request.on('error', reject);
      request.end(body);
    });

  const signed = (body: Buffer, credentials: Credentials = LOCAL_AWS_CREDENTIALS, at = Date.now()) =>
    new ExecuteApiSigner(url.host, 'us-east-1', () => at).sign('POST', path(), credentials, sha256Hex(body), {
      contentType: POST_CONTENT_TYPE,
      length: body.byteLength,
    });

  const frame = Buffer.from('{"type":"presence-timeout","userId":"u1"}');

  it('accepts a request signed with the local credentials', async () => {
    const answer = await send(signed(frame), frame);
    expect(answer.status).toBe(200);
    expect(connections.frames('c1')).toEqual([JSON.parse(frame.toString())]);
  });

  it('answers 403 ForbiddenException {"message":"Forbidden"} without an Authorization header', async () => {
    const answer = await send({ 'content-type': POST_CONTENT_TYPE }, frame);
    expect(answer).toEqual({ status: 403, errorType: 'ForbiddenException', body: '{"message":"Forbidden"}' });
    expect(connections.frames('c1')).toEqual([]);
  });

  it('answers 403 InvalidSignatureException for a wrong signature', async () => {
    const headers = signed(frame);
    headers.Authorization = headers.Authorization!.replace(/Signature=([0-9a-f])/, (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`);
    const answer = await send(headers, frame);
    expect(answer.status).toBe(403);
    expect(answer.errorType).toBe('InvalidSignatureException');
    expect((JSON.parse(answer.body) as { message: string }).message).toMatch(/^The request signature we calculated does not match/);
    expect(connections.frames('c1')).toEqual([]);
  });

  it('answers 403 InvalidSignatureException for a body that is not the one signed', async () => {
    const other = Buffer.from('{"type":"presence-timeout","userId":"u2"}');
    const answer = await send(signed(frame), other);
    expect([answer.status, answer.errorType]).toEqual([403, 'InvalidSignatureException']);
  });

  it('answers 403 for a signature older than 5 minutes', async () => {
    const answer = await send(signed(frame, LOCAL_AWS_CREDENTIALS, Date.now() - 6 * 60_000), frame);
    expect([answer.status, answer.errorType]).toEqual([403, 'InvalidSignatureException']);
    expect((JSON.parse(answer.body) as { message: string }).message).toMatch(/^Signature expired: /);
  });

  it('answers 403 UnrecognizedClientException for an unknown access key or session token', async () => {
    const stranger = await send(signed(frame, { ...LOCAL_AWS_CREDENTIALS, accessKeyId: 'AKIDSTRANGER' }), frame);
    expect([stranger.status, stranger.errorType]).toEqual([403, 'UnrecognizedClientException']);
    const token = await send(signed(frame, { ...LOCAL_AWS_CREDENTIALS, sessionToken: 'made-up' }), frame);
    expect([token.status, token.errorType]).toEqual([403, 'UnrecognizedClientException']);
  });

  it('the lean client with the local credentials gets through (200, then 410 once closed)', async () => {
    const client = leanClient(api.endpoint, LOCAL_AWS_CREDENTIALS);
    try {
      await expect(client.postToConnection('c1', frame)).resolves.toBe('sent');
      await expect(client.deleteConnection('c1')).resolves.toBe('sent');
      await expect(client.postToConnection('c1', frame)).resolves.toBe('gone');
    } finally {
      await client.close();
    }
  });
});
