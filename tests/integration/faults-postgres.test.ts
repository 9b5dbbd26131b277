/**
 * PostgreSQL faults, for real: the handlers reach the suite's database through a TCP fault proxy that
 * resets, refuses or blackholes connections, and PostgreSQL itself ends pooled connections
 * (pg_terminate_backend, as a restart, failover or RDS Proxy idle timeout does). The process must
 * survive all of it, answer 503 (REST) or an error frame (WebSocket) within 3 s, keep presence flowing
 * from the cache, and work again within 5 s of the database coming back.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { isPostgresOutage } from '../../layers/core/db/failures';
import { secretPassword } from '../../layers/core/db/pool';
import { localCredentialEnvironment } from '../../local/aws-credentials';
import { befriend, createPool, resetTables, seedUsers } from '../support/db';
import { FaultProxy } from '../support/fault-proxy';
import { HandlerHarness } from '../support/handler-harness';
import { elapsedMs, untilOk, watchProcessErrors } from '../support/faults';

const SHARDS = 4;

describe('PostgreSQL faults (real database behind a fault proxy)', () => {
  let proxy: FaultProxy;
  const harness = new HandlerHarness('faults-postgres', ({ databaseUrl }) => {
    const proxied = new URL(databaseUrl);
    proxied.port = String(proxy.port);
    return { DATABASE_URL: proxied.toString(), STATUS_SHARDS: String(SHARDS) };
  });
  const processErrors = watchProcessErrors();
  let pool: Pool;

  beforeAll(async () => {
    proxy = await FaultProxy.start(Number(new URL(process.env.DATABASE_URL!).port || 5432));
    await harness.start();
    pool = createPool({ connectionString: harness.databaseUrl });
  });

  afterAll(async () => {
    await harness.close();
    await pool.end();
    await proxy.close();
    processErrors.stop();
  });

  beforeEach(async () => {
    await proxy.restore();
    await harness.resetRedis();
    await resetTables(pool);
    await seedUsers(pool, ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'cold-1', 'cold-2']);
    await befriend(pool, 'alice', 'bob');
    await befriend(pool, 'erin', 'frank');
    harness.connections.clearAll();
  });

  afterEach(() => {
    expect(processErrors.seen()).toEqual([]);
  });

  let counter = 0;
  const id = (name: string) => `${name}-${++counter}=`;
  const sweepAll = async () => {
    for (let shard = 0; shard < SHARDS; shard++) await harness.sweep(shard);
  };

  it('survives PostgreSQL ending idle pooled connections, and the next request is answered', async () => {
    expect((await harness.getPresence('alice')).statusCode).toBe(200);
    const { rows } = await pool.query<{ ended: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS ended FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'presence-api'`,
    );
    expect(rows[0]!.ended).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the pool sees the idle connections die
    expect((await harness.getPresence('alice')).statusCode).toBe(200);
  });

  it('retries once, on a fresh connection, a query whose connection was reset under it', async () => {
    expect((await harness.getPresence('alice')).statusCode).toBe(200);
    proxy.blackhole();
    const answer = harness.getPresence('carol');
    await new Promise((resolve) => setTimeout(resolve, 100)); // the query is on the wire, unanswered
    proxy.reset();
    await proxy.restore();
    expect((await answer).statusCode).toBe(200);
  });

  it('answers 503 with Retry-After within 3 s while PostgreSQL does not answer, serves what it has cached, and recovers within 5 s', async () => {
    const [alice, bob] = [id('alice'), id('bob')];
    await harness.connect('alice', alice);
    await harness.connect('bob', bob);
    await harness.update('alice', alice, { url: 'https://example.com/before', title: 'Before' });
    expect((await harness.getPresence('bob')).statusCode).toBe(200);
    harness.connections.clearAll();

    proxy.blackhole();
    const cold = await elapsedMs(() => harness.getPresence('cold-1')); // never asked for: nothing cached
    expect(cold.result.statusCode).toBe(503);
    expect(cold.result.headers?.['Retry-After']).toBe('2');
    expect(JSON.parse(cold.result.body)).toEqual({ message: 'Service temporarily unavailable' });
    expect(cold.ms).toBeLessThan(3000);

    const warm = await elapsedMs(() => harness.getPresence('bob'));
    expect(warm.result.statusCode).toBe(200);
    expect(warm.ms).toBeLessThan(3000);
    const snapshot = JSON.parse(warm.result.body) as { presenceArr: { userId: string; page: { url: string } | null }[] };
    expect(snapshot.presenceArr.find((entry) => entry.userId === 'alice')?.page?.url).toBe('https://example.com/before');

    const update = await elapsedMs(() => harness.update('alice', alice, { url: 'https://example.com/during', title: 'During' }));
    expect(update.result.statusCode).toBe(200);
    expect(update.ms).toBeLessThan(3000);
    expect(harness.connections.frames(bob)).toEqual([expect.objectContaining({ type: 'update-presence', url: 'https://example.com/during' })]);

    await proxy.restore();
    const recovery = await untilOk(async () => (await harness.getPresence('cold-1')).statusCode === 200, 5000);
    expect(recovery).toBeLessThan(5000);
  });

  it('answers an update on a WebSocket with an error frame within 3 s when nothing is cached', async () => {
    const dave = id('dave');
    await proxy.refuse();
    // The connection is registered all the same; only its came-online announcement waits for the sweep.
    expect((await harness.connect('dave', dave)).statusCode).toBe(200);
    const update = await elapsedMs(() => harness.update('dave', dave, { url: 'https://example.com/', title: 'x' }));
    expect(update.result.statusCode).toBe(503);
    expect(update.ms).toBeLessThan(3000);
    expect(harness.connections.frames(dave)).toEqual([{ type: 'error', message: 'temporarily unavailable, retry' }]);
    expect(harness.connections.isOpen(dave)).toBe(true);

    await proxy.restore();
    const recovery = await untilOk(async () => (await harness.update('dave', dave, { url: 'https://example.com/', title: 'x' })).statusCode === 200, 5000);
    expect(recovery).toBeLessThan(5000);
  });

  it('lets the sweep tell friends of a user whose $disconnect could not (PostgreSQL down, nothing cached)', async () => {
    const [erin, frank] = [id('erin'), id('frank')];
    await harness.connect('frank', frank);
    await proxy.refuse();
    await harness.connect('erin', erin); // connected while PostgreSQL refuses: nothing of erin's is cached
    expect((await harness.disconnect('erin', erin)).statusCode).toBe(503);
    expect(harness.connections.frames(frank)).toEqual([]);

    await proxy.restore();
    await untilOk(async () => {
      await sweepAll();
      return true;
    }, 5000);
    expect(harness.connections.frames(frank)).toEqual([{ type: 'presence-timeout', userId: 'erin', at: expect.any(Number) }]);
    await sweepAll();
    expect(harness.connections.frames(frank)).toHaveLength(1);
  });
});

/**
 * The password of a deployed stack's pool comes from Secrets Manager when the pool first connects (the
 * local database trusts every connection and never asks for one, so the lookup is tested on its own),
 * against a stand-in on loopback that speaks the SDK's protocol (AWS_ENDPOINT_URL_SECRETS_MANAGER).
 */
