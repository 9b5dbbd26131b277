/**
 * The meter's wire readers: the RESP request reader (commands a Redis client writes) and the
 * PostgreSQL frontend reader (sessions and queries), fed the bytes the real clients' own encoders
 * produce (ioredis's Command, pg-protocol's serializer), whole, pipelined, and split at every byte.
 */
import { Command } from 'ioredis';
import { serialize } from 'pg-protocol';
import { PgFrontendReader } from '../../local/meter/pg-messages';
import { RespRequestReader } from '../../local/meter/resp-requests';

function resp(name: string, ...args: Array<string | Buffer | number>): Buffer {
  const written = new Command(name, args).toWritable({});
  return Buffer.isBuffer(written) ? written : Buffer.from(written, 'latin1');
}

function commandsIn(chunks: Buffer[]): { names: string[]; ok: boolean } {
  const names: string[] = [];
  const reader = new RespRequestReader((name) => names.push(name));
  for (const chunk of chunks) reader.push(chunk);
  return { names, ok: reader.ok };
}

/** Every way to cut the bytes in two, and byte by byte. */
function splits(bytes: Buffer): Buffer[][] {
  const ways: Buffer[][] = [];
  for (let at = 0; at <= bytes.length; at += 1) ways.push([bytes.subarray(0, at), bytes.subarray(at)]);
  ways.push([...bytes].map((byte) => Buffer.from([byte])));
  return ways;
}

describe('RespRequestReader', () => {
  it('names each command of a pipeline, in lower case', () => {
    const pipeline = Buffer.concat([
      resp('EVALSHA', 'a'.repeat(40), 1, 'presence:{u}:conns', 'c1', 1700000000000),
      resp('get', 'k'),
      resp('hset', 'h', 'f', 'v'),
    ]);
    expect(commandsIn([pipeline])).toEqual({ names: ['evalsha', 'get', 'hset'], ok: true });
  });

  it('finds the same commands wherever TCP splits the bytes', () => {
    const pipeline = Buffer.concat([resp('evalsha', 'b'.repeat(40), 0, 'x'), resp('ping'), resp('set', 'k', '')]);
    for (const chunks of splits(pipeline)) expect(commandsIn(chunks)).toEqual({ names: ['evalsha', 'ping', 'set'], ok: true });
  });

  it('skips large bulk strings without taking RESP inside them for commands', () => {
    // A value that looks like commands, then 2 MB, delivered in 64 KB chunks.
    const value = Buffer.concat([resp('flushall'), Buffer.alloc(2 * 1024 * 1024, 'x'), Buffer.from('\r\n*1\r\n$4\r\nPING\r\n')]);
    const bytes = Buffer.concat([resp('set', 'big', value), resp('get', 'big')]);
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 65_536) chunks.push(bytes.subarray(at, at + 65_536));
    expect(commandsIn(chunks)).toEqual({ names: ['set', 'get'], ok: true });
  });

  it('counts a command only once all its arguments have arrived', () => {
    const bytes = resp('evalsha', 'c'.repeat(40), 1, 'key', 'argument');
    const names: string[] = [];
    const reader = new RespRequestReader((name) => names.push(name));
    reader.push(bytes.subarray(0, bytes.length - 1));
    expect(names).toEqual([]);
    reader.push(bytes.subarray(bytes.length - 1));
    expect(names).toEqual(['evalsha']);
  });

  it('reads inline commands (a health probe, netcat) and ignores empty lines and empty arrays', () => {
    const bytes = Buffer.from('PING\r\n\r\n  info   server\n*0\r\n*-1\r\nQuit\r\n');
    for (const chunks of splits(bytes)) expect(commandsIn(chunks)).toEqual({ names: ['ping', 'info', 'quit'], ok: true });
  });

  it('keeps only a short name of an absurd first argument', () => {
    expect(commandsIn([resp('x'.repeat(1000))]).names).toEqual(['x'.repeat(32)]);
  });

  it('stops counting a connection whose bytes are not RESP', () => {
    expect(commandsIn([Buffer.from('*2\r\n$3\r\nGET\r\n:5\r\n'), resp('ping')])).toEqual({ names: [], ok: false });
    expect(commandsIn([Buffer.from('*many\r\n'), resp('ping')])).toEqual({ names: [], ok: false });
    expect(commandsIn([Buffer.from('*1\r\n$-1\r\n'), resp('ping')])).toEqual({ names: [], ok: false });
  });
});

interface PgCounts {
  sessions: number;
  queries: number;
  reading: boolean;
}

/** Client chunks; a server byte is sent where the chunk list holds a one-letter string. */
function pgCounts(steps: Array<Buffer | 'N' | 'S'>): PgCounts {
  const counts = { sessions: 0, queries: 0 };
  const reader = new PgFrontendReader({ session: () => (counts.sessions += 1), query: () => (counts.queries += 1) });
  for (const step of steps) {
    if (typeof step === 'string') reader.serverData(Buffer.from(step));
    else reader.clientData(step);
  }
  return { ...counts, reading: reader.reading };
}

describe('PgFrontendReader', () => {
  const startup = serialize.startup({ user: 'postgres', database: 'presence', client_encoding: 'UTF8' });
  const simple = serialize.query('SELECT 1');
  // node-postgres' extended protocol: one Execute per parameterised query.
  const extended = Buffer.concat([
    serialize.parse({ text: 'SELECT user_id FROM friendship_table WHERE user_id = $1', types: [] }),
    serialize.bind({ values: ['alice'] }),
    serialize.describe({ type: 'P' }),
    serialize.execute({ rows: 0 }),
    serialize.sync(),
  ]);

  it('counts the session and its simple and extended queries', () => {
    expect(pgCounts([startup, simple, extended, extended, serialize.end()])).toEqual({ sessions: 1, queries: 3, reading: true });
  });

  it('counts the same wherever TCP splits the bytes', () => {
    const bytes = Buffer.concat([startup, simple, extended]);
    for (const chunks of splits(bytes)) expect(pgCounts(chunks)).toEqual({ sessions: 1, queries: 2, reading: true });
  });

  it('skips a large query text without reading it', () => {
    const big = serialize.query(`SELECT '${'q'.repeat(3 * 1024 * 1024)}'`);
    const bytes = Buffer.concat([startup, big, simple]);
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 65_536) chunks.push(bytes.subarray(at, at + 65_536));
    expect(pgCounts(chunks)).toEqual({ sessions: 1, queries: 2, reading: true });
  });

  it("goes on after an SSLRequest the server declines ('N')", () => {
    expect(pgCounts([serialize.requestSsl(), 'N', startup, simple])).toEqual({ sessions: 1, queries: 1, reading: true });
  });

  it("stops reading once the server accepts encryption ('S'): what follows is TLS", () => {
    const tlsHello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
    expect(pgCounts([serialize.requestSsl(), 'S', tlsHello, Buffer.alloc(600, 0x51)])).toEqual({ sessions: 0, queries: 0, reading: false });
  });

  it('opens no session for a CancelRequest', () => {
    expect(pgCounts([serialize.cancel(1234, 5678)])).toEqual({ sessions: 0, queries: 0, reading: true });
  });

  it('stops reading bytes that are not the protocol', () => {
    expect(pgCounts([Buffer.from('GET / HTTP/1.1\r\n\r\n'), simple])).toEqual({ sessions: 0, queries: 0, reading: false });
    expect(pgCounts([startup, Buffer.from([0x51, 0, 0, 0, 2]), simple])).toEqual({ sessions: 1, queries: 0, reading: false });
  });
});
