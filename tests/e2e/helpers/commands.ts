/**
 * Runs the project's commands (`tsx local/main.ts`, `npm start`, the local CLIs) as child processes,
 * the way a user runs them, with a clean environment: nothing of the test run's own settings leaks
 * in unless a test passes it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..', '..');
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** Settings of the test run (global setup) and of a developer's shell that must not reach a command. */
const SCRUBBED = [
  'DATABASE_URL',
  'REDIS_URL',
  'REDIS_KEY_PREFIX',
  'PORT',
  'WS_PORT',
  'IDP_PORT',
  'LOCAL_REDIS',
  'POWERTOOLS_LOG_LEVEL',
  'PRESENCE_STACKS_DIR',
  'PRESENCE_TIMEOUT_SECONDS',
  'STATUS_SHARDS',
  'SWEEP_INTERVAL_SECONDS',
  'JEST_WORKER_ID',
  'INIT_CWD',
];

export function commandEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SCRUBBED) delete env[name];
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

/** A command run to its end (killed after timeoutMs). */
export function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** `tsx <file> ...args` run to its end. */
export function runTsx(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<Finished> {
  return run(TSX, [file, ...args], env, options);
}

/** A long-running command (a stack, an interactive client) whose output a test watches. */
export class Running {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(command, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  static tsx(file: string, args: string[], env: NodeJS.ProcessEnv): Running {
    return new Running(TSX, [file, ...args], env);
  }

  /** Resolves with the first stdout line matching, received now or within timeoutMs. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.stdout.split('\n').find((candidate) => pattern.test(candidate));
      if (line !== undefined) return line;
      if (this.child.exitCode !== null)
        throw new Error(`exited (${this.child.exitCode}) without printing ${pattern}:\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Stdout lines matching, so far. */
  lines(pattern: RegExp): string[] {
    return this.stdout.split('\n').filter((line) => pattern.test(line));
  }

  write(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Stops it (SIGTERM by default) and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** A string matched literally inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
