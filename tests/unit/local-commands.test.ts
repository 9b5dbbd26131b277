/** The pure parts of the local commands: ws input and output lines, invoke's event preparation, summaries. */
import { connectionsTable } from '../../local/cli/connections-table';
import { prepareEvent } from '../../local/cli/invoke-event';
import { shardTable, sweepSummary } from '../../local/cli/sweep-summary';
import { defaultHeartbeat, describeClose, describeFrame, parseInput } from '../../local/cli/ws-frames';
import { TimeoutReporter, timeoutLine, type SweepTotals } from '../../local/sweep/timeout-report';
import type { DeleteExplainer } from '../../local/websocket/gateway';

describe('ws client input', () => {
  it.each([
    ['/page https://en.wikipedia.org/wiki/Alice Alice - Wikipedia', 'https://en.wikipedia.org/wiki/Alice', 'Alice - Wikipedia'],
    ['/page https://example.com', 'https://example.com', ''],
    ['/hide', '', ''],
  ])('%s is a page for the client to share (and send again after a reconnect)', (line, url, title) => {
    expect(parseInput(line)).toEqual({ kind: 'page', url, title });
  });

  it.each([
    ['/heartbeat', '{"action":"heartbeat"}'],
    ['  /HEARTBEAT  ', '{"action":"heartbeat"}'],
    ['/raw not json at all', 'not json at all'],
    ['{"action":"heartbeat","jwt":"x"}', '{"action":"heartbeat","jwt":"x"}'],
  ])('%s sends %s', (line, text) => {
    expect(parseInput(line)).toEqual({ kind: 'send', text });
  });

  it('knows help, quit and blank lines, and refuses what is not a command', () => {
    expect(parseInput('/help')).toEqual({ kind: 'help' });
    expect(parseInput('/quit')).toEqual({ kind: 'quit' });
    expect(parseInput('   ')).toEqual({ kind: 'nothing' });
    expect(parseInput('hello there')).toEqual({ kind: 'unknown', message: 'not a command: hello (type /help for the list)' });
    expect(parseInput('/page')).toMatchObject({ kind: 'unknown', message: expect.stringMatching(/^usage: \/page <url> \[title\]/) });
    expect(parseInput('/raw')).toEqual({ kind: 'unknown', message: 'usage: /raw <text>' });
  });
});

describe('ws client heartbeat', () => {
  it('is the extension’s 60 s, or often enough for a shorter presence timeout to tolerate one lost heartbeat', () => {
    expect([
      defaultHeartbeat('150'),
      defaultHeartbeat('600'),
      defaultHeartbeat('10'),
      defaultHeartbeat('5'),
      defaultHeartbeat(undefined),
    ]).toEqual([60, 60, 4, 2, 60]);
  });
});

describe('ws client output', () => {
  const update = (fields: Record<string, string>) =>
    JSON.stringify({
      type: 'update-presence',
      userId: 'bob',
      url: '',
      title: '',
      domain: '',
      latestUrl: '',
      latestTitle: '',
      latestDomain: '',
      ...fields,
    });

  it('describes each push in one line', () => {
    expect(
      describeFrame(update({ url: 'https://en.wikipedia.org/wiki/X', title: 'X - Wikipedia', domain: 'wikipedia.org' }), 'alice'),
    ).toBe('bob is on "X - Wikipedia" https://en.wikipedia.org/wiki/X (wikipedia.org)');
    expect(describeFrame(update({ latestUrl: 'https://github.com/', latestTitle: 'GitHub', latestDomain: 'github.com' }), 'alice')).toBe(
      'bob is online, page hidden (not shared: hidden by the client or outside the sharing settings); last shared: "GitHub" https://github.com/ (github.com)',
    );
    expect(describeFrame(update({ url: 'https://a.example/' }), 'bob')).toBe('you (bob) are on (no title) https://a.example/');
    expect(describeFrame('{"type":"presence-timeout","userId":"bob"}', 'alice')).toBe('bob went offline');
    expect(describeFrame('{"type":"error","message":"Message is not valid JSON"}', 'alice')).toBe(
      'error from the server: Message is not valid JSON',
    );
    expect(describeFrame('{"message":"Forbidden","connectionId":"x"}', 'alice')).toBe('{"message":"Forbidden","connectionId":"x"}');
    expect(describeFrame('plain text', 'alice')).toBe('(not JSON) plain text');
  });

  it('describes the subscription answers and presence snapshots of newer servers', () => {
    expect(describeFrame('{"type":"subscribed","level":"status"}', 'alice')).toBe('subscribed: status');
    expect(describeFrame('{"type":"presence-snapshot","snapshotId":"s","part":1,"parts":2,"presenceArr":[{"userId":"bob"}]}', 'alice')).toBe(
      'presence snapshot, part 1 of 2: 1 friend',
    );
  });

  it('explains why the server closed the connection', () => {
    expect(describeClose(1000, 'Connection deleted')).toBe(
      'connection closed by the server: 1000 Connection deleted — the server deleted the connection (timed out by the sweep, or it asked this client to reconnect)',
    );
    expect(describeClose(4000, '')).toBe('connection closed by the server: 4000');
  });
});

