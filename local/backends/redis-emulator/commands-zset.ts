/** Sorted-set commands, with the options the presence scripts and store use. */
import { SYNTAX, float, formatScore, integer, scoreBound } from './args';
import type { CommandTable } from './command-table';
import type { Reply } from './resp';
import type { ZEntry } from './sorted-set';
import { CommandError } from './store';

function withScores(entries: ZEntry[], scores: boolean): Reply {
  return scores ? entries.flatMap((e) => [e.member, formatScore(e.score)]) : entries.map((e) => e.member);
}

/** ZADD key [NX|XX] [GT|LT] [CH] score member [score member …] */
const zadd: CommandTable[string] = {
  arity: -4,
  handler: ([key, ...rest], { store }) => {
    const flags = new Set<string>();
    while (rest.length > 0 && ['NX', 'XX', 'GT', 'LT', 'CH'].includes(rest[0]!.toUpperCase())) flags.add(rest.shift()!.toUpperCase());
    if (rest.length === 0 || rest.length % 2 !== 0) throw new CommandError(SYNTAX);
    if (flags.has('NX') && flags.has('XX')) throw new CommandError('ERR XX and NX options at the same time are not compatible');
    if ((flags.has('GT') && flags.has('LT')) || (flags.has('NX') && (flags.has('GT') || flags.has('LT')))) {
      throw new CommandError('ERR GT, LT, and/or NX options at the same time are not compatible');
    }
    const pairs: Array<[number, string]> = [];
    for (let i = 0; i < rest.length; i += 2) pairs.push([float(rest[i]!), rest[i + 1]!]);
    const set = store.zsetForWrite(key!);
    let added = 0;
    let changed = 0;
    for (const [score, member] of pairs) {
      const current = set.score(member);
      if (current === undefined) {
        if (flags.has('XX')) continue;
        set.set(member, score);
        added++;
      } else {
        if (flags.has('NX') || current === score) continue;
        if ((flags.has('GT') && score <= current) || (flags.has('LT') && score >= current)) continue;
        set.set(member, score);
        changed++;
      }
    }
    store.dropIfEmpty(key!);
    return flags.has('CH') ? added + changed : added;
  },
};

export const zsetCommands: CommandTable = {
  ZADD: zadd,
  ZREM: {
    arity: -3,
    handler: ([key, ...members], { store }) => {
      const set = store.zset(key!);
      if (!set) return 0;
      const removed = members.filter((member) => set.remove(member)).length;
      store.dropIfEmpty(key!);
      return removed;
    },
  },
  ZSCORE: {
    arity: 3,
    handler: ([key, member], { store }) => {
      const score = store.zset(key!)?.score(member!);
      return score === undefined ? null : formatScore(score);
    },
  },
  ZMSCORE: {
    arity: -3,
    handler: ([key, ...members], { store }) => {
      const set = store.zset(key!);
      return members.map((member) => {
        const score = set?.score(member);
        return score === undefined ? null : formatScore(score);
      });
    },
  },
  ZCARD: { arity: 2, handler: ([key], { store }) => store.zset(key!)?.size ?? 0 },
  // Index form only (ZRANGE key start stop [WITHSCORES]); BYSCORE/BYLEX/REV are not used here.
  ZRANGE: {
    arity: -4,
    handler: ([key, startText, stopText, ...options], { store }) => {
      const scores = options.length === 1 && options[0]!.toUpperCase() === 'WITHSCORES';
      if (options.length > 0 && !scores) throw new CommandError(SYNTAX);
      let start = integer(startText!);
      let stop = integer(stopText!);
      const set = store.zset(key!);
      if (!set) return [];
      if (start < 0) start = Math.max(0, set.size + start);
      if (stop < 0) stop = set.size + stop;
      stop = Math.min(stop, set.size - 1);
      if (start > stop) return [];
      return withScores(set.slice(start, stop), scores);
    },
  },
  ZRANGEBYSCORE: {
    arity: -4,
    handler: ([key, min, max, ...options], { store }) => {
      const range = [scoreBound(min!), scoreBound(max!)] as const;
      let scores = false;
      let offset = 0;
      let count = -1;
      for (let i = 0; i < options.length; i++) {
        const option = options[i]!.toUpperCase();
        if (option === 'WITHSCORES') scores = true;
        else if (option === 'LIMIT' && options[i + 2] !== undefined) {
          offset = integer(options[i + 1]!);
          count = integer(options[i + 2]!);
          i += 2;
        } else throw new CommandError(SYNTAX);
      }
      const set = store.zset(key!);
      if (!set || offset < 0) return [];
      const entries = set.byScore(...range).slice(offset);
      return withScores(count < 0 ? entries : entries.slice(0, count), scores);
    },
  },
  ZREMRANGEBYSCORE: {
    arity: 4,
    handler: ([key, min, max], { store }) => {
      const range = [scoreBound(min!), scoreBound(max!)] as const;
      const set = store.zset(key!);
      if (!set) return 0;
      const doomed = set.byScore(...range);
      for (const entry of doomed) set.remove(entry.member);
      store.dropIfEmpty(key!);
      return doomed.length;
    },
  },
};
