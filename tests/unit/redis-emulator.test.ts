/**
 * The in-process Redis emulation (local/backends/redis-emulator) through a real ioredis client over TCP,
 * so the RESP framing, the command semantics the presence scripts rely on, and the Lua conversion rules
 * are all checked the way the handlers use them.
 */
import Redis from 'ioredis';
import { RequestParser, encodeReply, ErrorReply, Status } from '../../local/backends/redis-emulator/resp';
import { startRedisEmulator, type RedisEmulator } from '../../local/backends/redis-emulator';
import { LuaScripting } from '../../local/backends/redis-emulator/lua';

let emulator: RedisEmulator;
let redis: Redis;

beforeAll(async () => {
  emulator = await startRedisEmulator();
  redis = new Redis(emulator.url);
});

afterAll(async () => {
  await redis.quit();
  await emulator.close();
});

beforeEach(async () => {
  await redis.flushall();
});

describe('RESP', () => {
  it('parses pipelined and split input, multibulk and inline', () => {
    const parser = new RequestParser();
    // 'héllo' is 6 bytes: bulk lengths count bytes, not characters.
    const wire = Buffer.from('*2\r\n$4\r\nECHO\r\n$6\r\nhéllo\r\nPING\r\n*1\r\n$4\r\nPING\r\n');
    const commands: string[][] = [];
    // Byte by byte: every split point, including inside a multi-byte character, must be survivable.
    for (const byte of wire) commands.push(...parser.push(Buffer.from([byte])));
    expect(commands).toEqual([['ECHO', 'héllo'], ['PING'], ['PING']]);
  });

  it('encodes every reply type', () => {
    expect(encodeReply(['é', null, 3, new Status('OK'), new ErrorReply('ERR x\r\ny'), []])).toBe(
      '*6\r\n$2\r\né\r\n$-1\r\n:3\r\n+OK\r\n-ERR x y\r\n*0\r\n',
    );
  });

  it('answers a pipeline in order', async () => {
    const results = await redis.pipeline().echo('a').ping().zadd('z', 1, 'm').zcard('z').exec();
    expect(results).toEqual([
      [null, 'a'],
      [null, 'PONG'],
      [null, 1],
      [null, 1],
    ]);
  });
});

describe('sorted sets', () => {
  it('ZADD honours GT, XX, NX and CH', async () => {
    expect(await redis.zadd('z', 5, 'a', 3, 'b')).toBe(2);
    expect(await redis.zadd('z', 'GT', 4, 'a')).toBe(0);
    expect(await redis.zscore('z', 'a')).toBe('5');
    expect(await redis.zadd('z', 'GT', 'CH', 7, 'a')).toBe(1);
    expect(await redis.zadd('z', 'XX', 1, 'new')).toBe(0);
    expect(await redis.zscore('z', 'new')).toBeNull();
    expect(await redis.zadd('z', 'NX', 100, 'b')).toBe(0);
    expect(await redis.zmscore('z', 'a', 'b', 'nope')).toEqual(['7', '3', null]);
    await expect(redis.zadd('z', 'GT', 'NX', 1, 'a')).rejects.toThrow(/not compatible/);
  });

  it('orders by score, then member, with negative indexes', async () => {
    await redis.zadd('z', 2, 'b', 1, 'z', 2, 'a', 1.5, 'm');
    expect(await redis.zrange('z', 0, -1)).toEqual(['z', 'm', 'a', 'b']);
    expect(await redis.zrange('z', -1, -1, 'WITHSCORES')).toEqual(['b', '2']);
    expect(await redis.zrange('z', 5, 10)).toEqual([]);
  });

  it('ZRANGEBYSCORE: exclusive bounds, infinities, LIMIT; ZREMRANGEBYSCORE', async () => {
    await redis.zadd('z', 1, 'a', 2, 'b', 3, 'c', 4, 'd');
    expect(await redis.zrangebyscore('z', '(2', '+inf')).toEqual(['c', 'd']);
    expect(await redis.zrangebyscore('z', '-inf', '(3', 'WITHSCORES')).toEqual(['a', '1', 'b', '2']);
    expect(await redis.zrangebyscore('z', '-inf', '+inf', 'LIMIT', 1, 2)).toEqual(['b', 'c']);
    expect(await redis.zremrangebyscore('z', '-inf', 2)).toBe(2);
    expect(await redis.zcard('z')).toBe(2);
    expect(await redis.zrem('z', 'c', 'd', 'x')).toBe(2);
    // The last member gone, the key is gone too.
    expect(await redis.exists('z')).toBe(0);
  });
});