describe('invoke event preparation', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const connections = [
    {
      connectionId: 'old=',
      userId: 'alice',
      connectedAt: '2026-12-01T11:00:00Z',
      lastActiveAt: '2026-12-01T11:10:00Z',
      sourceIp: '127.0.0.1',
    },
    {
      connectionId: 'new=',
      userId: 'alice',
      connectedAt: '2026-12-01T11:30:00Z',
      lastActiveAt: '2026-12-01T11:59:00Z',
      sourceIp: '127.0.0.1',
    },
    {
      connectionId: 'bob=',
      userId: 'bob',
      connectedAt: '2026-12-01T11:30:00Z',
      lastActiveAt: '2026-12-01T11:59:30Z',
      sourceIp: '127.0.0.1',
    },
  ];
  const mintToken = async (userId: string) => `token-of-${userId}`;
  const message = () => ({
    requestContext: {
      eventType: 'MESSAGE',
      connectionId: 'sample=',
      connectedAt: 1,
      requestTimeEpoch: 1,
      requestTime: 'old',
      authorizer: { principalId: 'alice', userId: 'alice' },
    },
    body: '{}',
  });

  it('sends a message as the user’s most recently active live connection', async () => {
    const { event, notes } = await prepareEvent(message(), { mintToken, connections, now });
    expect(event).toMatchObject({
      requestContext: {
        connectionId: 'new=',
        connectedAt: Date.parse('2026-12-01T11:30:00Z'),
        requestTimeEpoch: now,
        requestTime: '01/Dec/2026:12:00:00 +0000',
      },
    });
    expect(notes).toEqual(["sent as alice's live connection new="]);
  });

  it('keeps the sample connection, and says so, when the user has no live one or another is named', async () => {
    const alone = await prepareEvent(message(), { mintToken, connections: [], now });
    expect(alone.event).toMatchObject({ requestContext: { connectionId: 'sample=' } });
    expect(alone.notes[0]).toMatch(/^alice has no live socket on this stack, so this is sent as the event's connection sample=/);
    const named = await prepareEvent(message(), { mintToken, connections, connectionId: 'bob=', now });
    expect(named.event).toMatchObject({ requestContext: { connectionId: 'bob=', authorizer: { principalId: 'bob', userId: 'bob' } } });
  });

  it('mints tokens for placeholders, and dates $connect and sweep tasks now', async () => {
    const connect = await prepareEvent(
      {
        headers: { Authorization: '<token for carol>' },
        queryStringParameters: { Authorization: '<token for alice>' },
        requestContext: { eventType: 'CONNECT', connectedAt: 1 },
      },
      { mintToken, connections, now },
    );
    expect(connect.event).toMatchObject({
      headers: { Authorization: 'token-of-carol' },
      queryStringParameters: { Authorization: 'token-of-alice' },
      requestContext: { connectedAt: now },
    });
    expect(connect.notes).toEqual(['token placeholders replaced with tokens for carol, alice minted for this stack']);
    // A message sent as the sample's own connection: opened now (the sample's date is past API Gateway's cap).
    const message = await prepareEvent(
      { requestContext: { eventType: 'MESSAGE', connectionId: 'sample=', connectedAt: 1, authorizer: { userId: 'nobody-live' } } },
      { mintToken, connections, now },
    );
    expect(message.event).toMatchObject({ requestContext: { connectionId: 'sample=', connectedAt: now } });
    const sweep = await prepareEvent({ shard: 0, startedAt: '2020-01-01T00:00:00Z' }, { mintToken, connections, now });
    expect(sweep.event).toEqual({ shard: 0, startedAt: '2026-12-01T12:00:00.000Z' });
  });
});

describe('summaries', () => {
  const shards = [
    { shard: 0, batches: 2, timedOut: 3, notifications: 5, connectionsClosed: 2 },
    { shard: 1, batches: 1, timedOut: 0, notifications: 0, connectionsClosed: 0, error: 'Lambda.Unknown' },
  ];

  it('sums a local sweep in one line and tabulates it per shard', () => {
    expect(sweepSummary(shards, 1234, 'the local stack 3000')).toBe(
      'Swept the local stack 3000 (2 shards, 3 batches) in 1.2 s: 3 users timed out, 5 friends told, 2 sockets closed, FAILED shards: 1 (Lambda.Unknown).',
    );
    expect(shardTable(shards).split('\n')).toEqual([
      'SHARD  BATCHES  TIMED OUT  FRIENDS TOLD  SOCKETS CLOSED  ERROR',
      '0      2        3          5             2',
      '1      1        0          0             0               Lambda.Unknown',
    ]);
  });

  it('lists connections with how long ago they connected and were active', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const table = connectionsTable(
      [
        {
          connectionId: 'abc=',
          userId: 'alice',
          connectedAt: '2026-12-01T11:40:00Z',
          lastActiveAt: '2026-12-01T11:59:50Z',
          sourceIp: '127.0.0.1',
        },
      ],
      now,
    );
    expect(table.split('\n')[0]).toMatch(/^CONNECTION +USER +CONNECTED SINCE +LAST ACTIVE$/);
    expect(table.split('\n')[1]).toMatch(/^abc= +alice +\d\d:40:00 \(20 min ago\) +\d\d:59:50 \(10 s ago\)$/);
  });
});

