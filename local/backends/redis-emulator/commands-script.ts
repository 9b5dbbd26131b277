/** Scripting commands; the interpreter itself is lua.ts. None may be called from inside a script. */
import { SYNTAX } from './args';
import type { CommandTable } from './command-table';
import { OK } from './resp';
import { CommandError } from './store';

export const scriptCommands: CommandTable = {
  EVAL: { arity: -3, noScript: true, handler: ([body, numkeys, ...rest], { lua }) => lua.eval(body!, numkeys!, rest) },
  EVALSHA: { arity: -3, noScript: true, handler: ([sha, numkeys, ...rest], { lua }) => lua.evalsha(sha!, numkeys!, rest) },
  SCRIPT: {
    arity: -2,
    noScript: true,
    handler: ([subcommand, ...rest], { lua }) => {
      switch (subcommand!.toUpperCase()) {
        case 'LOAD':
          if (rest.length !== 1) throw new CommandError(SYNTAX);
          return lua.load(rest[0]!);
        case 'EXISTS':
          return rest.map((sha) => (lua.exists(sha) ? 1 : 0));
        case 'FLUSH':
          lua.flush();
          return OK;
        default:
          throw new CommandError(`ERR unknown subcommand '${subcommand}'. Try SCRIPT HELP.`);
      }
    },
  },
};
