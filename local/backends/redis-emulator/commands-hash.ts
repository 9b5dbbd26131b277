/** Hash commands. */
import type { CommandTable } from './command-table';
import { CommandError } from './store';

export const hashCommands: CommandTable = {
  HSET: {
    arity: -4,
    handler: ([key, ...pairs], { store }) => {
      if (pairs.length % 2 !== 0) throw new CommandError("ERR wrong number of arguments for 'hset' command");
      const hash = store.hashForWrite(key!);
      let added = 0;
      for (let i = 0; i < pairs.length; i += 2) {
        if (!hash.has(pairs[i]!)) added++;
        hash.set(pairs[i]!, pairs[i + 1]!);
      }
      return added;
    },
  },
  HSETNX: {
    arity: 4,
    handler: ([key, field, value], { store }) => {
      const hash = store.hashForWrite(key!);
      if (hash.has(field!)) return 0;
      hash.set(field!, value!);
      return 1;
    },
  },
  HGET: { arity: 3, handler: ([key, field], { store }) => store.hash(key!)?.get(field!) ?? null },
  HMGET: {
    arity: -3,
    handler: ([key, ...fields], { store }) => {
      const hash = store.hash(key!);
      return fields.map((field) => hash?.get(field) ?? null);
    },
  },
  HGETALL: {
    arity: 2,
    handler: ([key], { store }) => [...(store.hash(key!) ?? new Map<string, string>())].flat(),
  },
  HDEL: {
    arity: -3,
    handler: ([key, ...fields], { store }) => {
      const hash = store.hash(key!);
      if (!hash) return 0;
      const removed = fields.filter((field) => hash.delete(field)).length;
      store.dropIfEmpty(key!);
      return removed;
    },
  },
  HLEN: { arity: 2, handler: ([key], { store }) => store.hash(key!)?.size ?? 0 },
};
