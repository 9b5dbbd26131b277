import { BadRequestError, InvalidInputError, PresenceError } from '../../layers/core/errors';
import { connectionActivity } from '../../layers/core/http/identity';
import {
  parseFrame,
  parseHeartbeatParameter,
  parsePageUpdate,
  parseSubscribe,
  parseSweepTask,
  parseUserIdParameter,
  shortenUrl,
} from '../../layers/core/validation';

const limits = { maxUrlLength: 2048, maxTitleLength: 512 };

describe('parsePageUpdate', () => {
  it('accepts the extension frame and ignores the legacy jwt', () => {
    const body = JSON.stringify({ action: 'update-presence', url: 'https://x.org/', title: 'X', jwt: 'whatever' });
    expect(parsePageUpdate(body, limits)).toEqual({ url: 'https://x.org/', title: 'X' });
  });

  it('accepts a hidden page and a missing title', () => {
    expect(parsePageUpdate('{"url":"","title":""}', limits)).toEqual({ url: '', title: '' });
    expect(parsePageUpdate('{"url":"https://x.org/"}', limits)).toEqual({ url: 'https://x.org/', title: '' });
  });

  it.each([
    [undefined, /Empty/],
    ['', /Empty/],
    ['{', /not valid JSON/],
    ['"str"', /JSON object/],
    ['null', /JSON object/],
    ['[]', /JSON object/],
    ['{"title":"x"}', /"url" must be a string/],
    ['{"url":1}', /"url" must be a string/],
    ['{"url":"","title":5}', /"title" must be a string/],
  ])('rejects %p', (body, message) => {
    expect(() => parsePageUpdate(body, limits)).toThrow(BadRequestError);
    expect(() => parsePageUpdate(body, limits)).toThrow(message);
  });

  it('shortens an over-long url instead of refusing the update', () => {
    const url = `https://en.wikipedia.org/wiki/${'A'.repeat(3000)}`;
    const update = parsePageUpdate(JSON.stringify({ url, title: 'Long' }), limits);
    expect(update.url.length).toBeLessThanOrEqual(2048);
    expect(update.url.startsWith('https://en.wikipedia.org/wiki/')).toBe(true);
    expect(update.title).toBe('Long');
  });

  it('cuts long titles and strips control characters', () => {
    const { title } = parsePageUpdate(JSON.stringify({ url: '', title: `a\u0000b\n${'c'.repeat(600)}` }), limits);
    expect(title).toHaveLength(512);
    expect(title.startsWith('a b c')).toBe(true);
  });
});

describe('shortenUrl', () => {
  const base = 'https://news.example.com/section/article';

  it('leaves a url within the limit alone', () => {
    expect(shortenUrl(`${base}?q=1#top`, 100)).toBe(`${base}?q=1#top`);
  });

  it('drops the fragment first', () => {
    const url = `${base}?q=1#${'f'.repeat(100)}`;
    expect(shortenUrl(url, base.length + 4)).toBe(`${base}?q=1`);
  });

  it('then drops the query', () => {
    const url = `${base}?${'q'.repeat(100)}#frag`;
    expect(shortenUrl(url, base.length + 10)).toBe(base);
  });

  it('then cuts the path after its last whole segment', () => {
    const url = `https://example.com/a/bb/${'c'.repeat(100)}?q=1`;
    expect(shortenUrl(url, 30)).toBe('https://example.com/a/bb/');
  });

  it('cuts inside a segment when no whole one fits', () => {
    const url = `https://example.com/${'c'.repeat(100)}`;
    expect(shortenUrl(url, 30)).toBe('https://example.com/cccccccccc');
  });

  it('only cuts text that is not a web url (the sharing rule hides it anyway)', () => {
    expect(shortenUrl('x'.repeat(50), 20)).toBe('x'.repeat(20));
    expect(shortenUrl(`chrome://settings/${'x'.repeat(50)}`, 20)).toHaveLength(20);
  });
});

describe('parseSubscribe', () => {
  it.each(['pages', 'status', 'none'])('accepts level %s (and ignores anything else in the frame)', (level) => {
    expect(parseSubscribe(JSON.stringify({ action: 'subscribe', level, jwt: 'x' }))).toBe(level);
  });

  it.each([['{"action":"subscribe"}'], ['{"level":"all"}'], ['{"level":2}'], ['nope']])('refuses %s with a 400', (body) => {
    expect(() => parseSubscribe(body)).toThrow(BadRequestError);
  });
});

describe('parseHeartbeatParameter', () => {
  it('reads a whole number of seconds from 1 to 540, or nothing', () => {
    expect(parseHeartbeatParameter({ heartbeat: '300' })).toBe(300);
    expect(parseHeartbeatParameter({ heartbeat: '1' })).toBe(1);
    expect(parseHeartbeatParameter({ heartbeat: '540' })).toBe(540);
    expect(parseHeartbeatParameter({ Authorization: 'x' })).toBeUndefined();
    expect(parseHeartbeatParameter(null)).toBeUndefined();
  });

  it.each(['0', '541', '60.5', '1e2', '-5', 'soon', ''])('refuses heartbeat=%s with the reason', (heartbeat) => {
    expect(() => parseHeartbeatParameter({ heartbeat })).toThrow('heartbeat must be a whole number of seconds from 1 to 540');
  });
});

