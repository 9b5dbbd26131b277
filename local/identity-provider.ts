/**
 * A tiny stand-in for a Cognito user pool, shared by the tests and the local runtime (`npm start`).
 *
 * - An RS256 signing key with a `kid` (the RFC 7638 thumbprint), optionally persisted as a private JWK
 *   under `.local/keys/` (git-ignored) so a restarted local stack still accepts tokens it minted before.
 * - A JWKS endpoint on 127.0.0.1: the issuer is `http://127.0.0.1:<port>/local-user-pool` and the keys are
 *   served at `${issuer}/.well-known/jwks.json` (the URI aws-jwt-verify derives from an issuer, as for
 *   Cognito) and also at `/.well-known/jwks.json`.
 * - `mintToken()` producing Cognito-shaped id and access tokens, with knobs for the failure cases
 *   (expired, wrong key, other issuer, other client).
 *
 * Plain node:crypto is used for keys and signatures: jose 6 is ESM-only, which Jest (CommonJS, Node 20)
 * cannot load, and RS256 needs nothing beyond `crypto.sign`.
 *
 * Note for verifiers: aws-jwt-verify's default fetcher speaks HTTPS only; pass `httpJwksFetcher` (below)
 * as `new SimpleJwksCache({ fetcher: httpJwksFetcher })` to verify against this plain-HTTP endpoint.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

const HOST = '127.0.0.1';
export const DEFAULT_POOL_NAME = 'local-user-pool';
/** `.local/keys/` at the repository root (git-ignored). */
export const DEFAULT_KEY_DIR = path.resolve(__dirname, '..', '.local', 'keys');
const JWKS_PATH = '/.well-known/jwks.json';
const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration';

export type TokenUse = 'id' | 'access';

export interface PublicJwk {
  kty: 'RSA';
  n: string;
  e: string;
  kid: string;
  alg: 'RS256';
  use: 'sig';
}

export interface SigningKey {
  kid: string;
  /** Never log or serialise this; `publicJwk` is the shareable half. */
  privateKey: KeyObject;
  publicJwk: PublicJwk;
}

export interface Jwks {
  keys: PublicJwk[];
}

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

function rsaPublicParts(publicKey: KeyObject): { n: string; e: string } {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string') {
    throw new Error('identity provider: expected an RSA key');
  }
  return { n: jwk.n, e: jwk.e };
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url): a stable kid derived from the public key. */
function thumbprint(n: string, e: string): string {
  return base64url(createHash('sha256').update(JSON.stringify({ e, kty: 'RSA', n })).digest());
}

function signingKeyFrom(privateKey: KeyObject, kid?: string): SigningKey {
  const { n, e } = rsaPublicParts(createPublicKey(privateKey));
  const keyId = kid ?? thumbprint(n, e);
  return { kid: keyId, privateKey, publicJwk: { kty: 'RSA', n, e, kid: keyId, alg: 'RS256', use: 'sig' } };
}

/** A fresh 2048-bit RS256 key; kid defaults to the key's thumbprint. */
export async function createSigningKey(options: { kid?: string } = {}): Promise<SigningKey> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  return signingKeyFrom(privateKey, options.kid);
}

/** The private JWK (for persistence only). */
function exportPrivateJwk(key: SigningKey): Record<string, unknown> {
  return { ...key.privateKey.export({ format: 'jwk' }), kid: key.kid, alg: 'RS256', use: 'sig' };
}

/**
 * Loads `<dir>/<name>.json` (a private RSA JWK), or creates and saves a new key there (mode 0600).
 * Used by the local runtime so tokens survive restarts; tests normally use createSigningKey().
 */
export async function loadOrCreateSigningKey(dir: string = DEFAULT_KEY_DIR, name = 'signing-key'): Promise<SigningKey> {
  const file = path.join(dir, `${name}.json`);
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) {
    try {
      const jwk = JSON.parse(text) as JsonWebKey;
      const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
      if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('not an RSA key');
      return signingKeyFrom(privateKey, typeof jwk.kid === 'string' ? jwk.kid : undefined);
    } catch (err) {
      throw new Error(`identity provider: ${file} is not a usable RSA private JWK (${(err as Error).message}); delete it to mint a new key`);
    }
  }
  const key = await createSigningKey();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(exportPrivateJwk(key), null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
  return key;
}

export interface MintTokenOptions {
  userId: string;
  clientId: string;
  /** Default 'id'. */
  tokenUse?: TokenUse;
  /** Lifetime from `issuedAt`; negative values give an already-expired token. Default 3600. */
  expiresInSeconds?: number;
  /** Epoch seconds; default now. */
  issuedAt?: number;
  /** Default `<userId>@example.test` (id tokens only, as in Cognito). */
  email?: string;
  /** Overrides the header kid (e.g. to sign with one key but claim another's kid). */
  kid?: string;
  /** Merged last: can add claims or override any of the defaults (set a claim to undefined to drop it). */
  extraClaims?: Record<string, unknown>;
}

export interface MintTokenWith extends MintTokenOptions {
  issuer: string;
  key: SigningKey;
}

/**
 * The `sub` Cognito gives a user: a UUID of its own, never the username. Derived from the username here
 * (stable across restarts, different from it), so a local stack finds any code that mistakes one for the other.
 */
