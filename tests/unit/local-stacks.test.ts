/** One stack file per running `npm start` (local/stacks.ts): publishing, stale files, picking a stack. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { publishableEnvironment, publishStack, runningStacks, selectStack, type StackRecord } from '../../local/stacks';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'presence-stacks-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A pid no process has any more: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function record(rest: number, websocket: number, pid = process.pid): StackRecord {
  return {
    name: String(rest),
    pid,
    startedAt: new Date().toISOString(),
    ports: { rest, websocket, idp: rest + 2 },
    urls: {
      page: `http://localhost:${rest}/`,
      rest: `http://localhost:${rest}`,
      websocket: `ws://localhost:${websocket}`,
      managementApi: `http://127.0.0.1:${websocket}/local`,
      jwks: `http://127.0.0.1:${rest + 2}/local-user-pool/.well-known/jwks.json`,
    },
    issuer: `http://127.0.0.1:${rest + 2}/local-user-pool`,
    clientId: 'presence-local-client',
    keyDir: '/tmp/keys',
    environment: {},
    credentialsRemoved: [],
  };
}

/** Writes a record as another process would have (publishStack always writes our own pid). */
function writeRecord(stack: StackRecord): void {
  writeFileSync(path.join(dir, `${stack.name}.json`), JSON.stringify(stack));
}

describe('publishStack', () => {
  it('writes <REST port>.json readable only by the owner and removes it (only its own) when asked', () => {
    const remove = publishStack(record(4000, 4001), dir);
    const file = path.join(dir, '4000.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      name: '4000',
      pid: process.pid,
      ports: { rest: 4000, websocket: 4001 },
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Two stacks, two files: the second never overwrites the first.
    const removeOther = publishStack(record(5000, 5001), dir);
    expect(readdirSync(dir).sort()).toEqual(['4000.json', '5000.json']);
    remove();
    expect(existsSync(file)).toBe(false);
    removeOther();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('publishableEnvironment', () => {
  it('keeps no password and no AWS credentials, and says which variables lost a password', () => {
    const { environment, credentialsRemoved } = publishableEnvironment({
      REDIS_URL: 'redis://:s3cret@127.0.0.1:6390',
      DATABASE_URL: 'postgres://presence:hunter2@127.0.0.1:5432/presence',
      JWT_ISSUER: 'http://127.0.0.1:3002/local-user-pool',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      STATUS_SHARDS: '16',
    });
    expect(JSON.stringify(environment)).not.toMatch(/s3cret|hunter2|AWS_/);
    expect(environment.REDIS_URL).toBe('redis://127.0.0.1:6390');
    expect(environment.DATABASE_URL).toBe('postgres://presence@127.0.0.1:5432/presence');
    expect(environment.STATUS_SHARDS).toBe('16');
    expect(credentialsRemoved.sort()).toEqual(['DATABASE_URL', 'REDIS_URL']);
  });
});

describe('runningStacks and selectStack', () => {
  it('ignores and deletes files of stacks whose process is gone, and unreadable files', () => {
    writeRecord(record(4000, 4001, deadPid()));
    writeFileSync(path.join(dir, '4100.json'), '{ not json');
    writeRecord(record(5000, 5001));
    expect(runningStacks(dir).map((stack) => stack.name)).toEqual(['5000']);
    expect(readdirSync(dir)).toEqual(['5000.json']);
  });

  it('says how to start a stack when none runs', () => {
    expect(() => selectStack({}, dir)).toThrow('No local stack is running from this checkout: start one with `npm start`');
    expect(() => selectStack({}, path.join(dir, 'missing'))).toThrow(/No local stack is running/);
  });

  it('picks the only running stack', () => {
    writeRecord(record(4000, 4001));
    expect(selectStack({ env: {} }, dir).name).toBe('4000');
  });

  it('refuses to guess between several, in one line naming them and the way to choose', () => {
    writeRecord(record(4000, 4001));
    writeRecord(record(5000, 5001));
    let message = '';
    try {
      selectStack({ env: {} }, dir);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      '2 local stacks are running: 4000 (REST http://localhost:4000, WebSocket ws://localhost:4001), ' +
        '5000 (REST http://localhost:5000, WebSocket ws://localhost:5001). Name one with --stack <REST port> (or PORT=<REST port>).',
    );
    expect(message).not.toContain('\n');
  });

  it('takes the stack named by --stack (REST or WebSocket port), PORT or WS_PORT', () => {
    writeRecord(record(4000, 4001));
    writeRecord(record(5000, 5001));
    expect(selectStack({ stack: '5000' }, dir).name).toBe('5000');
    expect(selectStack({ stack: '4001' }, dir).name).toBe('4000');
    expect(selectStack({ env: { PORT: '5000' } }, dir).name).toBe('5000');
    expect(selectStack({ env: { WS_PORT: '4001' } }, dir).name).toBe('4000');
    expect(selectStack({ env: { PORT: '4000', WS_PORT: '4001' } }, dir).name).toBe('4000');
    // --stack wins over the environment; PORT=0 (any free port) names nothing.
    expect(selectStack({ stack: '4000', env: { PORT: '5000' } }, dir).name).toBe('4000');
    expect(() => selectStack({ env: { PORT: '0' } }, dir)).toThrow(/2 local stacks are running/);
  });

  it('refuses a name that matches no running stack, even when only one runs', () => {
    writeRecord(record(4000, 4001));
    expect(() => selectStack({ stack: '6000' }, dir)).toThrow(
      'No running local stack matches --stack 6000; running: 4000 (REST http://localhost:4000, WebSocket ws://localhost:4001).',
    );
    expect(() => selectStack({ env: { PORT: '6000' } }, dir)).toThrow(/matches PORT=6000;/);
  });
});
