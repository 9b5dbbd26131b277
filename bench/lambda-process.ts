/**
 * The parent's side of a benchmark's execution environment (bench/lambda-environment.ts, and the
 * side-by-side harness's bench/original/environment.ts): forks it with the function's environment,
 * sends one request at a time, and counts what the environment writes to stdout and stderr for each
 * request (its log lines and EMF metrics: CloudWatch Logs ingestion in AWS).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { END_OF_INVOCATION, type EnvironmentReply, type EnvironmentRequest } from './lambda-protocol';

/** What a stream carried for one request: bytes, and lines (one CloudWatch log event each). */
export interface Written {
  bytes: number;
  lines: number;
}

const MARK = Buffer.from(END_OF_INVOCATION);
const NEWLINE = 0x0a;

/** Splits a stream at END_OF_INVOCATION and counts each part; the parts come out in order. */
export class OutputCounter {
  private pending: Buffer = Buffer.alloc(0);
  private current: Written = { bytes: 0, lines: 0 };
  private readonly finished: Written[] = [];
  private readonly waiting: ((written: Written) => void)[] = [];

  constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer) => this.take(chunk));
  }

  /** The next request's output, once its end mark has arrived. */
  next(): Promise<Written> {
    const done = this.finished.shift();
    return done ? Promise.resolve(done) : new Promise((resolve) => this.waiting.push(resolve));
  }

  take(chunk: Buffer): void {
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    for (let at = this.pending.indexOf(MARK); at >= 0; at = this.pending.indexOf(MARK)) {
      this.count(this.pending.subarray(0, at));
      this.pending = this.pending.subarray(at + MARK.length);
      const written = this.current;
      this.current = { bytes: 0, lines: 0 };
      const waiter = this.waiting.shift();
      if (waiter) waiter(written);
      else this.finished.push(written);
    }
    // Everything but a tail that may be the start of the next mark is output.
    const keep = Math.min(this.pending.length, MARK.length - 1);
    this.count(this.pending.subarray(0, this.pending.length - keep));
    this.pending = this.pending.subarray(this.pending.length - keep);
  }

  private count(bytes: Buffer): void {
    this.current.bytes += bytes.length;
    for (let i = bytes.indexOf(NEWLINE); i >= 0; i = bytes.indexOf(NEWLINE, i + 1)) this.current.lines++;
  }
}

/** How much of a request's output `request(..., { capture: true })` keeps. */
const CAPTURE_BYTES = 4096;

/**
 * The parent's side of one benchmark environment: a forked process that answers one request at a time
 * over IPC with a reply of the protocol's own (`failed` being an error), and marks the end of each
 * request's output on stdout and stderr with END_OF_INVOCATION.
 */
export class EnvironmentProcess<Request extends { type: string }, Reply extends { type: string }> {
  private waiter: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | undefined;
  private readonly stdout: OutputCounter;
  private readonly stderr: OutputCounter;
  private exited = false;
  /** The output of the request being captured, if one is. */
  private captured: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly name: string,
  ) {
    this.stdout = new OutputCounter(child.stdout!);
    this.stderr = new OutputCounter(child.stderr!);
    const capture = (chunk: Buffer): void => {
      if (this.captured !== undefined && this.captured.length < CAPTURE_BYTES) this.captured += chunk.toString('utf8');
    };
    child.stdout!.on('data', capture);
    child.stderr!.on('data', capture);
    child.on('message', (reply: Reply) => {
      const waiter = this.waiter;
      this.waiter = undefined;
      if (reply.type === 'failed') waiter?.reject(new Error(`${name}: ${(reply as Reply & { message: string }).message}`));
      else waiter?.resolve(reply);
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      this.waiter?.reject(new Error(`${name}: the environment exited with ${code ?? signal}`));
      this.waiter = undefined;
    });
  }

  /** `entry` in a fresh process with exactly `env` (nothing inherited) and these Node options. */
  static fork<Request extends { type: string }, Reply extends { type: string }>(
    name: string,
    entry: string,
    env: Record<string, string>,
    execArgv: string[] = [],
  ): EnvironmentProcess<Request, Reply> {
    return new EnvironmentProcess(fork(entry, [], { execArgv, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }), name);
  }

  /** Sends one request and waits for its answer and for everything it wrote (with `capture`, the start of that text too). */
  async request<T extends Reply['type']>(
    request: Request,
    expected: T,
    options: { capture?: boolean } = {},
  ): Promise<{ reply: Extract<Reply, { type: T }>; stdout: Written; stderr: Written; output?: string }> {
    if (this.waiter) throw new Error(`${this.name}: one request at a time`);
    if (this.exited) throw new Error(`${this.name}: the environment has exited`);
    const replied = new Promise<Reply>((resolve, reject) => (this.waiter = { resolve, reject }));
    if (options.capture) this.captured = '';
    this.child.send(request);
    const reply = await replied;
    if (reply.type !== expected) throw new Error(`${this.name}: answered ${reply.type}, expected ${expected}`);
    const [stdout, stderr] = await Promise.all([this.stdout.next(), this.stderr.next()]);
    const output = this.captured?.split(END_OF_INVOCATION).join('').slice(0, CAPTURE_BYTES);
    this.captured = undefined;
    return { reply: reply as Extract<Reply, { type: T }>, stdout, stderr, output };
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A Lambda-shaped environment (bench/lambda-environment.ts, under tsx) with exactly `env`. */
export function startLambdaEnvironment(env: Record<string, string>): EnvironmentProcess<EnvironmentRequest, EnvironmentReply> {
  return EnvironmentProcess.fork('Lambda environment', join(__dirname, 'lambda-environment.ts'), env, ['--import', 'tsx']);
}
