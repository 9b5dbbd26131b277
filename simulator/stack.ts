/**
 * The local stack under test, started as a child process (`tsx local/main.ts`) so its CPU and its
 * output are its own: any free ports, a private stacks folder (its stack file tells us the ports), its
 * own private redis-server, the run's database, the template's log level (INFO) and metrics on, and
 * the compressed time settings. Its stdout is read line by line for what CloudWatch Logs would
 * ingest; its stderr is kept (the last lines) and shown only when something fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MeterSnapshot } from '../local/meter';
import { fetchMeter } from '../local/meter/client';
import { runningStacks, type StackRecord } from '../local/stacks';
import { REPO_ROOT } from '../template';
import { LogAccounting } from './log-accounting';

const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const MAIN = path.join(REPO_ROOT, 'local', 'main.ts');
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 10_000;
const TAIL_LINES = 60;

/** Settings of the caller's shell that must not reach the stack (it gets its own). */
const NOT_INHERITED = [
  'DATABASE_URL',
  'REDIS_URL',
  'REDIS_KEY_PREFIX',
  'LOCAL_REDIS',
  'PORT',
  'WS_PORT',
  'IDP_PORT',
  'PRESENCE_STACKS_DIR',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_LOGGER_SAMPLE_RATE',
  'STATUS_SHARDS',
  'PG_POOL_MAX',
];

/** The stack failed to start or died: its message is one line; `details` holds its output's tail. */
export class StackError extends Error {
  override name = 'StackError';
  constructor(
    message: string,
    readonly details: string,
  ) {
    super(message);
  }
}

export interface RunningStack {
  record: StackRecord;
  restUrl: string;
  websocketUrl: string;
  logs: LogAccounting;
  meter(): Promise<MeterSnapshot>;
  resetMeter(): Promise<MeterSnapshot>;
  /** The last lines the stack wrote (stderr, then stdout), for a failure report. */
  outputTail(): string;
  /** Resolves when the process exits on its own (a crash while the simulation runs). */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

class Tail {
  private lines: string[] = [];
  private partial = '';

  push(chunk: Buffer): void {
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    this.lines.push(...lines);
    if (this.lines.length > TAIL_LINES) this.lines = this.lines.slice(-TAIL_LINES);
  }

  text(): string {
    return [...this.lines, this.partial].filter(Boolean).join('\n');
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface StartStackOptions {
  databaseUrl: string;
  /** The compressed time settings and anything else for the stack's environment. */
  settings: Record<string, string>;
}

export async function startStack(options: StartStackOptions): Promise<RunningStack> {
  const stacksDir = mkdtempSync(path.join(os.tmpdir(), 'presence-sim-stacks-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of NOT_INHERITED) delete env[name];
  Object.assign(env, {
    PORT: '0',
    WS_PORT: '0',
    IDP_PORT: '0',
    PRESENCE_STACKS_DIR: stacksDir,
    DATABASE_URL: options.databaseUrl,
    // A real redis-server (never the in-process emulation, whose costs are not Redis's).
    LOCAL_REDIS: 'redis-server',
    // What a deployed stack writes: the template's level, and its EMF metrics.
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_METRICS_DISABLED: 'false',
    ...options.settings,
  });
  const child = spawn(TSX, [MAIN], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let record: StackRecord | undefined;
  // Exiting without stop(): tsx runs the stack in a process of its own, which must stop too (and stop its redis-server).
  const killOnExit = () => {
    if (record) signal(record.pid, 'SIGTERM');
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const logs = new LogAccounting();
  const stdoutTail = new Tail();
  const stderrTail = new Tail();
  child.stdout.on('data', (chunk: Buffer) => {
    logs.push(chunk);
    stdoutTail.push(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => stderrTail.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const outputTail = () => [stderrTail.text(), stdoutTail.text()].filter(Boolean).join('\n');
  const cleanup = () => {
    process.removeListener('exit', killOnExit);
    rmSync(stacksDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(record = runningStacks(stacksDir)[0])) {
    if (child.exitCode !== null || child.signalCode !== null) {
      cleanup();
      const line = stderrTail.text().split('\n').find(Boolean) ?? `exit code ${child.exitCode ?? child.signalCode}`;
      throw new StackError(`The local stack did not start: ${line}`, outputTail());
    }
    if (Date.now() > deadline) {
      await stop(child);
      cleanup();
      throw new StackError(`The local stack did not publish its stack file within ${START_TIMEOUT_MS / 1000} s.`, outputTail());
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const restUrl = `http://127.0.0.1:${record.ports.rest}`;
  let stopping: Promise<void> | undefined;
  return {
    record,
    restUrl,
    websocketUrl: `ws://127.0.0.1:${record.ports.websocket}${new URL(record.urls.managementApi).pathname}`,
    logs,
    meter: () => fetchMeter(restUrl, { timeoutMs: REQUEST_TIMEOUT_MS }),
    resetMeter: () => fetchMeter(restUrl, { reset: true, timeoutMs: REQUEST_TIMEOUT_MS }),
    outputTail,
    exited,
    stop: () =>
      (stopping ??= stop(child).then(() => {
        cleanup();
      })),
  };
}
