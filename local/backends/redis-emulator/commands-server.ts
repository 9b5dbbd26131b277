/** Connection and server commands: just enough for ioredis's handshake and for INFO-reading tools. */
import type { CommandTable } from './command-table';
import { ErrorReply, OK, Status } from './resp';
import { CommandError } from './store';

export const EMULATED_VERSION = '7.0.0';

function info(keys: number, expiring: number): string {
  const memory = process.memoryUsage();
  return [
    '# Server',
    `redis_version:${EMULATED_VERSION}`,
    'redis_mode:standalone',
    'executable:in-process-emulation',
    `process_id:${process.pid}`,
    `uptime_in_seconds:${Math.floor(process.uptime())}`,
    '',
    '# Persistence',
    // ioredis's ready check waits while this is 1.
    'loading:0',
    '',
    '# Memory',
    // The whole Node process's heap: the emulation cannot measure its own share.
    `used_memory:${memory.heapUsed}`,
    '',
    '# Keyspace',
    ...(keys > 0 ? [`db0:keys=${keys},expires=${expiring},avg_ttl=0`] : []),
    '',
  ].join('\r\n');
}

export const serverCommands: CommandTable = {
  PING: { arity: -1, handler: ([message]) => (message === undefined ? new Status('PONG') : message) },
  ECHO: { arity: 2, handler: ([message]) => message! },
  // The server closes the connection after replying.
  QUIT: { arity: -1, noScript: true, handler: () => OK },
  SELECT: {
    arity: 2,
    noScript: true,
    handler: ([index]) => {
      if (index !== '0') throw new CommandError('ERR DB index is out of range (the emulation has only database 0)');
      return OK;
    },
  },
  // SETNAME, SETINFO (sent by recent clients on connect) and the rest are accepted and ignored.
  CLIENT: {
    arity: -2,
    noScript: true,
    handler: ([subcommand]) => {
      const name = subcommand!.toUpperCase();
      if (name === 'GETNAME') return null;
      if (name === 'ID') return 1;
      return OK;
    },
  },
  INFO: { arity: -1, handler: (_args, { store }) => info(store.size, store.expiringCount) },
  // Refusing HELLO keeps clients that try RESP3 on RESP2, the only protocol spoken here.
  HELLO: { arity: -1, noScript: true, handler: () => new ErrorReply("ERR unknown command 'HELLO'") },
  COMMAND: { arity: -1, noScript: true, handler: () => [] },
  TIME: {
    arity: 1,
    handler: () => {
      const micros = BigInt(Date.now()) * 1000n;
      return [String(micros / 1_000_000n), String(micros % 1_000_000n)];
    },
  },
};