describe('hashes and keys', () => {
  it('HSET counts new fields; HMGET, HGETALL, HDEL', async () => {
    expect(await redis.hset('h', 'a', '1', 'b', '2')).toBe(2);
    expect(await redis.hset('h', 'a', '3', 'c', '4')).toBe(1);
    expect(await redis.hmget('h', 'a', 'x')).toEqual(['3', null]);
    expect(await redis.hgetall('h')).toEqual({ a: '3', b: '2', c: '4' });
    expect(await redis.hdel('h', 'a', 'b', 'c')).toBe(3);
    expect(await redis.type('h')).toBe('none');
  });

  it('HSETNX sets a field only when it is missing', async () => {
    expect(await redis.hsetnx('hn', 'a', '1')).toBe(1);
    expect(await redis.hsetnx('hn', 'a', '2')).toBe(0);
    expect(await redis.hget('hn', 'a')).toBe('1');
  });

  it('INCR counts from zero, keeps the expiry, and refuses non-integers and other types', async () => {
    expect(await redis.incr('n')).toBe(1);
    await redis.pexpire('n', 60_000);
    expect(await redis.incr('n')).toBe(2);
    expect(await redis.get('n')).toBe('2');
    expect(await redis.pttl('n')).toBeGreaterThan(59_000);
    await redis.hset('hx', 'a', '1');
    await expect(redis.incr('hx')).rejects.toThrow(/^WRONGTYPE/);
    expect(await redis.type('n')).toBe('string');
  });

  it('refuses the wrong type and unknown commands', async () => {
    await redis.hset('h', 'a', '1');
    await expect(redis.zadd('h', 1, 'm')).rejects.toThrow(/^WRONGTYPE/);
    await expect(redis.call('NOPE', 'x')).rejects.toThrow(/^ERR unknown command 'NOPE'/);
  });

  it('expires keys lazily and in the background', async () => {
    await redis.zadd('a', 1, 'm');
    await redis.zadd('b', 1, 'm');
    expect(await redis.pttl('a')).toBe(-1);
    expect(await redis.pttl('missing')).toBe(-2);
    expect(await redis.pexpire('a', 60_000)).toBe(1);
    expect(await redis.ttl('a')).toBe(60);
    expect(await redis.pexpire('missing', 10)).toBe(0);
    await redis.pexpire('b', 30);
    expect(await redis.exists('b')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await redis.exists('b')).toBe(0);
    // A time in the past deletes at once.
    expect(await redis.pexpireat('a', Date.now() - 1)).toBe(1);
    expect(await redis.dbsize()).toBe(0);
  });

  it('SCAN with MATCH visits every matching key once, even while they are deleted', async () => {
    for (let i = 0; i < 25; i++) await redis.hset(`p:${i}`, 'f', 'v');
    await redis.hset('other', 'f', 'v');
    await redis.hset('p*lit', 'f', 'v');
    const seen: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'p:*', 'COUNT', 7);
      seen.push(...keys);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    expect(seen.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `p:${i}`).sort());
    expect(await redis.keys('p\\*lit')).toEqual(['p*lit']);
  });
});

