/**
 * The command table and its dispatcher. Every command runs synchronously to completion, so a Lua script
 * (which calls back into this table synchronously) is atomic with respect to every other client for free:
 * Node's single thread cannot interleave another socket's command.
 */
import type { Reply } from './resp';
import { ErrorReply } from './resp';
import type { ScanCursors } from './scan-cursors';
import type { LuaScripting } from './lua';
import { CommandError, type Store } from './store';

export interface CommandContext {
  store: Store;
  scan: ScanCursors;
  lua: LuaScripting;
  /** Set while a script runs: commands that would re-enter the interpreter or touch the connection are refused. */
  inScript: boolean;
}

export interface Command {
  /** As in Redis: counting the command name; negative means "at least". */
  arity: number;
  /** Only args after the command name; they are guaranteed to match the arity. */
  handler: (args: string[], context: CommandContext) => Reply;
  noScript?: boolean;
}

export type CommandTable = Record<string, Command>;

export function execute(table: CommandTable, argv: string[], context: CommandContext): Reply {
  const name = (argv[0] ?? '').toUpperCase();
  const command = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!command) {
    const preview = argv
      .slice(1, 4)
      .map((arg) => `'${arg.slice(0, 32)}'`)
      .join(' ');
    return new ErrorReply(`ERR unknown command '${argv[0] ?? ''}', with args beginning with: ${preview}`);
  }
  if ((command.arity > 0 && argv.length !== command.arity) || argv.length < Math.abs(command.arity)) {
    return new ErrorReply(`ERR wrong number of arguments for '${name.toLowerCase()}' command`);
  }
  if (context.inScript && command.noScript) return new ErrorReply('ERR This Redis command is not allowed from script');
  try {
    return command.handler(argv.slice(1), context);
  } catch (error) {
    if (error instanceof CommandError) return new ErrorReply(error.message);
    throw error;
  }
}
