/**
 * Redis credentials from Secrets Manager (REDIS_AUTH_SECRET_ARN), against real redis-servers that demand
 * them: one started with --requirepass (an AUTH token, as ElastiCache's AUTH), one whose only user is an
 * ACL user (RBAC, as ElastiCache's user groups), and a stand-in Secrets Manager on loopback that speaks the
 * SDK's protocol (AWS_ENDPOINT_URL_SECRETS_MANAGER). The secret is read once, before the first command;
 * a failed or slow read, wrong credentials or a malformed secret are outages (503, never a crash).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { loadConfig } from '../../layers/core/config';
import { ServiceUnavailableError } from '../../layers/core/errors';
import { logger } from '../../layers/core/logger';
import type { ConnectionActivity } from '../../layers/core/model';
import { parseRedisSecret, RedisSecretFormatError } from '../../layers/core/redis/credentials';
import { storeWithSecretCredentials, type RedisStore } from '../../layers/core/runtime/redis';
import { localCredentialEnvironment } from '../../local/aws-credentials';
import { freePort } from '../../local/backends/ports';
import { befriend, createPool, resetTables, seedUsers } from '../support/db';
import { testRedisPrefix } from '../support/env';
import { elapsedMs, untilOk, watchProcessErrors } from '../support/faults';
import { HandlerHarness } from '../support/handler-harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Credentials {
  username?: string;
  password: string;
}

/** A private redis-server on loopback that accepts only these credentials; SIGKILL and start again keeps them. */
class ProtectedRedis {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly args: string[],
    private readonly credentials: Credentials,
  ) {}

  static async start(args: string[], credentials: Credentials): Promise<ProtectedRedis> {
    const server = new ProtectedRedis(await freePort(), args, credentials);
    await server.launch();
    return server;
  }

  private async launch(): Promise<void> {
    const base = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];
    const child = spawn(process.env.REDIS_SERVER_BIN ?? 'redis-server', [...base, ...this.args], { stdio: 'ignore' });
    this.child = child;
    process.once('exit', () => child.kill('SIGKILL'));
    for (let attempt = 0; !(await this.answers()); attempt++) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} on port ${this.port}`);
      if (attempt > 100) throw new Error(`redis-server did not answer on port ${this.port}`);
      await sleep(50);
    }
  }

  /** Whether it answers PING after AUTH with its credentials (one plain socket). */
  private answers(): Promise<boolean> {
    const { username, password } = this.credentials;
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: this.port });
      let reply = '';
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(500, () => done(false));
      socket.once('error', () => done(false));
      socket.once('connect', () => socket.write(`AUTH ${username ? `${username} ` : ''}${password}\r\nPING\r\n`));
      socket.on('data', (data) => {
        reply += data.toString();
        if (reply.includes('+PONG')) done(true);
        else if (reply.startsWith('-')) done(false);
      });
    });
  }

  /** An admin client with the server's credentials (assertions only). */
  client(): Redis {
    return new Redis({ port: this.port, host: '127.0.0.1', ...this.credentials, lazyConnect: true, maxRetriesPerRequest: 1 });
  }

  /** SIGKILL (every key lost) and start again, empty, on the same port with the same credentials. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

const ARN = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;
const TOKEN_ARN = ARN('redis-token');
const USER_ARN = ARN('redis-user');
const WRONG_ARN = ARN('redis-wrong');
const MALFORMED_ARN = ARN('redis-malformed');
const TOKEN = 'a-long-auth-token-0123456789';
const RBAC: Credentials = { username: 'presence', password: 'rbac-s3cret' };

describe('Redis credentials from Secrets Manager', () => {
  let tokenRedis: ProtectedRedis;
  let aclRedis: ProtectedRedis;
  let secretsManager: Server;
  /** How the stand-in answers: with the secret, a 500, or never. */
  let answer: 'secret' | 'fail' | 'silent' = 'secret';
  const asked: string[] = [];
  const secrets: Record<string, string> = {
    [TOKEN_ARN]: TOKEN,
    [USER_ARN]: JSON.stringify({ ...RBAC, user_arn: 'arn:aws:elasticache:us-east-1:123456789012:user:presence', engine: 'redis' }),
    [WRONG_ARN]: JSON.stringify({ username: RBAC.username, password: 'not-it' }),
    [MALFORMED_ARN]: JSON.stringify({ user: 'presence', pass: 'rbac-s3cret' }),
  };
  const saved = { ...process.env };
  const processErrors = watchProcessErrors();
  const stores: RedisStore[] = [];

  const harness = new HandlerHarness('redis-auth', () => ({
    // REDIS_URL would win: the functions reach the ACL server through REDIS_HOST and the secret, as deployed.
    REDIS_URL: '',
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(aclRedis.port),
    REDIS_TLS: 'false',
    REDIS_AUTH_SECRET_ARN: USER_ARN,
  }));

  beforeAll(async () => {
    [tokenRedis, aclRedis] = await Promise.all([
      ProtectedRedis.start(['--requirepass', TOKEN], { password: TOKEN }),
      ProtectedRedis.start(['--user', 'default', 'off', '--user', RBAC.username!, 'on', `>${RBAC.password}`, '~*', '&*', '+@all'], RBAC),
    ]);
    secretsManager = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        asked.push(`${String(request.headers['x-amz-target'])} ${SecretId}`);
        if (answer === 'silent') return; // never answers: the client's own timeout ends the wait
        response.setHeader('Content-Type', 'application/x-amz-json-1.1');
        if (answer === 'fail' || !(SecretId in secrets)) {
          response.statusCode = 500;
          response.end(JSON.stringify({ __type: 'InternalServiceError', message: 'down' }));
          return;
        }
        response.end(JSON.stringify({ ARN: SecretId, Name: 'redis', SecretString: secrets[SecretId] }));
      });
    });
    await new Promise<void>((resolve) => secretsManager.listen(0, '127.0.0.1', resolve));
    Object.assign(process.env, localCredentialEnvironment(), {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(secretsManager.address() as AddressInfo).port}`,
    });
    await harness.start();
  });

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await harness.close();
    process.env = saved;
    secretsManager.closeAllConnections();
    await new Promise((resolve) => secretsManager.close(resolve));
    await Promise.all([tokenRedis.stop(), aclRedis.stop()]);
    processErrors.stop();
  });

  beforeEach(() => {
    answer = 'secret';
    asked.length = 0;
  });

  afterEach(() => {
    expect(processErrors.seen()).toEqual([]);
  });

  /** A function's store on `server`, its credentials in the secret `arn`; waits of 300 ms. */
  const storeOn = (server: ProtectedRedis, arn: string, suite: string): RedisStore => {
    const config = loadConfig({
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(server.port),
      REDIS_TLS: 'false',
      REDIS_AUTH_SECRET_ARN: arn,
      REDIS_KEY_PREFIX: testRedisPrefix(suite),
      REDIS_CONNECT_TIMEOUT_MS: '300',
      REDIS_COMMAND_TIMEOUT_MS: '300',
      DATABASE_URL: 'postgres://127.0.0.1:1/unused',
      AWS_REGION: 'us-east-1',
    });
    const store = storeWithSecretCredentials(config, arn);
    stores.push(store);
    return store;
  };
  const connection = (id: string): ConnectionActivity => ({ connectionId: `${id}=`, connectedAt: Date.now(), allowanceMs: 150_000 });
  const online = async (store: RedisStore, users: string[]) =>
    [...(await store.store.snapshot(users)).values()].filter((presence) => presence.online).length;

  it.each([
    ['an AUTH token (a plain-string secret), on a server started with --requirepass', () => tokenRedis, TOKEN_ARN, 'auth-token'],
    ['an RBAC user (a JSON secret), on a server whose only user it is', () => aclRedis, USER_ARN, 'auth-rbac'],
  ])('authenticates with %s, reading the secret once, at the first command', async (_what, server, arn, suite) => {
    const store = storeOn(server(), arn, suite);
    expect(asked).toEqual([]); // nothing is read until a command needs Redis
    const users = ['alice', 'bob', 'carol', 'dave'];
    await Promise.all(users.map((user) => store.store.connect(user, connection(`${suite}-${user}`), Date.now())));
    expect(await online(store, users)).toBe(users.length);
    expect(asked).toEqual([`secretsmanager.GetSecretValue ${arn}`]);

    // The server does demand the credentials: without them nothing is read.
    const anonymous = new Redis({
      port: server().port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await expect(anonymous.keys(`${testRedisPrefix(suite)}*`)).rejects.toThrow(/NOAUTH/);
    } finally {
      anonymous.disconnect();
    }
  });

  it('reconnects with the same credentials after Redis restarts empty, without reading the secret again', async () => {
    const store = storeOn(aclRedis, USER_ARN, 'auth-restart');
    await store.store.connect('erin', connection('auth-restart-erin'), Date.now());
    expect(asked).toHaveLength(1);
    await aclRedis.restart();
    await untilOk(async () => {
      await store.store.connect('erin', connection('auth-restart-erin-2'), Date.now());
      return true;
    }, 5000);
    expect(await online(store, ['erin'])).toBe(1);
    expect(asked).toHaveLength(1);
  });

  it.each([
    ['credentials Redis refuses', WRONG_ARN, /WRONGPASS/],
    ['a JSON secret without a password', MALFORMED_ARN, /without a "password" string/],
  ])('answers an outage, never a crash, for %s', async (_what, arn, cause) => {
    const store = storeOn(aclRedis, arn, 'auth-refused');
    const error: unknown = await store.store
      .connect('frank', connection('auth-refused-frank'), Date.now())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(String((error as ServiceUnavailableError).cause)).toMatch(cause);
    expect(String((error as ServiceUnavailableError).cause)).not.toContain('rbac-s3cret');
  });

  it('says why the credentials could not be read, naming the secret and never its content', async () => {
    const store = storeOn(aclRedis, MALFORMED_ARN, 'auth-malformed');
    // Powertools writes errors to stderr: collect what this call writes there.
    let written = '';
    const captured = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    });
    const level = logger.getLevelName();
    logger.setLogLevel('ERROR');
    try {
      await store.store.snapshot(['frank']).catch((caught: unknown) => caught);
    } finally {
      logger.setLogLevel(level);
      captured.mockRestore();
    }
    const lines = written
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        message: 'Redis credentials could not be read',
        secretArn: MALFORMED_ARN,
        error: expect.stringMatching(/^RedisSecretFormatError: /),
      }),
    ]);
    expect(written).not.toContain('rbac-s3cret');
  });

  it('answers an outage within its bounded wait when Secrets Manager fails or does not answer, and reads again on the next command', async () => {
    const store = storeOn(aclRedis, USER_ARN, 'auth-unavailable');
    for (const failure of ['fail', 'silent'] as const) {
      answer = failure;
      const { result: error, ms } = await elapsedMs(() => store.store.snapshot(['gina']).catch((caught: unknown) => caught));
      expect(`${failure}: ${error instanceof ServiceUnavailableError && error.dependency}`).toBe(`${failure}: redis`);
      expect(ms).toBeLessThan(3000); // two attempts of at most 300 ms each to connect and to answer
    }
    answer = 'secret';
    await store.store.connect('gina', connection('auth-unavailable-gina'), Date.now());
    expect(await online(store, ['gina'])).toBe(1);
    // Each failure was tried twice (two attempts); the credentials came from a read of their own.
    expect(asked).toHaveLength(5);
  });

  it('serves the real handlers of a deployed stack: REDIS_HOST with the secret, TLS off only for this loopback server', async () => {
    const pool = createPool({ connectionString: harness.databaseUrl });
    try {
      await resetTables(pool);
      await seedUsers(pool, ['alice', 'bob']);
      await befriend(pool, 'alice', 'bob');
      expect((await harness.connect('bob', 'auth-handler-bob=')).statusCode).toBe(200);
      const snapshot = await harness.getPresence('alice');
      expect(snapshot.statusCode).toBe(200);
      // bob online: he has a last activity.
      expect((JSON.parse(snapshot.body) as { presenceArr: { userId: string }[] }).presenceArr).toEqual([
        expect.objectContaining({ userId: 'bob', lastActiveAt: expect.any(String) }),
      ]);
      expect(asked).toEqual([`secretsmanager.GetSecretValue ${USER_ARN}`]);
      // The keys are on the ACL server, written as its user.
      const admin = aclRedis.client();
      try {
        expect((await admin.keys(`${harness.keyPrefix}*`)).length).toBeGreaterThan(0);
      } finally {
        admin.disconnect();
      }
    } finally {
      await pool.end();
    }
  });
});

describe('parseRedisSecret', () => {
  it.each([
    ['a plain string: an AUTH token', 'tok3n', { password: 'tok3n' }],
    ['a number-looking token stays a token', '12345678901234567890', { password: '12345678901234567890' }],
    ['JSON with username and password: an RBAC user', '{"username":"u","password":"p","engine":"redis"}', { username: 'u', password: 'p' }],
    ['JSON with a password alone: a token', '{"password":"p"}', { password: 'p' }],
  ])('reads %s', (_what, secret, credentials) => {
    expect(parseRedisSecret(secret)).toEqual(credentials);
  });

  it.each([
    ['', /empty/],
    ['{"username":"u"}', /without a "password" string/],
    ['{"username":7,"password":"p"}', /"username" that is not one/],
  ])('refuses %j without quoting it', (secret, message) => {
    expect(() => parseRedisSecret(secret)).toThrow(RedisSecretFormatError);
    expect(() => parseRedisSecret(secret)).toThrow(message);
  });
});
