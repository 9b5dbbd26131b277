/**
 * The lean client's SigV4 (./sigv4.ts, written for this one request shape) against the AWS SDK's signer
 * (@smithy/signature-v4) on the same request at the same clock: the
 * Authorization headers must be byte-identical, for posts and closes, with
 * and without a session token, for connection ids that need encoding.
 */
import { encodeConnectionId, POST_CONTENT_TYPE } from '../../layers/core/push/management-api-client';
import { EMPTY_BODY_SHA256, ExecuteApiSigner, amzDate, canonicalPath, sha256Hex } from '../../layers/core/push/sigv4';
import type { Credentials } from '../../layers/core/push/credentials';
import { smithySign } from '../support/smithy-signer';

const AT = Date.UTC(2025, 5, 17, 9, 30, 15, 123);
const HOST = 'abc123defg.execute-api.eu-west-1.amazonaws.com';
const REGION = 'eu-west-1';
const KEYS: Credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SESSION: Credentials = { ...KEYS, sessionToken: 'IQoJb3JpZ2luX2VjEA8aCWV1LXdlc3QtMiJGMEQCIE/p+Zv2Gc==' };

const signer = new ExecuteApiSigner(HOST, REGION, () => AT);

function lean(method: string, path: string, credentials: Credentials, body?: Uint8Array) {
  const payload = body && { contentType: POST_CONTENT_TYPE, length: body.byteLength };
  return signer.sign(method, path, credentials, body ? sha256Hex(body) : EMPTY_BODY_SHA256, payload);
}

/** The SDK signs what it sends: the same headers, less Authorization, at the same instant. */
function reference(method: string, path: string, headers: Record<string, string>, credentials: Credentials, body?: Uint8Array) {
  const { Authorization: _auth, ...unsigned } = headers;
  return smithySign({ method, host: HOST, path, headers: unsigned, body }, credentials, REGION, new Date(AT));
}

describe('ExecuteApiSigner = @smithy/signature-v4', () => {
  const ids = ['Ldh8ae0boAMCJDw=', 'a/b+c=', "it's(*)!", 'ünï'];
  const frame = Buffer.from(JSON.stringify({ type: 'update-presence', userId: 'u1', url: 'https://x.org/?q=1&r=ü', title: 'Ü' }));

  it.each(ids.flatMap((id) => [[id, 'keys'] as const, [id, 'session'] as const]))(
    'POST /prod/@connections/%s (%s credentials): same Authorization header',
    async (id, kind) => {
      const credentials = kind === 'keys' ? KEYS : SESSION;
      const path = `/prod/@connections/${encodeConnectionId(id)}`;
      const headers = lean('POST', path, credentials, frame);
      const expected = await reference('POST', path, headers, credentials, frame);
      expect(headers.Authorization).toBe(expected.authorization);
      expect(headers.Authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20250617\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date(;x-amz-security-token)?, Signature=[0-9a-f]{64}$/,
      );
      expect(headers['x-amz-security-token']).toBe(credentials.sessionToken);
    },
  );

  it.each(['DELETE', 'GET'])('%s: same Authorization header, empty-body hash, no content headers', async (method) => {
    const path = `/prod/@connections/${encodeConnectionId('Ldh8ae0boAMCJDw=')}`;
    const headers = lean(method, path, SESSION);
    expect(headers.Authorization).toBe((await reference(method, path, headers, SESSION)).authorization);
    expect(headers['x-amz-content-sha256']).toBe(sha256Hex(Buffer.alloc(0)));
    expect(headers['content-type']).toBeUndefined();
  });

  it('fixes the wire form: x-amz-date of the clock, the payload hash, the body length', () => {
    const headers = lean('POST', '/prod/@connections/x', KEYS, frame);
    expect(headers['x-amz-date']).toBe('20250617T093015Z');
    expect(amzDate(AT)).toBe('20250617T093015Z');
    expect(headers['x-amz-content-sha256']).toBe(sha256Hex(frame));
    expect(headers['content-length']).toBe(String(frame.byteLength));
    expect(headers['content-type']).toBe('application/octet-stream');
    expect(headers.host).toBe(HOST);
  });

  it("encodes connection ids like the SDK (RFC 3986: ! ' ( ) * too)", () => {
    expect(encodeConnectionId('Ldh8ae0boAMCJDw=')).toBe('Ldh8ae0boAMCJDw%3D');
    expect(encodeConnectionId('a/b+c')).toBe('a%2Fb%2Bc');
    expect(encodeConnectionId("it's(*)!")).toBe('it%27s%28%2A%29%21');
  });

  it('derives its signing key anew for a new day and for rotated credentials', async () => {
    let now = AT;
    const clocked = new ExecuteApiSigner(HOST, REGION, () => now);
    const path = '/prod/@connections/x';
    const rotated: Credentials = { accessKeyId: 'AKIDOTHER', secretAccessKey: 'rotated-secret', sessionToken: 'token-2' };
    const cases: [number, Credentials][] = [
      [AT, SESSION],
      [AT + 1000, SESSION],
      [AT + 86_400_000, SESSION],
      [AT + 86_400_000, rotated],
      [AT, SESSION],
    ];
    for (const [at, credentials] of cases) {
      now = at;
      const headers = clocked.sign('POST', path, credentials, sha256Hex(frame), { contentType: POST_CONTENT_TYPE, length: frame.byteLength });
      const { Authorization: _auth, ...unsigned } = headers;
      const expected = await smithySign({ method: 'POST', host: HOST, path, headers: unsigned, body: frame }, credentials, REGION, new Date(at));
      expect(headers.Authorization).toBe(expected.authorization);
    }
  });

  it('canonicalises the path as SigV4 asks of execute-api: every segment encoded once more', () => {
    expect(canonicalPath('/prod/%40connections/Ldh8ae0boAMCJDw%3D')).toBe('/prod/%2540connections/Ldh8ae0boAMCJDw%253D');
    expect(canonicalPath(`/prod/@connections/${encodeConnectionId("it's(*)!")}`)).toBe('/prod/%40connections/it%2527s%2528%252A%2529%2521');
  });

  it('differs from the reference when anything signed differs (the comparison can fail)', async () => {
    const path = '/prod/@connections/x';
    const headers = lean('POST', path, KEYS, frame);
    const otherBody = await reference('POST', path, { ...headers, 'x-amz-content-sha256': sha256Hex(Buffer.from('other')) }, KEYS);
    const otherKey = await reference('POST', path, headers, { ...KEYS, secretAccessKey: 'other' }, frame);
    expect(otherBody.authorization).not.toBe(headers.Authorization);
    expect(otherKey.authorization).not.toBe(headers.Authorization);
  });
});
