/**
 * RESP2, the wire format ioredis speaks when it is not offered RESP3: a request parser that copes with
 * pipelined and partial input (TCP delivers arbitrary chunks), and a reply encoder.
 */

/** A `+OK`-style simple string reply. */
export class Status {
  constructor(readonly value: string) {}
}

/** A `-ERR …` reply; the message starts with its code (ERR, WRONGTYPE, NOSCRIPT…). */
export class ErrorReply {
  constructor(readonly message: string) {}
}

/** A reply already encoded as RESP (a Lua script's result is encoded on the Lua side). */
export class RawReply {
  constructor(readonly resp: string) {}
}

/** string → bulk, null → nil bulk, number → integer, array → array. */
export type Reply = string | number | null | Status | ErrorReply | RawReply | Reply[];

export const OK = new Status('OK');

/** Replies never contain CR or LF in simple strings and errors, or the framing breaks. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

export function encodeReply(reply: Reply): string {
  if (reply === null) return '$-1\r\n';
  if (typeof reply === 'string') return `$${Buffer.byteLength(reply)}\r\n${reply}\r\n`;
  if (typeof reply === 'number') return `:${Math.trunc(reply)}\r\n`;
  if (reply instanceof Status) return `+${oneLine(reply.value)}\r\n`;
  if (reply instanceof ErrorReply) return `-${oneLine(reply.message)}\r\n`;
  if (reply instanceof RawReply) return reply.resp;
  return `*${reply.length}\r\n${reply.map(encodeReply).join('')}`;
}

export class ProtocolError extends Error {}

const CRLF = Buffer.from('\r\n');
const MAX_BULK_BYTES = 512 * 1024 * 1024;

/**
 * Accumulates bytes and yields complete commands. Multibulk (`*2\r\n$4\r\nPING\r\n…`) is what clients
 * send; inline commands (`PING\r\n`) are what a health probe or a human with netcat sends.
 */
export class RequestParser {
  private buffer: Buffer = Buffer.alloc(0);

  /** Appends a chunk and returns every command it completes; throws ProtocolError on garbage. */
  push(chunk: Buffer): string[][] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const commands: string[][] = [];
    let offset = 0;
    for (;;) {
      const parsed = this.buffer[offset] === 0x2a /* '*' */ ? this.parseMultibulk(offset) : this.parseInline(offset);
      if (!parsed) break;
      offset = parsed.next;
      if (parsed.args.length > 0) commands.push(parsed.args);
    }
    this.buffer = this.buffer.subarray(offset);
    return commands;
  }

  private line(offset: number): { text: string; next: number } | undefined {
    const end = this.buffer.indexOf(CRLF, offset);
    if (end < 0) {
      if (this.buffer.length - offset > 64 * 1024) throw new ProtocolError('too big inline request');
      return undefined;
    }
    return { text: this.buffer.toString('utf8', offset, end), next: end + 2 };
  }

  private parseInline(offset: number): { args: string[]; next: number } | undefined {
    if (offset >= this.buffer.length) return undefined;
    const line = this.line(offset);
    if (!line) return undefined;
    return { args: line.text.split(/\s+/).filter((part) => part.length > 0), next: line.next };
  }

  private parseMultibulk(offset: number): { args: string[]; next: number } | undefined {
    const header = this.line(offset);
    if (!header) return undefined;
    const count = integerHeader(header.text.slice(1), 'multibulk length');
    const args: string[] = [];
    let next = header.next;
    for (let i = 0; i < count; i++) {
      const bulkHeader = this.line(next);
      if (!bulkHeader) return undefined;
      if (!bulkHeader.text.startsWith('$')) throw new ProtocolError(`expected '$', got '${bulkHeader.text.slice(0, 1)}'`);
      const length = integerHeader(bulkHeader.text.slice(1), 'bulk length');
      if (length > MAX_BULK_BYTES) throw new ProtocolError('invalid bulk length');
      const end = bulkHeader.next + length;
      if (this.buffer.length < end + 2) return undefined;
      args.push(this.buffer.toString('utf8', bulkHeader.next, end));
      next = end + 2;
    }
    return { args, next };
  }
}

function integerHeader(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new ProtocolError(`invalid ${what}`);
  return Number(text);
}