describe('Lua scripting', () => {
  it('converts script results the way Redis does', async () => {
    expect(await redis.eval("return {1, 2.9, -2.9, 'x', false, true, {ok='fine'}, nil, 'after nil'}", 0)).toEqual([
      1,
      2,
      -2,
      'x',
      null,
      1,
      'fine',
    ]);
    expect(await redis.eval('return false', 0)).toBeNull();
    expect(await redis.eval('return nil', 0)).toBeNull();
    expect(await redis.eval("return {ok='DONE'}", 0)).toBe('DONE');
    await expect(redis.eval("return {err='CUSTOM failure'}", 0)).rejects.toThrow('CUSTOM failure');
  });

  it('converts command replies for the script, and passes KEYS and ARGV', async () => {
    await redis.zadd('z', 10, 'm');
    const script = `
      local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
      local missing = redis.call('ZSCORE', KEYS[1], 'nobody')
      local status = redis.call('PING')
      local err = redis.pcall('HGET', KEYS[1], 'f')
      return { type(score), tostring(missing), status.ok, err.err, redis.call('ZCARD', KEYS[1]) + 1, ARGV[2] }`;
    expect(await redis.eval(script, 1, 'z', 'm', 'second')).toEqual([
      'string',
      'false',
      'PONG',
      'WRONGTYPE Operation against a key holding the wrong kind of value',
      2,
      'second',
    ]);
    await expect(redis.eval("return redis.call('HGET', KEYS[1], 'f')", 1, 'z')).rejects.toThrow(/^WRONGTYPE/);
    await expect(redis.eval('return undefined_global.field', 0)).rejects.toThrow(/^ERR /);
    await expect(redis.eval("return redis.call('EVAL', 'return 1', 0)", 0)).rejects.toThrow(/not allowed from script/);
  });

  it('passes hundreds of keys and arguments intact (a fan-out reads every friend in one call)', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
    const args = Array.from({ length: 301 }, (_, i) => `a${i}`);
    const script = 'local out = {} for i = 1, #KEYS do out[#out + 1] = KEYS[i] .. "=" .. ARGV[i + 1] end out[#out + 1] = ARGV[1] return out';
    const expected = [...keys.map((key, i) => `${key}=a${i + 1}`), 'a0'];
    expect(await redis.eval(script, keys.length, ...keys, ...args)).toEqual(expected);
    expect(await redis.eval(script, keys.length, ...keys, ...args)).toEqual(expected);
  });

  it('caches by SHA1: EVALSHA answers NOSCRIPT until loaded, and defineCommand falls back to EVAL', async () => {
    const body = 'return ARGV[1] .. KEYS[1]';
    await redis.script('FLUSH');
    await expect(redis.evalsha('0'.repeat(40), 0)).rejects.toThrow(/^NOSCRIPT/);
    redis.defineCommand('glue', { numberOfKeys: 1, lua: body });
    const glue = (redis as unknown as { glue(key: string, arg: string): Promise<string> }).glue.bind(redis);
    expect(await glue('k', 'a-')).toBe('a-k');
    const sha = (await redis.script('LOAD', body)) as string;
    expect(await redis.script('EXISTS', sha, 'f'.repeat(40))).toEqual([1, 0]);
    expect(await redis.evalsha(sha, 1, 'k', 'b-')).toBe('b-k');
    await redis.script('FLUSH');
    expect(await glue('k', 'c-')).toBe('c-k');
  });

  it('answers NOSCRIPT inside a pipeline, so ioredis resends each defined command there as EVAL', async () => {
    redis.defineCommand('echoKey', { numberOfKeys: 1, lua: 'return KEYS[1]' });
    const pipelined = () =>
      redis
        .pipeline([
          ['echoKey', 'a'],
          ['echoKey', 'b'],
        ])
        .exec();
    expect(await pipelined()).toEqual([
      [null, 'a'],
      [null, 'b'],
    ]);
    await redis.script('FLUSH');
    const sha = LuaScripting.sha1('return KEYS[1]');
    expect(await redis.script('EXISTS', sha)).toEqual([0]);
    expect(await pipelined()).toEqual([
      [null, 'a'],
      [null, 'b'],
    ]);
    expect(await redis.script('EXISTS', sha)).toEqual([1]);
  });

  it('runs scripts atomically with respect to other clients', async () => {
    const other = new Redis(emulator.url);
    try {
      const script = "for i = 1, 200 do redis.call('ZADD', KEYS[1], i, 'm' .. i) end return redis.call('ZCARD', KEYS[1])";
      const [count, seen] = await Promise.all([redis.eval(script, 1, 'z'), other.zcard('z')]);
      expect(count).toBe(200);
      expect([0, 200]).toContain(seen);
    } finally {
      other.disconnect();
    }
  });
});
