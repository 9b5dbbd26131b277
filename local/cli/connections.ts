/**
 * `npm run connections [-- --json] [--stack <REST port>]`: the live WebSocket connections of the
 * running local stack: connection id, user, when it connected and when it last sent a frame.
 */
import { parseArgs } from 'node:util';
import type { ConnectionSummary } from '../websocket/gateway';
import { connectionsTable } from './connections-table';
import { CommandError, runCommand, UsageError } from './run';
import { chosenStack, loopback, STACK_OPTION, STACK_USAGE } from './stack-flag';

const USAGE = `usage: npm run connections [-- --json] [--stack <REST port>]\n  ${STACK_USAGE}`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false }, ...STACK_OPTION },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length > 0) throw new UsageError(USAGE);
  const stack = chosenStack(values.stack);
  let connections: ConnectionSummary[];
  try {
    const response = await fetch(`${loopback(stack).rest}/local/connections`, { signal: AbortSignal.timeout(3000) });
    if (!response.ok) throw new Error(`answered ${response.status}`);
    ({ connections } = (await response.json()) as { connections: ConnectionSummary[] });
  } catch (error) {
    throw new CommandError(
      `The local stack ${stack.name} did not list its connections (${loopback(stack).rest}/local/connections: ${(error as Error).message}).`,
    );
  }
  if (values.json) {
    console.log(JSON.stringify(connections, null, 2));
    return;
  }
  if (connections.length > 0) console.log(connectionsTable(connections));
  console.log(
    `${connections.length} live connection${connections.length === 1 ? '' : 's'} on the local stack ${stack.name} (${stack.urls.websocket})`,
  );
}

runCommand(main);
