/** String commands: the counters of the per-connection message budget. */
import type { CommandTable } from './command-table';
import { CommandError } from './store';

const INTEGER = /^-?\d{1,19}$/;

export const stringCommands: CommandTable = {
  GET: { arity: 2, handler: ([key], { store }) => store.string(key!) ?? null },
  INCR: {
    arity: 2,
    handler: ([key], { store }) => {
      const current = store.string(key!) ?? '0';
      if (!INTEGER.test(current) || !Number.isSafeInteger(Number(current) + 1)) {
        throw new CommandError('ERR value is not an integer or out of range');
      }
      const next = Number(current) + 1;
      store.setString(key!, String(next));
      return next;
    },
  },
};
