/**
 * Two `npm start` from one checkout (here `tsx local/main.ts`, twice, on free ports) cannot clobber
 * each other: each publishes its own stack file, the local commands pick the only running one or
 * the one named by --stack / PORT / WS_PORT and refuse to guess between several, tokens are minted
 * for the stack asked for, and the file of a killed stack is ignored and removed. Also checks the
 * banner's promise about the log: at the default level every WebSocket route invocation is a line.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StackRecord } from '../../local/stacks';
import { runningStacks } from '../../local/stacks';
import { databaseUrl, redisUrl, testRunId } from '../support/env';
import { commandEnv, escapeRegExp, Running, runTsx } from './helpers/commands';
import { TestClient } from './helpers/ws-client';

const stacksDir = mkdtempSync(path.join(os.tmpdir(), 'presence-two-stacks-'));
const cliEnv = (extra: Record<string, string> = {}) => commandEnv({ PRESENCE_STACKS_DIR: stacksDir, ...extra });

let first: Running;
let second: Running;

function startStack(name: string): Running {
  return Running.tsx(
    'local/main.ts',
    [],
    commandEnv({
      PORT: '0',
      WS_PORT: '0',
      IDP_PORT: '0',
      PRESENCE_STACKS_DIR: stacksDir,
      REDIS_URL: redisUrl(),
      REDIS_KEY_PREFIX: `presence-test:${testRunId()}:two-stacks-${name}:`,
      DATABASE_URL: databaseUrl(),
    }),
  );
}

/** The stack a process started (tsx runs it in a child process of its own, so by its banner's port). */
function stackOf(process: Running): StackRecord {
  const port = /Try it in a browser +http:\/\/localhost:(\d+)\//.exec(process.stdout)?.[1];
  const stack = runningStacks(stacksDir).find((candidate) => candidate.name === port);
  if (!stack) throw new Error(`no stack file for the stack on port ${port}`);
  return stack;
}

async function token(args: string[], env = cliEnv()): Promise<{ code: number | null; token: string; stderr: string }> {
  const result = await runTsx('local/cli/token.ts', ['alice', ...args], env);
  return { code: result.code, token: result.stdout.trim(), stderr: result.stderr.trim() };
}

/** The handshake status a token gets from a stack: 101 when accepted, else the refusal. */
async function handshake(stack: StackRecord, jwt: string): Promise<number> {
  const url = `ws://127.0.0.1:${stack.ports.websocket}?Authorization=${jwt}`;
  try {
    const client = await TestClient.connect(url);
    await client.close();
    return 101;
  } catch (error) {
    return (error as { statusCode?: number }).statusCode ?? 0;
  }
}

beforeAll(async () => {
  first = startStack('first');
  second = startStack('second');
  await Promise.all([first.waitFor(/Press Ctrl-C to stop/, 30_000), second.waitFor(/Press Ctrl-C to stop/, 30_000)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
  rmSync(stacksDir, { recursive: true, force: true });
});

it('gives each stack its own file and never guesses between them', async () => {
  const [a, b] = [stackOf(first), stackOf(second)];
  expect(readdirSync(stacksDir).sort()).toEqual([`${a.name}.json`, `${b.name}.json`].sort());
  expect(a.issuer).not.toBe(b.issuer);

  const ambiguous = await token([]);
  expect(ambiguous.code).toBe(1);
  expect(ambiguous.stderr.split('\n')).toEqual([
    expect.stringMatching(/^2 local stacks are running: .*Name one with --stack <REST port> \(or PORT=<REST port>\)\.$/),
  ]);
  expect(ambiguous.token).toBe('');

  // Named by --stack, PORT or WS_PORT: a token for exactly that stack.
  const forA = await token(['--stack', a.name]);
  expect(forA.code).toBe(0);
  expect(await handshake(a, forA.token)).toBe(101);
  expect(await handshake(b, forA.token)).toBe(403);
  const forB = await token([], cliEnv({ PORT: String(b.ports.rest) }));
  expect(await handshake(b, forB.token)).toBe(101);
  expect(await handshake(a, forB.token)).toBe(403);
  const byWsPort = await token([], cliEnv({ WS_PORT: String(b.ports.websocket) }));
  expect(await handshake(b, byWsPort.token)).toBe(101);

  const nobody = await token(['--stack', '1']);
  expect(nobody.code).toBe(1);
  expect(nobody.stderr).toMatch(/^No running local stack matches --stack 1; running: /);

  const connections = await runTsx('local/cli/connections.ts', ['--stack', b.name], cliEnv());
  expect(connections.stdout.trim()).toBe(`0 live connections on the local stack ${b.name} (${b.urls.websocket})`);
});

it('logs every WebSocket route invocation at the default level, as the banner says', async () => {
  const b = stackOf(second);
  expect(second.stdout).toMatch(
    /Log below +one line per connection, WebSocket route invocation, REST call, and sweep that timed someone out/,
  );
  expect(second.stdout).toMatch(/Handler logs +the functions' own JSON lines at WARN and above/);
  const { token: jwt } = await token(['--stack', b.name]);
  const client = await TestClient.connect(`ws://127.0.0.1:${b.ports.websocket}?Authorization=${jwt}`);
  client.send({ action: 'heartbeat' });
  const heartbeat = await second.waitFor(/\[ws\] heartbeat alice \S+ -> 200 OK \(\d+ ms\)$/);
  const connectionId = / heartbeat alice (\S+) /.exec(heartbeat)![1]!;
  const id = escapeRegExp(connectionId);
  expect(second.lines(new RegExp(`\\[ws\\] \\$connect alice ${id} `))).toEqual([expect.stringMatching(/-> 200 OK \(\d+ ms\)$/)]);
  await client.close();
  await second.waitFor(new RegExp(`\\[ws\\] \\$disconnect alice ${id} -> 200 OK; closed \\(1000, closed by the client\\) \\(\\d+ ms\\)$`));
});

it('ignores and removes the file of a stack that was killed, then uses the one left', async () => {
  const [a, b] = [stackOf(first), stackOf(second)];
  process.kill(a.pid, 'SIGKILL');
  await first.exited;
  expect(readdirSync(stacksDir)).toContain(`${a.name}.json`); // a killed process cannot clean up
  const left = await token([]);
  expect(left.code).toBe(0);
  expect(await handshake(b, left.token)).toBe(101);
  expect(readdirSync(stacksDir)).toEqual([`${b.name}.json`]);

  // A stack that stops cleanly removes its own file.
  await second.stop('SIGTERM');
  expect(readdirSync(stacksDir)).toEqual([]);
  const none = await token([]);
  expect(none.code).toBe(0);
  expect(none.stderr).toMatch(/^note: no local stack is running; this token is for one started with IDP_PORT=3002$/);
});
