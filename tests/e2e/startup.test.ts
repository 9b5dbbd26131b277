/**
 * `npm start` fails fast and explains: a Redis or PostgreSQL that is not there, refuses, wants other
 * credentials, swallows packets or lacks the database, and every wrong setting, stop the start with
 * ONE line on stderr (what, where as host:port without credentials, why, how to fix), no stack trace,
 * exit code 1, within 4 s of waiting: at most 4 s longer than the same command takes, in the same run,
 * to refuse a setting before any I/O (what starting the process and loading its code costs on this
 * machine at the moment; about 0.7 s on a quiet one). Each case spawns the real command with the bad setting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../local/backends/ports';
import { redisServerOnPath } from '../../local/backends/redis';
import { databaseUrl, redisUrl, testRunId, withDatabase } from '../support/env';
import { commandEnv, run, runTsx, type Finished } from './helpers/commands';

/** What a failing start may spend waiting (connection attempts, timeouts) beyond loading itself. */
const WAIT_BUDGET_MS = 4000;
/** How long the command takes to refuse a setting before any I/O, measured in beforeAll. */
let floorMs: number;
const stacksDir = mkdtempSync(path.join(os.tmpdir(), 'presence-startup-stacks-'));

let closedPort: number;
let blackhole: { server: Server; port: number; sockets: Set<Socket> };
let privateRedis: { child: ChildProcess; port: number } | undefined;
const emptyDatabase = `presence_empty_${testRunId()}`.toLowerCase();

/** A TCP server that accepts connections and never says a word (a firewall that swallows replies). */
async function startBlackhole(): Promise<typeof blackhole> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

async function startPrivateRedis(): Promise<typeof privateRedis> {
  if (!redisServerOnPath()) return undefined;
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', 's3cret'],
    {
      stdio: 'ignore',
    },
  );
  for (let attempt = 0; attempt < 100; attempt++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return { child, port };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error('the private redis-server did not start');
}

beforeAll(async () => {
  const floor = await start({ PORT: 'abc' });
  expect(floor.code).toBe(1);
  floorMs = floor.ms;
  closedPort = await freePort();
  blackhole = await startBlackhole();
  privateRedis = await startPrivateRedis();
  const admin = new Client({ connectionString: databaseUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${emptyDatabase}`);
    await admin.query(`CREATE DATABASE ${emptyDatabase}`);
  } finally {
    await admin.end();
  }
}, 30_000);

afterAll(async () => {
  for (const socket of blackhole?.sockets ?? []) socket.destroy();
  await new Promise((resolve) => blackhole?.server.close(resolve));
  privateRedis?.child.kill('SIGKILL');
  const admin = new Client({ connectionString: databaseUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${emptyDatabase}`);
  } finally {
    await admin.end();
  }
  rmSync(stacksDir, { recursive: true, force: true });
});

/** The stack with these settings on free ports; a working Redis and database unless the case replaces them. */
function start(settings: Record<string, string | undefined>): Promise<Finished> {
  const env = commandEnv({
    PORT: '0',
    WS_PORT: '0',
    IDP_PORT: '0',
    PRESENCE_STACKS_DIR: stacksDir,
    REDIS_URL: redisUrl(),
    REDIS_KEY_PREFIX: `presence-test:${testRunId()}:startup:`,
    DATABASE_URL: databaseUrl(),
    ...settings,
  });
  return runTsx('local/main.ts', [], env, { timeoutMs: 20_000 });
}

function expectOneLineFailure(result: Finished, expected: RegExp): void {
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  expect({ code: result.code, lines }).toEqual({ code: 1, lines: [expect.stringMatching(expected)] });
  expect(result.stderr).not.toMatch(/\n\s+at \S/); // no stack trace
  expect(result.stdout).not.toMatch(/is running/);
  expect(result.ms).toBeLessThan(floorMs + WAIT_BUDGET_MS);
}

const postgresAt = (port: number, database = 'postgres', user = 'postgres') => `postgres://${user}@127.0.0.1:${port}/${database}`;

describe('a Redis that cannot be used', () => {
  it('refusing the connection', async () => {
    expectOneLineFailure(
      await start({ REDIS_URL: `redis://127.0.0.1:${closedPort}` }),
      new RegExp(
        `^Redis at 127\\.0\\.0\\.1:${closedPort} \\(REDIS_URL\\) refused the connection \\(nothing listens on that port\\): fix REDIS_URL, start Redis there, or unset REDIS_URL`,
      ),
    );
  });

  it('on a host name that does not resolve', async () => {
    expectOneLineFailure(
      await start({ REDIS_URL: 'redis://no-such-host.invalid:6379' }),
      /^Redis at no-such-host\.invalid:6379 \(REDIS_URL\) cannot be reached: the host name "no-such-host\.invalid" does not resolve: fix REDIS_URL/,
    );
  });

  it('that never answers', async () => {
    expectOneLineFailure(
      await start({ REDIS_URL: `redis://127.0.0.1:${blackhole.port}` }),
      new RegExp(`^Redis at 127\\.0\\.0\\.1:${blackhole.port} \\(REDIS_URL\\) did not answer within 2 s: check the host and port`),
    );
  });

  // A private redis-server with requirepass (the shared one has no password).
  const withPassword = redisServerOnPath() ? it : it.skip;
  withPassword('with a wrong password, and with none where one is required (never printing the password)', async () => {
    const wrong = await start({ REDIS_URL: `redis://:not-the-password@127.0.0.1:${privateRedis!.port}` });
    expectOneLineFailure(
      wrong,
      new RegExp(
        `^Redis at 127\\.0\\.0\\.1:${privateRedis!.port} \\(REDIS_URL\\) refused the user name or password in REDIS_URL \\(WRONGPASS\\)`,
      ),
    );
    expect(wrong.stderr + wrong.stdout).not.toContain('not-the-password');
    expectOneLineFailure(
      await start({ REDIS_URL: `redis://127.0.0.1:${privateRedis!.port}` }),
      /\(REDIS_URL\) requires a password \(NOAUTH\): put it in REDIS_URL as redis:\/\/:password@host:port/,
    );
  });

  it('given as something that is not a Redis URL', async () => {
    expectOneLineFailure(await start({ REDIS_URL: 'not a url' }), /^REDIS_URL is not a URL; it takes the form redis:\/\/127\.0\.0\.1:6379/);
    expectOneLineFailure(
      await start({ REDIS_URL: 'http://127.0.0.1:6379' }),
      /^REDIS_URL must start with redis:\/\/ or rediss:\/\/, got http:\/\//,
    );
  });
});