describe('connectionActivity', () => {
  const event = (authorizer: Record<string, unknown>) =>
    ({ requestContext: { connectionId: 'c1', connectedAt: 1000, authorizer } }) as unknown as Parameters<typeof connectionActivity>[0];

  it('allows 2 x the negotiated heartbeat + 30 s, or the default', () => {
    expect(connectionActivity(event({ userId: 'u', heartbeatSeconds: 300 }), 150_000)).toEqual({
      connectionId: 'c1',
      connectedAt: 1000,
      allowanceMs: 630_000,
    });
    expect(connectionActivity(event({ userId: 'u' }), 150_000).allowanceMs).toBe(150_000);
    // API Gateway may hand context numbers back as strings.
    expect(connectionActivity(event({ userId: 'u', heartbeatSeconds: '60' }), 150_000).allowanceMs).toBe(150_000);
    expect(connectionActivity(event({ userId: 'u', heartbeatSeconds: '20' }), 150_000).allowanceMs).toBe(70_000);
  });
});

describe('parseFrame', () => {
  it('returns the object', () => {
    expect(parseFrame('{"action":"heartbeat"}')).toEqual({ action: 'heartbeat' });
  });
});

describe('parseUserIdParameter', () => {
  it.each([
    ['alice', 'alice'],
    ['us-east-1:4f1c2a9e-1111-2222-3333-444455556666', 'us-east-1:4f1c2a9e-1111-2222-3333-444455556666'],
    ['alice%40example.com', 'alice@example.com'],
    ['first.last+tag@example.com', 'first.last+tag@example.com'],
    ['u'.repeat(128), 'u'.repeat(128)],
  ])('accepts %p as %p', (raw, userId) => {
    expect(parseUserIdParameter(raw)).toBe(userId);
  });

  it.each([
    [undefined],
    [null],
    [''],
    ['../../etc'],
    ['%2e%2e%2Fetc'],
    ['%E0%A4%A'],
    ['alice bob'],
    ['alice%20bob'],
    ['al/ice'],
    ['\u00e9lise'],
    ['u'.repeat(129)],
  ])('rejects %p with a 400', (raw) => {
    expect(() => parseUserIdParameter(raw)).toThrow(BadRequestError);
    expect(() => parseUserIdParameter(raw)).toThrow('userId is missing or malformed');
  });
});

describe('parseSweepTask', () => {
  const NOW = Date.parse('2025-01-01T00:00:00.000Z');
  const SHARDS = 4;

  it('reads the shard, the batch size and when the execution started', () => {
    expect(parseSweepTask({ shard: 3, batchSize: 200, startedAt: '2024-12-31T23:59:00.000Z' }, SHARDS, NOW)).toEqual({
      shard: 3,
      batchSize: 200,
      startedAt: NOW - 60_000,
    });
  });

  it('takes numbers written as strings, as the state machine may pass them', () => {
    expect(parseSweepTask({ shard: '0', batchSize: '5000' }, SHARDS, NOW)).toEqual({ shard: 0, batchSize: 5000, startedAt: NOW });
  });

  it('leaves an absent batch size to the configured one, and starts now without a readable startedAt', () => {
    expect(parseSweepTask({ shard: 1 }, SHARDS, NOW)).toEqual({ shard: 1, batchSize: undefined, startedAt: NOW });
    expect(parseSweepTask({ shard: 1, batchSize: null, startedAt: 'yesterday' }, SHARDS, NOW)).toEqual({
      shard: 1,
      batchSize: undefined,
      startedAt: NOW,
    });
    expect(parseSweepTask({ shard: 1, startedAt: NOW - 5 }, SHARDS, NOW).startedAt).toBe(NOW);
  });

  it.each([[undefined], [null], ['shard'], [{}], [{ shard: null }], [{ shard: -1 }], [{ shard: 4 }], [{ shard: 1.5 }], [{ shard: 'one' }]])(
    'rejects the shard of %p',
    (input) => {
      expect(() => parseSweepTask(input, SHARDS, NOW)).toThrow(InvalidInputError);
      expect(() => parseSweepTask(input, SHARDS, NOW)).toThrow('shard must be an integer from 0 to 3');
    },
  );

  it.each([[0], [-5], [5001], [2.5], ['many'], ['']])('rejects the batch size %p', (batchSize) => {
    expect(() => parseSweepTask({ shard: 0, batchSize }, SHARDS, NOW)).toThrow(InvalidInputError);
    expect(() => parseSweepTask({ shard: 0, batchSize }, SHARDS, NOW)).toThrow('batchSize must be an integer from 1 to 5000');
  });

  it('throws an error Step Functions tells by its name, not an HTTP error', () => {
    let thrown: unknown;
    try {
      parseSweepTask({ shard: 9 }, SHARDS, NOW);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidInputError);
    expect(thrown).not.toBeInstanceOf(PresenceError);
    expect((thrown as Error).name).toBe('InvalidInputError');
  });
});
