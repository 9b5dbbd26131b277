/** The emulation's full command table: every command the presence store, the local runtime and the tests use. */
import type { CommandTable } from './command-table';
import { hashCommands } from './commands-hash';
import { keyCommands } from './commands-keys';
import { scriptCommands } from './commands-script';
import { serverCommands } from './commands-server';
import { stringCommands } from './commands-string';
import { zsetCommands } from './commands-zset';

export const COMMANDS: CommandTable = { ...serverCommands, ...keyCommands, ...zsetCommands, ...hashCommands, ...stringCommands, ...scriptCommands };