describe('the sweep run report', () => {
  const totals = (fields: Partial<SweepTotals>): SweepTotals => ({
    batches: 4,
    timedOut: 0,
    notifications: 0,
    connectionsClosed: 0,
    failedShards: [],
    ...fields,
  });

  it('names who was timed out and how long they were silent', () => {
    expect(
      timeoutLine([{ userId: 'alice', silentMs: 152_400 }], totals({ timedOut: 1, notifications: 2, connectionsClosed: 1 }), 150, 38),
    ).toBe(
      '[sweep] timed out alice (silent 152 s): 2 friends told, 1 socket closed; silent longer than their connections allow (PRESENCE_TIMEOUT_SECONDS=150 without a negotiated heartbeat) or their offline grace ended (38 ms)',
    );
    expect(timeoutLine([], totals({ timedOut: 2 }), 150, 5)).toMatch(/^\[sweep\] timed out 2 users: 0 friends told/);
    expect(timeoutLine([{ userId: 'a', silentMs: 1000 }], totals({ timedOut: 3 }), 150, 5)).toMatch(
      /^\[sweep\] timed out a \(silent 1 s\), 2 more: /,
    );
  });

  it('reads who is stale before the run, explains their sockets’ closing during it, and logs only runs that timed someone out', async () => {
    const now = 1_000_000;
    const online = new Map([
      ['alice', true],
      ['bob', true],
    ]);
    const store = {
      staleCandidates: async (shard: number) => (shard === 0 ? ['alice', 'bob'] : []),
      snapshot: async (users: readonly string[]) =>
        new Map(
          users.map((userId) => [
            userId,
            { online: online.get(userId)!, lastActiveAt: now - 160_000, page: null, latestPage: null, lastSeenAt: null },
          ]),
        ),
    };
    let explainer: DeleteExplainer | undefined;
    const lines: string[] = [];
    const reporter = new TimeoutReporter({
      store: store as never,
      statusShards: 2,
      timeoutMs: 150_000,
      explainDeletes: (next) => (explainer = next),
      log: (line) => lines.push(line),
      now: () => now,
    });

    const finish = await reporter.start();
    expect(explainer?.('alice')).toBe("timed out by the sweep: silent for 160 s, longer than the connection allows, or the offline grace ended");
    expect(explainer?.('carol')).toBeUndefined();
    online.set('alice', false); // the run timed alice out; bob came back meanwhile
    await finish(
      totals({ timedOut: 1, notifications: 1, connectionsClosed: 1, failedShards: [{ shard: 1, error: 'States.Timeout' }] }),
      12,
    );
    expect(explainer).toBeUndefined();
    expect(lines).toEqual([
      '[sweep] shard 1 failed: States.Timeout',
      '[sweep] timed out alice (silent 160 s): 1 friend told, 1 socket closed; silent longer than their connections allow (PRESENCE_TIMEOUT_SECONDS=150 without a negotiated heartbeat) or their offline grace ended (12 ms)',
    ]);

    const quiet = await reporter.start();
    await quiet(totals({}), 3);
    expect(lines).toHaveLength(2);
  });

  it('names a user who turned stale between its reading and the sweep\'s own (the sweep reads the clock later)', async () => {
    let now = 1_000_000;
    const lastActiveAt = new Map([
      ['dave', now - 149_500], // stale 0.5 s from now, when the sweep's task reads the clock
      ['erin', now - 100_000], // far from stale
    ]);
    const online = new Map([
      ['dave', true],
      ['erin', true],
    ]);
    const store = {
      staleCandidates: async (_shard: number, cutoff: number) => [...lastActiveAt].filter(([, at]) => at <= cutoff).map(([id]) => id),
      snapshot: async (users: readonly string[]) =>
        new Map(users.map((id) => [id, { online: online.get(id)!, lastActiveAt: lastActiveAt.get(id)!, page: null, latestPage: null, lastSeenAt: null }])),
    };
    const lines: string[] = [];
    const reporter = new TimeoutReporter({
      store: store as never,
      statusShards: 1,
      timeoutMs: 150_000,
      explainDeletes: () => undefined,
      log: (line) => lines.push(line),
      now: () => now,
    });
    const finish = await reporter.start();
    now += 1_000; // the state machine starts; the sweep's cutoff now covers dave
    online.set('dave', false);
    await finish(totals({ timedOut: 1, notifications: 1, connectionsClosed: 1 }), 20);
    expect(lines).toEqual([
      '[sweep] timed out dave (silent 151 s): 1 friend told, 1 socket closed; silent longer than their connections allow (PRESENCE_TIMEOUT_SECONDS=150 without a negotiated heartbeat) or their offline grace ended (20 ms)',
    ]);
  });
});
