/**
 * Finds the commands in what a Redis client writes (RESP requests: arrays of bulk strings, or inline
 * commands such as `PING\r\n`), chunk by chunk as TCP delivers them. Only the command name is kept:
 * bulk strings are skipped byte by byte, so a large value is never buffered. Bytes that are not RESP
 * stop the counting for that connection (the proxy still forwards them; Redis will answer the error).
 */

/** Longest line kept: inline commands and `*<n>` / `$<n>` headers. Redis refuses inline requests over 64 KB too. */
const MAX_LINE_BYTES = 64 * 1024;
/** Command names are short; more of the first argument is never needed. */
const NAME_BYTES = 32;
const STAR = 0x2a;
const DOLLAR = 0x24;
const LF = 0x0a;

type State = 'command' | 'line' | 'bulk-body' | 'broken';
type LinePurpose = 'inline' | 'array-header' | 'bulk-header';

export class RespRequestReader {
  private state: State = 'command';
  private purpose: LinePurpose = 'inline';
  private lineParts: Buffer[] = [];
  private lineBytes = 0;
  private argCount = 0;
  private argIndex = 0;
  private bulkLength = 0;
  /** Bytes of the current bulk string still to come, its CRLF included. */
  private bodyLeft = 0;
  private nameParts: Buffer[] = [];
  private nameBytes = 0;
  private name = '';

  /** onCommand gets each complete command's name in lower case. */
  constructor(private readonly onCommand: (name: string) => void) {}

  /** False once the stream stopped looking like RESP. */
  get ok(): boolean {
    return this.state !== 'broken';
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.state !== 'broken') {
      if (this.state === 'command') {
        // `*` opens an array; anything else is the first byte of an inline command.
        if (chunk[at] === STAR) {
          this.startLine('array-header');
          at += 1;
        } else this.startLine('inline');
      } else if (this.state === 'line') {
        at = this.readLine(chunk, at);
      } else {
        at = this.readBody(chunk, at);
      }
    }
  }

  private startLine(purpose: LinePurpose): void {
    this.state = 'line';
    this.purpose = purpose;
    this.lineParts = [];
    this.lineBytes = 0;
  }

  private readLine(chunk: Buffer, at: number): number {
    const end = chunk.indexOf(LF, at);
    const stop = end < 0 ? chunk.length : end;
    this.lineBytes += stop - at;
    if (this.lineBytes > MAX_LINE_BYTES) {
      this.state = 'broken';
      return chunk.length;
    }
    if (stop > at) this.lineParts.push(chunk.subarray(at, stop));
    if (end < 0) return chunk.length;
    const text = Buffer.concat(this.lineParts).toString('latin1').replace(/\r$/, '');
    this.lineParts = [];
    this.lineDone(text);
    return end + 1;
  }

  private lineDone(text: string): void {
    if (this.purpose === 'inline') {
      const name = text.trim().split(/\s+/, 1)[0];
      if (name) this.onCommand(name.toLowerCase());
      this.state = 'command';
      return;
    }
    if (this.purpose === 'array-header') {
      const count = wholeNumber(text);
      if (count === undefined) this.state = 'broken';
      // `*0` and `*-1` carry no command.
      else if (count <= 0) this.state = 'command';
      else {
        this.argCount = count;
        this.argIndex = 0;
        this.startLine('bulk-header');
      }
      return;
    }
    const length = text.charCodeAt(0) === DOLLAR ? wholeNumber(text.slice(1)) : undefined;
    if (length === undefined || length < 0) {
      this.state = 'broken';
      return;
    }
    this.bulkLength = length;
    this.bodyLeft = length + 2;
    this.nameParts = [];
    this.nameBytes = 0;
    this.state = 'bulk-body';
  }

  private readBody(chunk: Buffer, at: number): number {
    const take = Math.min(this.bodyLeft, chunk.length - at);
    if (this.argIndex === 0 && this.nameBytes < NAME_BYTES) {
      const keep = Math.min(take, NAME_BYTES - this.nameBytes);
      this.nameParts.push(chunk.subarray(at, at + keep));
      this.nameBytes += keep;
    }
    this.bodyLeft -= take;
    if (this.bodyLeft === 0) this.argumentDone();
    return at + take;
  }

  private argumentDone(): void {
    if (this.argIndex === 0) {
      const bytes = Buffer.concat(this.nameParts);
      this.name = bytes.toString('latin1', 0, Math.min(this.bulkLength, bytes.length)).toLowerCase();
    }
    this.argIndex += 1;
    if (this.argIndex < this.argCount) {
      this.startLine('bulk-header');
      return;
    }
    this.onCommand(this.name);
    this.state = 'command';
  }
}

function wholeNumber(text: string): number | undefined {
  if (!/^-?\d{1,12}$/.test(text)) return undefined;
  return Number(text);
}

/** Commands that run a script or function on the server. */
export const SCRIPT_COMMANDS: ReadonlySet<string> = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);