describe('a PostgreSQL that cannot be used', () => {
  it('refusing the connection', async () => {
    expectOneLineFailure(
      await start({ DATABASE_URL: postgresAt(closedPort) }),
      new RegExp(
        `^PostgreSQL at 127\\.0\\.0\\.1:${closedPort} \\(DATABASE_URL\\) refused the connection .*unset DATABASE_URL to use the embedded demo database\\.$`,
      ),
    );
  });

  it('on a host name that does not resolve', async () => {
    expectOneLineFailure(
      await start({ DATABASE_URL: 'postgres://postgres@no-such-host.invalid:5432/postgres' }),
      /^PostgreSQL at no-such-host\.invalid:5432 \(DATABASE_URL\) cannot be reached: the host name "no-such-host\.invalid" does not resolve/,
    );
  });

  it('that never answers', async () => {
    expectOneLineFailure(
      await start({ DATABASE_URL: postgresAt(blackhole.port) }),
      new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${blackhole.port} \\(DATABASE_URL\\) did not answer within 2 s`),
    );
  });

  it('without the database, refusing the user, or without the schema', async () => {
    const server = new URL(databaseUrl());
    const where = `PostgreSQL at ${server.hostname}:${server.port || 5432} \\(DATABASE_URL\\)`.replace(/\./g, '\\.');
    expectOneLineFailure(
      await start({ DATABASE_URL: withDatabase(databaseUrl(), 'presence_no_such_database') }),
      new RegExp(
        `^${where} has no database "presence_no_such_database": create it \\(createdb -h \\S+ "presence_no_such_database"\\) or fix the name`,
      ),
    );
    const noRole = new URL(databaseUrl());
    noRole.username = 'presence_no_such_role';
    noRole.password = 'hunter2';
    const refused = await start({ DATABASE_URL: noRole.toString() });
    expectOneLineFailure(
      refused,
      new RegExp(`^${where} refused (user "presence_no_such_role" \\(28000|the password of user "presence_no_such_role" \\(28P01)`),
    );
    expect(refused.stderr).not.toContain('hunter2');
    expectOneLineFailure(
      await start({ DATABASE_URL: withDatabase(databaseUrl(), emptyDatabase) }),
      new RegExp(
        `^${where}, database "${emptyDatabase}", has no user_table or friendship_table: load the schema with psql "\\$DATABASE_URL" -f db/schema\\.sql`,
      ),
    );
  });

  it('given as something that is not a PostgreSQL URL', async () => {
    expectOneLineFailure(
      await start({ DATABASE_URL: 'mysql://root@127.0.0.1/presence' }),
      /^DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//,
    );
  });
});

describe('wrong settings', () => {
  it.each([
    [{ PORT: 'abc' }, /^PORT must be a port number from 0 to 65535 \(0 = any free port\), got "abc"\.$/],
    [{ WS_PORT: '-1' }, /^WS_PORT must be a port number/],
    [{ PRESENCE_TIMEOUT_SECONDS: 'abc' }, /^PRESENCE_TIMEOUT_SECONDS must be a whole number of seconds from 1 to 86400, got "abc"/],
    [{ PRESENCE_TIMEOUT_SECONDS: '2' }, /^Configuration error: PRESENCE_TIMEOUT_SECONDS must be an integer between 5 and 86400, got "2"/],
    [
      { FRIEND_CACHE_TTL_SECONDS: 'abc' },
      /^Configuration error: FRIEND_CACHE_TTL_SECONDS must be an integer between 0 and 3600, got "abc"/,
    ],
    [{ LOCAL_REDIS: 'docker' }, /^LOCAL_REDIS must be auto, redis-server or emulator, got "docker"\.$/],
  ])('%j', async (settings, expected) => {
    expectOneLineFailure(await start(settings), expected);
  });

  it('a port another process holds', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      expectOneLineFailure(
        await start({ WS_PORT: String(port) }),
        new RegExp(
          `^Port ${port} \\(WS_PORT\\) is already in use on 127\\.0\\.0\\.1 \\(another npm start\\?\\): stop that process, or choose free ports`,
        ),
      );
    } finally {
      holder.close();
    }
  });
});

it('is the same through `npm start`: one line, exit code 1, fast', async () => {
  const result = await run(
    'npm',
    ['start', '--silent'],
    commandEnv({ PORT: '0', WS_PORT: '0', IDP_PORT: '0', PRESENCE_STACKS_DIR: stacksDir, REDIS_URL: `redis://127.0.0.1:${closedPort}` }),
  );
  expectOneLineFailure(result, new RegExp(`^Redis at 127\\.0\\.0\\.1:${closedPort} \\(REDIS_URL\\) refused the connection`));
});
