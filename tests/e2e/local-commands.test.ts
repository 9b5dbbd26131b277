/**
 * The local commands against a running stack, spawned as a user runs them: `npm run ws` (token
 * minted by itself, pushes printed as lines, shortcuts instead of JSON), `npm run connections`,
 * `npm run invoke` (one function with a sample event from events/, real answers for the demo users),
 * and the gateway's one-line log of every WebSocket route invocation and REST call.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { demoSeedSql } from '../../local/backends/demo-data';
import { publishStack } from '../../local/stacks';
import { createPool } from '../support/db';
import { escapeRegExp, Running, runTsx } from './helpers/commands';
import { startPublishedApp, type PublishedApp } from './helpers/published-app';
import { TestClient } from './helpers/ws-client';
import { deleteConnection } from './helpers/management';

let stack: PublishedApp;
let pool: Pool;
const clients: Running[] = [];
const scratch = mkdtempSync(path.join(os.tmpdir(), 'presence-invoke-'));

beforeAll(async () => {
  pool = createPool();
  await pool.query(demoSeedSql());
  // No scheduled sweep during these tests.
  stack = await startPublishedApp('e2e-commands', { sweepIntervalSeconds: 3600 });
}, 30_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.stop()));
  await stack?.close();
  await pool?.end();
  rmSync(scratch, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.stop()));
  await stack.app.settle();
});

async function wsClient(userId: string, ...args: string[]): Promise<Running> {
  const client = Running.tsx('local/cli/ws.ts', [userId, ...args], stack.cliEnv());
  clients.push(client);
  await client.waitFor(
    new RegExp(
      `· connected to ws://127\\.0\\.0\\.1:\\d+ as ${userId} \\(local stack ${stack.stack.name}\\)\\. Type /help for commands\\.$`,
    ),
  );
  return client;
}

function invoke(args: string[]) {
  return runTsx('local/cli/invoke.ts', args, stack.cliEnv());
}

/** The gateway's log line matching, waited for. */
async function logLine(pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const line = stack.log.find((candidate) => pattern.test(candidate));
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no log line matching ${pattern}; log:\n${stack.log.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Polls a condition (with timers, so the child's output keeps arriving) for up to 5 s. */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what} after 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const liveConnectionOf = async (userId: string) => {
  const connections = (await runTsx('local/cli/connections.ts', ['--json'], stack.cliEnv())).stdout;
  return (JSON.parse(connections) as Array<{ userId: string; connectionId: string }>).find((c) => c.userId === userId)!.connectionId;
};

describe('npm run ws', () => {
  it('prints pushes as readable lines and sends shortcuts, raw frames and JSON lines', async () => {
    const bob = await wsClient('bob');
    const alice = await wsClient('alice');

    alice.write('/page https://en.wikipedia.org/wiki/Alice Alice - Wikipedia');
    await bob.waitFor(/← alice is on "Alice - Wikipedia" https:\/\/en\.wikipedia\.org\/wiki\/Alice \(wikipedia\.org\)$/);
    await alice.waitFor(/← you \(alice\) are on "Alice - Wikipedia"/);
    expect(
      alice.lines(/→ \{"action":"update-presence","url":"https:\/\/en\.wikipedia\.org\/wiki\/Alice","title":"Alice - Wikipedia"\}$/),
    ).toHaveLength(1);

    alice.write('/hide');
    await bob.waitFor(
      /← alice is online, page hidden \(not shared: hidden by the client or outside the sharing settings\); last shared: "Alice - Wikipedia"/,
    );

    // bob shares only wikipedia.org and github.com: his Hacker News page reaches alice hidden.
    bob.write('/page https://news.ycombinator.com/ Hacker News');
    await alice.waitFor(/← bob is online, page hidden/);

    alice.write('/raw this is not json');
    await alice.waitFor(/← error from the server: Message is not valid JSON$/);
    alice.write('{"action":"dance"}');
    await alice.waitFor(/← error from the server: Unknown action "dance"; expected one of: heartbeat, update-presence, subscribe, keepalive$/);
    alice.write('/heartbeat');
    alice.write('/dance');
    await alice.waitFor(/· not a command: \/dance \(type \/help for the list\)$/);
    alice.write('/help');
    await alice.waitFor(/\/page <url> \[title\] +update-presence: tell your friends what you are looking at/);

    // The gateway logged each route invocation: route, user, connection, outcome, duration.
    const id = escapeRegExp(await liveConnectionOf('alice'));
    await logLine(new RegExp(`^\\[ws\\] \\$connect alice ${id} -> 200 OK \\(\\d+ ms\\)$`));
    await logLine(new RegExp(`^\\[ws\\] update-presence alice ${id} -> 200 OK \\(\\d+ ms\\)$`));
    await logLine(new RegExp(`^\\[ws\\] \\$default alice ${id} -> 400 Bad Request \\(\\d+ ms\\)$`));
    await logLine(new RegExp(`^\\[ws\\] heartbeat alice ${id} -> 200 OK \\(\\d+ ms\\)$`));

    alice.write('/quit');
    expect(await alice.exited).toBe(0);
    await bob.waitFor(/← alice went offline$/);
    await logLine(new RegExp(`^\\[ws\\] \\$disconnect alice ${id} -> 200 OK; closed \\(1000 client stopped, closed by the client\\) \\(\\d+ ms\\)$`));
    // Ctrl-C (SIGINT) closes cleanly too.
    bob.child.kill('SIGINT');
    expect(await bob.exited).toBe(0);
  });

  it('says in one line when it cannot connect; when the server closes the connection it says why and reconnects', async () => {
    const refused = await runTsx('local/cli/ws.ts', ['alice', '--stack', '1'], stack.cliEnv());
    expect({ code: refused.code, stderr: refused.stderr.trim() }).toEqual({
      code: 1,
      stderr: expect.stringMatching(/^No running local stack matches --stack 1; running: /),
    });
    const usage = await runTsx('local/cli/ws.ts', [], stack.cliEnv());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^usage: npm run ws -- <userId>/);

    const dave = await wsClient('dave');
    dave.write('/page https://en.wikipedia.org/wiki/Dave Dave - Wikipedia');
    await dave.waitFor(/← you \(dave\) are on "Dave - Wikipedia"/);
    const connectionId = await liveConnectionOf('dave');
    expect(await deleteConnection(stack.app.urls.managementApi, connectionId)).toBe('sent');
    await dave.waitFor(
      /· connection closed by the server: 1000 Connection deleted — the server deleted the connection \(.*\); reconnecting in \d+\.\d s$/,
    );
    await dave.waitFor(/· reconnected as dave; friends read again \(1\)$/);
    // The page went out again on the new connection (dave had gone offline, so the server forgot it).
    await until(() => dave.lines(/→ \{"action":"update-presence","url":"https:\/\/en\.wikipedia\.org\/wiki\/Dave"/).length === 2, 'the page sent again');
    expect(await liveConnectionOf('dave')).not.toBe(connectionId);
    dave.write('/quit');
    expect(await dave.exited).toBe(0);
    await logLine(
      new RegExp(
        `^\\[ws\\] \\$disconnect dave ${escapeRegExp(connectionId)} -> 200 OK; closed \\(1000 Connection deleted, closed by a function through the management API \\(DeleteConnection\\)\\)`,
      ),
    );
  });
});

describe('npm run connections', () => {
  it('lists each live connection with its user, when it connected and when it was last active', async () => {
    await wsClient('alice');
    await wsClient('bob');
    const listed = await runTsx('local/cli/connections.ts', [], stack.cliEnv());
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CONNECTION +USER +CONNECTED SINCE +LAST ACTIVE$/);
    expect(
      lines
        .slice(1, 3)
        .map((line) => line.split(/\s+/)[1])
        .sort(),
    ).toEqual(['alice', 'bob']);
    expect(lines[1]).toMatch(/^\S+= +\w+ +\d\d:\d\d:\d\d \(\d+ s ago\) +\d\d:\d\d:\d\d \(\d+ s ago\)$/);
    expect(lines[3]).toBe(`2 live connections on the local stack ${stack.stack.name} (${stack.stack.urls.websocket})`);

    const json = JSON.parse((await runTsx('local/cli/connections.ts', ['--json'], stack.cliEnv())).stdout) as Array<Record<string, string>>;
    expect(json.map((connection) => connection.userId).sort()).toEqual(['alice', 'bob']);
    expect(Object.keys(json[0]!).sort()).toEqual(['connectedAt', 'connectionId', 'lastActiveAt', 'sourceIp', 'userId']);
  });
});

describe('npm run invoke', () => {
  it('runs UpdatePresenceFunction with its sample event as alice, on her live connection: bob gets the push', async () => {
    const bob = await wsClient('bob');
    const alice = await wsClient('alice');
    const aliceConnection = await liveConnectionOf('alice');
    const result = await invoke(['UpdatePresenceFunction']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ statusCode: 200 });
    expect(result.stderr).toContain(
      `Invoking UpdatePresenceFunction (handlers/update-presence.ts) with events/update-presence.json on the local stack ${stack.stack.name}`,
    );
    expect(result.stderr).toContain(`sent as alice's live connection ${aliceConnection}`);
    expect(result.stderr).toMatch(/UpdatePresenceFunction returned after \d+ ms:/);
    await bob.waitFor(/← alice is on "Presence - Wikipedia" https:\/\/en\.wikipedia\.org\/wiki\/Presence \(wikipedia\.org\)$/);
    await alice.waitFor(/← you \(alice\) are on "Presence - Wikipedia"/);

    // The REST functions answer with the demo users' real data.
    const snapshot = await invoke(['GetPresenceFunction']);
    const response = JSON.parse(snapshot.stdout) as { statusCode: number; body: string };
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body) as {
      userPresence: { userId: string; page: unknown };
      presenceArr: Array<{ userId: string; page: unknown }>;
    };
    expect(body.userPresence).toMatchObject({
      userId: 'alice',
      page: { url: 'https://en.wikipedia.org/wiki/Presence', domain: 'wikipedia.org' },
    });
    expect(body.presenceArr.map((entry) => entry.userId).sort()).toEqual(['bob', 'dave']);
    const page = JSON.parse((JSON.parse((await invoke(['GetUserPresenceFunction'])).stdout) as { body: string }).body);
    expect(page).toEqual({ url: '', title: '', domain: '' }); // bob is online and has sent no page

    // The authorizer checks a token minted for this stack from the sample's placeholder.
    const authorizer = await invoke(['AuthorizerFunction']);
    expect(JSON.parse(authorizer.stdout)).toMatchObject({ principalId: 'alice', context: { userId: 'alice' } });
    expect(authorizer.stderr).toContain('token placeholders replaced with tokens for alice minted for this stack');
  });

  it('registers the sample connection with ConnectFunction, so the other samples can use it', async () => {
    const before = await invoke(['HeartbeatFunction']);
    expect(JSON.parse(before.stdout)).toEqual({ statusCode: 410 });
    expect(before.stderr).toContain("alice has no live socket on this stack, so this is sent as the event's connection Ldh8ae0boAMCJDw=");
    expect(JSON.parse((await invoke(['ConnectFunction'])).stdout)).toEqual({
      statusCode: 200,
      headers: { 'Sec-WebSocket-Protocol': 'presence.v1' },
    });
    expect(JSON.parse((await invoke(['HeartbeatFunction'])).stdout)).toEqual({ statusCode: 200 });
    expect(JSON.parse((await invoke(['DisconnectFunction'])).stdout)).toEqual({ statusCode: 200 });
    expect(JSON.parse((await invoke(['HeartbeatFunction'])).stdout)).toEqual({ statusCode: 410 });
  });

  it('takes an event file, and explains in one line a function or file it cannot use', async () => {
    const event = path.join(scratch, 'bob-update.json');
    writeFileSync(
      event,
      JSON.stringify({
        requestContext: {
          routeKey: 'update-presence',
          eventType: 'MESSAGE',
          connectionId: 'x=',
          authorizer: { principalId: 'bob', userId: 'bob' },
        },
        body: JSON.stringify({ action: 'update-presence', url: 'https://github.com/aws/aws-sam-cli', title: 'aws-sam-cli' }),
      }),
    );
    const alice = await wsClient('alice');
    await wsClient('bob');
    const result = await invoke(['UpdatePresenceFunction', event]);
    expect(JSON.parse(result.stdout)).toEqual({ statusCode: 200 });
    await alice.waitFor(/← bob is on "aws-sam-cli" https:\/\/github\.com\/aws\/aws-sam-cli \(github\.com\)$/);

    const oneLine = (run: { code: number | null; stdout: string; stderr: string }) => ({
      code: run.code,
      stdout: run.stdout,
      lines: run.stderr.trim().split('\n'),
    });
    expect(oneLine(await invoke(['NoSuchFunction']))).toEqual({
      code: 1,
      stdout: '',
      lines: [
        'template.yaml has no function NoSuchFunction; its functions are: AuthorizerFunction, ConnectFunction, DefaultFunction, ' +
          'DisconnectFunction, GetPresenceFunction, GetUserPresenceFunction, HeartbeatFunction, SubscribeFunction, SweepShardFunction, UpdatePresenceFunction.',
      ],
    });
    const missing = path.join(scratch, 'missing.json');
    expect(oneLine(await invoke(['HeartbeatFunction', missing]))).toEqual({
      code: 1,
      stdout: '',
      lines: [`Cannot read the event file ${missing}: no such file.`],
    });
    const broken = path.join(scratch, 'broken.json');
    writeFileSync(broken, '{ "requestContext": ');
    expect(oneLine(await invoke(['HeartbeatFunction', broken]))).toEqual({
      code: 1,
      stdout: '',
      lines: [expect.stringMatching(new RegExp(`^The event file ${escapeRegExp(broken)} is not JSON: `))],
    });
  });

  it('asks for a password the stack file does not keep, in one line', async () => {
    // A stack whose DATABASE_URL had a password: its file keeps the URL without it.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'presence-stacks-'));
    const record = { ...stack.stack, name: '1', credentialsRemoved: ['DATABASE_URL'] };
    const unpublish = publishStack(record, dir);
    try {
      const env = { ...stack.cliEnv(), PRESENCE_STACKS_DIR: dir };
      const result = await runTsx('local/cli/invoke.ts', ['GetPresenceFunction'], env);
      expect({ code: result.code, stdout: result.stdout, stderr: result.stderr.trim().split('\n') }).toEqual({
        code: 1,
        stdout: '',
        stderr: [
          "The stack's DATABASE_URL has a password, which its stack file does not keep: run this command with the same DATABASE_URL set.",
        ],
      });
      // With it set, the command runs.
      const withPassword = await runTsx('local/cli/invoke.ts', ['GetPresenceFunction'], {
        ...env,
        DATABASE_URL: stack.app.handlerEnvironment.DATABASE_URL!,
      });
      expect(JSON.parse(withPassword.stdout)).toMatchObject({ statusCode: 200 });
    } finally {
      unpublish();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the REST gateway log', () => {
  it('has one line per call: method, path, user, status and duration, and why a token was refused', async () => {
    const base = `http://127.0.0.1:${stack.app.ports.rest}`;
    await fetch(`${base}/presence`, { headers: { Authorization: stack.app.mintToken('bob') } });
    await logLine(/^\[rest\] GET \/presence bob -> 200 OK \(\d+ ms\)$/);
    await fetch(`${base}/presence/alice`, { headers: { Authorization: stack.app.mintToken('carol') } });
    await logLine(/^\[rest\] GET \/presence\/alice carol -> 403 Forbidden \(\d+ ms\)$/);
    await fetch(`${base}/presence`);
    await logLine(/^\[rest\] GET \/presence - -> 401 Unauthorized: no token in the Authorization header \(\d+ ms\)$/);
    await fetch(`${base}/presence`, { headers: { Authorization: stack.app.mintToken('bob', { expiresInSeconds: -5 }) } });
    await logLine(/^\[rest\] GET \/presence - -> 401 Unauthorized: the Cognito authorizer refused the token \(bad signature, expired/);

    // A refused WebSocket handshake says why too.
    expect(await TestClient.refusal(`ws://127.0.0.1:${stack.app.ports.websocket}?Authorization=not-a-token`)).toBe(403);
    await logLine(
      /^\[ws\] \$connect - \S+ -> 403 Forbidden: AuthorizerFunction refused the token \(bad signature, expired, or minted for another issuer or app client\)/,
    );
    expect(await TestClient.refusal(`ws://127.0.0.1:${stack.app.ports.websocket}`)).toBe(401);
    await logLine(
      /^\[ws\] \$connect - \S+ -> 401 Unauthorized: no token \(send it as \?Authorization=<token> or in Sec-WebSocket-Protocol\)/,
    );
  });
});
