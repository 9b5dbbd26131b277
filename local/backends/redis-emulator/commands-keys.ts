/** Keyspace commands: deletion, expiry, iteration. */
import { SYNTAX, globToRegExp, integer } from './args';
import type { CommandTable } from './command-table';
import { OK, Status } from './resp';
import { CommandError, type Store } from './store';

function countDeleted(keys: string[], store: Store): number {
  return keys.filter((key) => store.exists(key) && store.delete(key)).length;
}

function expireCommand(toAbsoluteMs: (value: number, now: number) => number): CommandTable[string] {
  return {
    arity: 3,
    handler: ([key, value], { store }) => (store.expireAt(key!, toAbsoluteMs(integer(value!), Date.now())) ? 1 : 0),
  };
}

export const keyCommands: CommandTable = {
  DEL: { arity: -2, handler: (keys, { store }) => countDeleted(keys, store) },
  // Redis frees UNLINKed values in the background; here there is nothing to free asynchronously.
  UNLINK: { arity: -2, handler: (keys, { store }) => countDeleted(keys, store) },
  // Counts repeats, like Redis: EXISTS k k → 2.
  EXISTS: { arity: -2, handler: (keys, { store }) => keys.filter((key) => store.exists(key)).length },
  TYPE: { arity: 2, handler: ([key], { store }) => new Status(store.get(key!)?.type ?? 'none') },
  PEXPIRE: expireCommand((ms, now) => now + ms),
  PEXPIREAT: expireCommand((ms) => ms),
  EXPIRE: expireCommand((seconds, now) => now + seconds * 1000),
  EXPIREAT: expireCommand((seconds) => seconds * 1000),
  PTTL: { arity: 2, handler: ([key], { store }) => store.pttl(key!) },
  TTL: {
    arity: 2,
    handler: ([key], { store }) => {
      const ms = store.pttl(key!);
      return ms < 0 ? ms : Math.floor((ms + 500) / 1000);
    },
  },
  // SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]
  SCAN: {
    arity: -2,
    handler: ([cursorText, ...options], { store, scan }) => {
      const cursor = integer(cursorText!);
      let match: RegExp | undefined;
      let count = 10;
      let type: string | undefined;
      for (let i = 0; i < options.length; i += 2) {
        const option = options[i]!.toUpperCase();
        const value = options[i + 1];
        if (value === undefined) throw new CommandError(SYNTAX);
        if (option === 'MATCH') match = globToRegExp(value);
        else if (option === 'COUNT') count = integer(value);
        else if (option === 'TYPE') type = value.toLowerCase();
        else throw new CommandError(SYNTAX);
      }
      if (count < 1) throw new CommandError(SYNTAX);
      const page = scan.page(cursor, () => store.keys(), count);
      // Keys deleted since the snapshot are skipped, as are those the filters reject (pages may come back short).
      const keys = page.keys.filter((key) => {
        const value = store.get(key);
        return value !== undefined && (!match || match.test(key)) && (!type || value.type === type);
      });
      return [String(page.cursor), keys];
    },
  },
  KEYS: {
    arity: 2,
    handler: ([pattern], { store }) => {
      const regexp = globToRegExp(pattern!);
      return store.keys().filter((key) => regexp.test(key));
    },
  },
  DBSIZE: { arity: 1, handler: (_args, { store }) => store.size },
  FLUSHALL: {
    arity: -1,
    handler: (_args, { store, scan }) => {
      store.flush();
      scan.clear();
      return OK;
    },
  },
  FLUSHDB: {
    arity: -1,
    handler: (_args, { store, scan }) => {
      store.flush();
      scan.clear();
      return OK;
    },
  },
};
