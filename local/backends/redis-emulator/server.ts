/**
 * The emulation as a Redis server on a random loopback port, so clients (ioredis in the handlers, the tests'
 * own clients) connect to it exactly as to redis-server: REDIS_URL=redis://127.0.0.1:<port>.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { execute, type CommandContext } from './command-table';
import { COMMANDS } from './commands';
import { LuaScripting } from './lua';
import { ErrorReply, ProtocolError, RequestParser, encodeReply } from './resp';
import { ScanCursors } from './scan-cursors';
import { Store } from './store';

export interface RedisEmulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Redis samples expiring keys ten times a second; a full pass this often is cheap at local sizes. */
const EXPIRY_SWEEP_MS = 100;

export async function startRedisEmulator(options: { port?: number } = {}): Promise<RedisEmulator> {
  const store = new Store();
  const scan = new ScanCursors();
  // redis.call from a script dispatches into the same table with inScript set.
  const context: CommandContext = { store, scan, inScript: false, lua: undefined as unknown as LuaScripting };
  const scriptContext: CommandContext = { ...context, inScript: true };
  const lua = await LuaScripting.create((argv) => execute(COMMANDS, argv, scriptContext));
  context.lua = lua;
  scriptContext.lua = lua;

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const parser = new RequestParser();
    socket.on('data', (chunk) => {
      let commands: string[][];
      try {
        commands = parser.push(chunk);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        socket.end(encodeReply(new ErrorReply(`ERR Protocol error: ${error.message}`)));
        return;
      }
      // One write per chunk: a pipeline's replies leave together, in order.
      let out = '';
      for (const argv of commands) {
        out += encodeReply(execute(COMMANDS, argv, context));
        if (argv[0]!.toUpperCase() === 'QUIT') {
          socket.end(out);
          return;
        }
      }
      if (out) socket.write(out);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });

  const sweeper = setInterval(() => store.sweepExpired(), EXPIRY_SWEEP_MS);
  sweeper.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    close: async () => {
      clearInterval(sweeper);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      lua.close();
    },
  };
}
