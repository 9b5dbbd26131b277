/**
 * The harness's side of one execution environment (./environment.ts, bundled): forks it under plain node
 * with exactly the function's environment, sends one request at a time, and counts what it writes to
 * stdout and stderr for each request (bench/lambda-process.ts's OutputCounter).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { OutputCounter, type Written } from '../lambda-process';
import { END_OF_INVOCATION } from '../lambda-protocol';
import type { EnvironmentReply, EnvironmentRequest } from './protocol';

/** How much of a request's output `request(..., { capture: true })` keeps. */
const CAPTURE_BYTES = 4096;

type Reply<T extends EnvironmentReply['type']> = Extract<EnvironmentReply, { type: T }>;

export class EnvironmentProcess {
  private waiter: { resolve: (reply: EnvironmentReply) => void; reject: (error: Error) => void } | undefined;
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
    child.on('message', (reply: EnvironmentReply) => {
      const waiter = this.waiter;
      this.waiter = undefined;
      if (reply.type === 'failed') waiter?.reject(new Error(`${name}: ${reply.message}`));
      else waiter?.resolve(reply);
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      this.waiter?.reject(new Error(`${name}: the environment exited with ${code ?? signal}`));
      this.waiter = undefined;
    });
  }

  /** `bundle` under plain node (no loader, no inherited variables) with exactly `env`. */
  static start(name: string, bundle: string, env: Record<string, string>): EnvironmentProcess {
    return new EnvironmentProcess(fork(bundle, [], { execArgv: [], env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }), name);
  }

  /** Sends one request and waits for its answer and for everything it wrote (with `capture`, the start of that text too). */
  async request<T extends EnvironmentReply['type']>(
    request: EnvironmentRequest,
    expected: T,
    options: { capture?: boolean } = {},
  ): Promise<{ reply: Reply<T>; stdout: Written; stderr: Written; output?: string }> {
    if (this.waiter) throw new Error(`${this.name}: one request at a time`);
    if (this.exited) throw new Error(`${this.name}: the environment has exited`);
    const replied = new Promise<EnvironmentReply>((resolve, reject) => (this.waiter = { resolve, reject }));
    if (options.capture) this.captured = '';
    this.child.send(request);
    const reply = await replied;
    if (reply.type !== expected) throw new Error(`${this.name}: answered ${reply.type}, expected ${expected}`);
    const [stdout, stderr] = await Promise.all([this.stdout.next(), this.stderr.next()]);
    const output = this.captured?.split(END_OF_INVOCATION).join('').slice(0, CAPTURE_BYTES);
    this.captured = undefined;
    return { reply: reply as Reply<T>, stdout, stderr, output };
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
