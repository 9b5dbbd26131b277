/**
 * The parent's side of one Lambda execution environment (bench/lambda-environment.ts): forks it with
 * the function's environment, sends one request at a time, and counts what the environment writes to
 * stdout and stderr for each request (its log lines and EMF metrics: CloudWatch Logs ingestion in AWS).
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

type Reply<T extends EnvironmentReply['type']> = Extract<EnvironmentReply, { type: T }>;

export class LambdaProcess {
  private waiter: { resolve: (reply: EnvironmentReply) => void; reject: (error: Error) => void } | undefined;
  private readonly stdout: OutputCounter;
  private readonly stderr: OutputCounter;
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    this.stdout = new OutputCounter(child.stdout!);
    this.stderr = new OutputCounter(child.stderr!);
    child.on('message', (reply: EnvironmentReply) => {
      const waiter = this.waiter;
      this.waiter = undefined;
      if (reply.type === 'failed') waiter?.reject(new Error(`Lambda environment: ${reply.message}`));
      else waiter?.resolve(reply);
    });
    child.on('exit', (code) => {
      this.exited = true;
      this.waiter?.reject(new Error(`Lambda environment exited with ${code}`));
      this.waiter = undefined;
    });
  }

  /** A fresh process with exactly `env` (nothing inherited), running bench/lambda-environment.ts. */
  static start(env: Record<string, string>): LambdaProcess {
    return new LambdaProcess(
      fork(join(__dirname, 'lambda-environment.ts'), [], { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }),
    );
  }

  /** Sends one request and waits for its answer and for everything it wrote. */
  async request<T extends EnvironmentReply['type']>(
    request: EnvironmentRequest,
    expected: T,
  ): Promise<{ reply: Reply<T>; stdout: Written; stderr: Written }> {
    if (this.waiter) throw new Error('one request at a time');
    const replied = new Promise<EnvironmentReply>((resolve, reject) => (this.waiter = { resolve, reject }));
    this.child.send(request);
    const reply = await replied;
    if (reply.type !== expected) throw new Error(`Lambda environment answered ${reply.type}, expected ${expected}`);
    const [stdout, stderr] = await Promise.all([this.stdout.next(), this.stderr.next()]);
    return { reply: reply as Reply<T>, stdout, stderr };
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'close' } satisfies EnvironmentRequest);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