describe('the PostgreSQL password from Secrets Manager', () => {
  const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:presence-db-AbCdEf';
  let server: Server;
  let answer: 'json' | 'plain' | 'fail' | 'silent' = 'json';
  const asked: string[] = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        asked.push(`${String(request.headers['x-amz-target'])} ${(JSON.parse(body) as { SecretId: string }).SecretId}`);
        if (answer === 'silent') return; // never answers: the client's own timeout ends the wait
        response.setHeader('Content-Type', 'application/x-amz-json-1.1');
        if (answer === 'fail') {
          response.statusCode = 500;
          response.end(JSON.stringify({ __type: 'InternalServiceError', message: 'down' }));
          return;
        }
        const secret = answer === 'json' ? JSON.stringify({ username: 'presence', password: 's3cret' }) : 'plain-s3cret';
        response.end(JSON.stringify({ ARN, Name: 'presence-db', SecretString: secret }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    Object.assign(process.env, localCredentialEnvironment(), {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
  });

  afterAll(async () => {
    process.env = saved;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    asked.length = 0;
  });

  it('reads it only when asked (a connection opens), once, from a JSON or a plain-string secret', async () => {
    answer = 'json';
    const password = secretPassword(ARN, 'us-east-1', 1000);
    expect(asked).toEqual([]);
    await expect(password()).resolves.toBe('s3cret');
    await expect(password()).resolves.toBe('s3cret');
    expect(asked).toEqual([`secretsmanager.GetSecretValue ${ARN}`]);

    answer = 'plain';
    await expect(secretPassword(ARN, 'us-east-1', 1000)()).resolves.toBe('plain-s3cret');
  });

  it('fails as an outage when Secrets Manager fails or does not answer, and asks again on the next connection', async () => {
    const password = secretPassword(ARN, 'us-east-1', 300);
    for (const failure of ['fail', 'silent'] as const) {
      answer = failure;
      const error: unknown = await password().catch((caught: unknown) => caught);
      expect(`${failure}: ${isPostgresOutage(error)}`).toBe(`${failure}: true`);
    }
    answer = 'json';
    await expect(password()).resolves.toBe('s3cret');
    // Each failure was tried twice (maxAttempts 2); the answer came from a request of its own.
    expect(asked).toHaveLength(5);
  });
});