export function localSub(userId: string): string {
  const hex = createHash('sha1').update(`presence-local-sub:${userId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A Cognito-shaped RS256 JWT. The user id is the username: id tokens carry it as `cognito:username`,
 * with `aud` = clientId and `email`; access tokens as `username`, with `client_id` = clientId and
 * `scope`. Both carry `sub` (a UUID, as Cognito's: localSub), token_use, iss, iat, exp, auth_time,
 * jti, origin_jti, event_id.
 */
export function mintToken(options: MintTokenWith): string {
  const tokenUse = options.tokenUse ?? 'id';
  const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
  const exp = iat + (options.expiresInSeconds ?? 3600);
  const common = {
    sub: localSub(options.userId),
    iss: options.issuer,
    origin_jti: randomUUID(),
    event_id: randomUUID(),
    token_use: tokenUse,
    auth_time: iat,
    iat,
    exp,
    jti: randomUUID(),
  };
  const specific =
    tokenUse === 'id'
      ? {
          aud: options.clientId,
          'cognito:username': options.userId,
          email: options.email ?? `${options.userId}@example.test`,
          email_verified: true,
        }
      : { client_id: options.clientId, username: options.userId, scope: 'aws.cognito.signin.user.admin' };
  const claims = { ...common, ...specific, ...options.extraClaims };
  const header = { kid: options.kid ?? options.key.kid, alg: 'RS256' };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(signingInput), options.key.privateKey);
  return `${signingInput}.${base64url(signature)}`;
}

/**
 * An aws-jwt-verify `Fetcher` that also speaks plain HTTP (its default fetcher is HTTPS-only):
 * `JwtVerifier.create({...}, { jwksCache: new SimpleJwksCache({ fetcher: httpJwksFetcher }) })`.
 */
export const httpJwksFetcher = {
  async fetch(uri: string): Promise<ArrayBuffer> {
    const response = await fetch(uri, { signal: AbortSignal.timeout(3000) });
    if (response.status !== 200) throw new Error(`GET ${uri}: status ${response.status}, expected 200`);
    return response.arrayBuffer();
  },
};

export interface IdentityProviderOptions {
  /** Port on 127.0.0.1; default 0 (random). Use a fixed port when tokens must outlive a restart. */
  port?: number;
  /** Signing key for mintToken(); default: loaded from `keyDir` if given, else a fresh one. */
  key?: SigningKey;
  /** Persist/load the signing key here (see loadOrCreateSigningKey). */
  keyDir?: string;
  /** More public keys to publish in the JWKS (rotation tests). */
  extraKeys?: SigningKey[];
  /** The issuer path segment; default 'local-user-pool'. */
  poolName?: string;
}

export interface IdentityProvider {
  /** `http://127.0.0.1:<port>/<poolName>` */
  issuer: string;
  /** `${issuer}/.well-known/jwks.json` */
  jwksUri: string;
  port: number;
  key: SigningKey;
  /** mintToken() with this provider's issuer and key as defaults. */
  mintToken(options: MintTokenOptions & { issuer?: string; key?: SigningKey }): string;
  /** Publishes another public key in the JWKS. */
  addKey(key: SigningKey): void;
  jwks(): Jwks;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, head: boolean): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(head ? undefined : text);
}

/** Starts the JWKS endpoint on 127.0.0.1 and returns the issuer, JWKS URI and a bound token minter. */
export async function startIdentityProvider(options: IdentityProviderOptions = {}): Promise<IdentityProvider> {
  const key = options.key ?? (options.keyDir ? await loadOrCreateSigningKey(options.keyDir) : await createSigningKey());
  const published = new Map<string, PublicJwk>();
  for (const k of [key, ...(options.extraKeys ?? [])]) published.set(k.kid, k.publicJwk);
  const poolPath = `/${options.poolName ?? DEFAULT_POOL_NAME}`;
  let issuer = '';

  const jwks = (): Jwks => ({ keys: [...published.values()] });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      sendJson(res, 405, { message: 'Method Not Allowed' }, head);
      return;
    }
    const pathname = new URL(req.url ?? '/', `http://${HOST}`).pathname;
    if (pathname === `${poolPath}${JWKS_PATH}` || pathname === JWKS_PATH) {
      sendJson(res, 200, jwks(), head);
    } else if (pathname === `${poolPath}${OPENID_CONFIGURATION_PATH}`) {
      sendJson(
        res,
        200,
        {
          issuer,
          jwks_uri: `${issuer}${JWKS_PATH}`,
          response_types_supported: ['token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        },
        head,
      );
    } else {
      sendJson(res, 404, { message: 'Not Found' }, head);
    }
  });
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  issuer = `http://${HOST}:${port}${poolPath}`;
  let closed: Promise<void> | undefined;

  return {
    issuer,
    jwksUri: `${issuer}${JWKS_PATH}`,
    port,
    key,
    mintToken: (mintOptions) => mintToken({ ...mintOptions, issuer: mintOptions.issuer ?? issuer, key: mintOptions.key ?? key }),
    addKey: (extra) => {
      published.set(extra.kid, extra.publicJwk);
    },
    jwks,
    close: () =>
      (closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      })),
  };
}
