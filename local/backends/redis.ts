/**
 * Redis for the local stack, in order of preference:
 * 1. REDIS_URL when given;
 * 2. a private `redis-server` from PATH on a free loopback port, with no persistence, stopped with the stack;
 * 3. otherwise an in-process emulation (./redis-emulator): a RESP2 server on a random loopback port whose
 *    Lua scripts run on Lua 5.4 in WebAssembly, so the handlers' ioredis client is used unchanged.
 *
 * The emulation covers exactly the commands this project sends and is tested against the presence store's
 * integration suite, but it is not Redis (no persistence, no cluster, Lua 5.4 instead of 5.1, no memory or
 * latency figures worth measuring), so it is announced with a warning. LOCAL_REDIS=emulator forces it;
 * LOCAL_REDIS=redis-server refuses it (failing when redis-server is missing).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { describeUrl, freePort } from './ports';
import { startRedisEmulator } from './redis-emulator';

export interface RedisBackend {
  url: string;
  /** For the start-up banner. */
  description: string;
  /** Set when the backend is not a real Redis: the banner shows it prominently. */
  warning?: string;
  close(): Promise<void>;
}

/** LOCAL_REDIS: unset or 'auto' (the order above), 'redis-server' or 'emulator' to insist on one. */
export type RedisMode = 'auto' | 'redis-server' | 'emulator';

export function parseRedisMode(raw: string | undefined): RedisMode {
  const value = raw?.trim() || 'auto';
  if (value === 'auto' || value === 'redis-server' || value === 'emulator') return value;
  throw new Error(`LOCAL_REDIS must be auto, redis-server or emulator, got "${value}"`);
}

export class RedisUnavailableError extends Error {
  constructor() {
    super(
      'No Redis: LOCAL_REDIS=redis-server is set but redis-server is not on PATH. Install it ' +
        '(Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis), set REDIS_URL=redis://host:port, ' +
        'or unset LOCAL_REDIS to fall back to the in-process emulation.',
    );
    this.name = 'RedisUnavailableError';
  }
}

function redisServerBinary(): string {
  return process.env.REDIS_SERVER_BIN ?? 'redis-server';
}

export function redisServerOnPath(): boolean {
  const probe = spawnSync(redisServerBinary(), ['--version'], { stdio: 'ignore', timeout: 5000 });
  return probe.status === 0;
}

/** Whether `PING` answers `+PONG` on the loopback port (one plain socket, nothing left behind). */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

async function waitForRedis(child: ChildProcess, port: number, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server exited during start-up:\n${output().slice(-2000)}`);
    }
    if (await ping(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on 127.0.0.1:${port} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function startRedisServer(): Promise<RedisBackend> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
  // Its own process group: a Ctrl-C in the terminal must not stop Redis before the stack has run
  // $disconnect for every open socket; close() (or the exit hook below) stops it afterwards.
  const child = spawn(redisServerBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // Never leave an orphaned redis-server behind, even if the stack is not closed properly.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    await waitForRedis(child, port, () => output);
  } catch (error) {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    description: `redis-server (pid ${child.pid}) started on 127.0.0.1:${port}, no persistence`,
    close: async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
    },
  };
}

export const EMULATION_WARNING =
  'Redis is an in-process emulation: for trying the API only (no persistence, no cluster, not a performance reference). ' +
  'Install redis-server or set REDIS_URL for anything else.';

async function startEmulation(): Promise<RedisBackend> {
  const emulator = await startRedisEmulator();
  return {
    url: emulator.url,
    description: `in-process Redis emulation (127.0.0.1:${emulator.port}, Lua via wasmoon) — WARNING: for trying the API only; not Redis`,
    warning: EMULATION_WARNING,
    close: () => emulator.close(),
  };
}

export async function startRedis(url: string | undefined, mode: RedisMode = 'auto'): Promise<RedisBackend> {
  if (mode === 'emulator') return startEmulation();
  if (url) return { url, description: `REDIS_URL ${describeUrl(url)}`, close: async () => undefined };
  if (redisServerOnPath()) return startRedisServer();
  if (mode === 'redis-server') throw new RedisUnavailableError();
  return startEmulation();
}
