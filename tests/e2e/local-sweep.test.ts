/**
 * `npm run sweep -- --local` finds the running stack by itself and prints one summary line (who
 * was timed out, friends told, sockets closed, duration, failed shards; --verbose adds a row per
 * shard), and `npm run ws` keeps its user online with its own heartbeat while a silent client is
 * timed out. The stack runs with a 5 s presence timeout and no scheduled sweep.
 */
import { befriend, createPool, seedUsers } from '../support/db';
import { Running, runTsx } from './helpers/commands';
import { startPublishedApp, type PublishedApp } from './helpers/published-app';
import { TestClient, ofType, sleep } from './helpers/ws-client';
import type { Pool } from 'pg';

const ACTIVE = 'e2e-sweep-active';
const SILENT = 'e2e-sweep-silent';

let stack: PublishedApp;
let pool: Pool;

beforeAll(async () => {
  pool = createPool();
  await seedUsers(pool, [ACTIVE, SILENT]);
  await befriend(pool, ACTIVE, SILENT);
  stack = await startPublishedApp('e2e-sweep', { presenceTimeoutSeconds: 5, statusShards: 4, sweepIntervalSeconds: 3600 });
}, 30_000);

afterAll(async () => {
  await stack?.close();
  await pool?.end();
});

it('times out the silent user, not the one whose ws client heartbeats, and prints one summary line', async () => {
  // No --heartbeat: the client heartbeats often enough for this stack's 5 s timeout by itself.
  const active = Running.tsx('local/cli/ws.ts', [ACTIVE], stack.cliEnv());
  try {
    await active.waitFor(/· connected to /);
    await active.waitFor(/· a heartbeat goes every 2 s by itself$/);
    const silent = await TestClient.connect(`ws://127.0.0.1:${stack.app.ports.websocket}?Authorization=${stack.app.mintToken(SILENT)}`);
    await sleep(6500); // past the 5 s presence timeout
    expect(active.lines(/→ \{"action":"heartbeat"\} \(automatic, every 2 s\)$/).length).toBeGreaterThanOrEqual(2);

    const swept = await runTsx('scripts/sweep.ts', ['--local'], stack.cliEnv());
    expect({ code: swept.code, stderr: swept.stderr, lines: swept.stdout.trim().split('\n') }).toEqual({
      code: 0,
      stderr: '',
      lines: [
        expect.stringMatching(
          new RegExp(
            `^Swept the local stack ${stack.stack.name} \\(4 shards, 4 batches\\) in \\d+\\.\\d s: 1 user timed out, 1 friend told, 1 socket closed, no failed shards\\.$`,
          ),
        ),
      ],
    });
    await active.waitFor(new RegExp(`← ${SILENT} went offline$`));
    expect((await silent.closed).code).toBe(1000);
    expect(silent.frames.filter(ofType('presence-timeout'))).toEqual([]);

    // Nobody else is stale: the active user's heartbeats kept her online.
    const again = await runTsx('local/cli/sweep.ts', ['--local', '--verbose'], stack.cliEnv());
    expect(again.code).toBe(0);
    const lines = again.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SHARD +BATCHES +TIMED OUT +FRIENDS TOLD +SOCKETS CLOSED +ERROR$/);
    expect(lines.slice(1, 5).map((line) => line.split(/\s+/).slice(0, 5))).toEqual(
      [0, 1, 2, 3].map((shard) => [String(shard), '1', '0', '0', '0']),
    );
    expect(lines[5]).toBe('');
    expect(lines[6]).toMatch(/: 0 users timed out, 0 friends told, 0 sockets closed, no failed shards\.$/);
    expect(active.child.exitCode).toBeNull();
  } finally {
    await active.stop();
  }
}, 40_000);

it('refuses in one line a stack that is not running, and bad options', async () => {
  const wrong = await runTsx('scripts/sweep.ts', ['--local', '--stack', '1'], stack.cliEnv());
  expect({ code: wrong.code, stderr: wrong.stderr.trim().split('\n') }).toEqual({
    code: 1,
    stderr: [expect.stringMatching(/^No running local stack matches --stack 1; running: /)],
  });
  const usage = await runTsx('local/cli/sweep.ts', ['--local', '--batch', 'many'], stack.cliEnv());
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/^--batch must be a positive integer\nusage: npm run sweep -- --local/);
});
