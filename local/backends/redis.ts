/**
 * Redis for the local stack: REDIS_URL when given; otherwise a private `redis-server` from PATH on a
 * free loopback port, with no persistence, stopped with the stack.
 *
 * There is no in-process fallback: the presence store's Lua scripts use ZADD GT, PEXPIREAT and friends,
 * and no pure-JavaScript Redis emulation on npm runs them faithfully (ioredis-mock, for one, has no
 * ZADD GT). A clear error explaining how to get redis-server beats an emulation that silently differs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { describeUrl, freePort } from './ports';

export interface RedisBackend {
  url: string;
  /** For the start-up banner. */
  description: string;
  close(): Promise<void>;
}

export class RedisUnavailableError extends Error {
  constructor() {
    super(
      'No Redis available. Either set REDIS_URL=redis://host:port, or install redis-server so the local stack can ' +
        'start a private one on a free loopback port:\n' +
        '  Debian/Ubuntu: sudo apt-get install -y redis-server\n' +
        '  macOS:         brew install redis\n' +
        '(An in-process emulation is not offered: the presence store relies on Redis Lua scripts with ZADD GT, ' +
        'which no pure-JavaScript Redis emulation runs faithfully.)',
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

/** Resolves once `PING` answers `+PONG` on the port. */
function ping(port: number): Promise<boolean> {
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

export async function startRedis(url: string | undefined): Promise<RedisBackend> {
  if (url) return { url, description: `REDIS_URL ${describeUrl(url)}`, close: async () => undefined };
  if (!redisServerOnPath()) throw new RedisUnavailableError();
  return startRedisServer();
}
