/**
 * `npm run invoke -- <LogicalId> [event.json] [--connection <id>] [--stack <REST port>]`: runs one
 * function of template.yaml once, in this process, with a sample event (default: the function's file
 * in events/), against the running local stack: its Redis, PostgreSQL, management endpoint and token
 * issuer, found through its stack file. The `sam local invoke` of a machine without Docker.
 *
 * The function's result goes to stdout as JSON (a function error as {"errorType", "errorMessage"},
 * exit code 1); what happens around it (which event, which connection, the function's own log lines,
 * the duration) goes to stderr, so `npm run --silent invoke -- ... | jq` sees only the result.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { closeHandlerRuntime, FunctionInvoker } from '../lambda/invoker';
import { LOCAL_CLIENT_ID } from '../settings';
import { readStack, REPO_ROOT } from '../../template';
import { LOCAL_REGION } from '../../template/intrinsics';
import type { ConnectionSummary } from '../websocket/gateway';
import { prepareEvent } from './invoke-event';
import { CommandError, runCommand, UsageError } from './run';
import { useStackEnvironment } from './stack-environment';
import { chosenStack, loopback, STACK_OPTION, STACK_USAGE } from './stack-flag';
import { stackToken } from './stack-token';

const USAGE = [
  'usage: npm run invoke -- <LogicalId> [event.json] [--connection <id>] [--stack <REST port>]',
  '  <LogicalId>        a function of template.yaml, e.g. UpdatePresenceFunction',
  "  event.json         the event (default: the function's sample in events/)",
  "  --connection <id>  send a WebSocket message as this connection (default: the user's live one, if any)",
  `  ${STACK_USAGE}`,
].join('\n');

/** Where the user was: npm runs scripts from the package root and keeps the caller's folder in INIT_CWD. */
function fromCallerDir(file: string): string {
  return path.resolve(process.env.INIT_CWD ?? process.cwd(), file);
}

function readEvent(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const why = { ENOENT: 'no such file', EISDIR: 'it is a folder', EACCES: 'permission denied' }[code] ?? (error as Error).message;
    throw new CommandError(`Cannot read the event file ${file}: ${why}.`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CommandError(`The event file ${file} is not JSON: ${(error as Error).message}.`);
  }
}

async function liveConnections(rest: string): Promise<ConnectionSummary[]> {
  try {
    const response = await fetch(`${rest}/local/connections`, { signal: AbortSignal.timeout(3000) });
    return response.ok ? ((await response.json()) as { connections: ConnectionSummary[] }).connections : [];
  } catch {
    return [];
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { connection: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false }, ...STACK_OPTION },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [logicalId, eventArgument, ...extra] = positionals;
  if (!logicalId || extra.length > 0) throw new UsageError(USAGE);

  const { functions } = readStack({ StageName: 'local', CognitoUserPoolId: `${LOCAL_REGION}_local`, CognitoClientIds: [LOCAL_CLIENT_ID] });
  const spec = functions.get(logicalId);
  if (!spec)
    throw new CommandError(`template.yaml has no function ${logicalId}; its functions are: ${[...functions.keys()].sort().join(', ')}.`);
  const eventFile = eventArgument
    ? fromCallerDir(eventArgument)
    : path.join(REPO_ROOT, 'events', `${path.basename(spec.entryFile, path.extname(spec.entryFile))}.json`);
  const raw = readEvent(eventFile);

  const stack = chosenStack(values.stack);
  const { event, notes } = await prepareEvent(raw as never, {
    mintToken: (userId) => stackToken(stack, userId),
    connections: await liveConnections(loopback(stack).rest),
    connectionId: values.connection,
  });
  useStackEnvironment(stack, 'INFO');

  const result = process.stdout.write.bind(process.stdout);
  // The function's log lines (Powertools writes to stdout) go to stderr; stdout carries only the result.
  process.stdout.write = process.stderr.write.bind(process.stderr);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(
    `Invoking ${logicalId} (${path.relative(REPO_ROOT, spec.entryFile)}) with ${path.relative(process.cwd(), eventFile)} on the local stack ${stack.name}`,
  );
  for (const note of notes) log(`  ${note}`);

  const invoker = new FunctionInvoker(functions);
  const started = Date.now();
  let code = 0;
  try {
    const output = await invoker.invoke(spec, event);
    log(`${logicalId} returned after ${Date.now() - started} ms:`);
    result(`${JSON.stringify(output ?? null, null, 2)}\n`);
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    log(`${logicalId} failed after ${Date.now() - started} ms:`);
    result(`${JSON.stringify({ errorType: err.name, errorMessage: err.message }, null, 2)}\n`);
    code = 1;
  } finally {
    await closeHandlerRuntime().catch(() => undefined);
  }
  return code;
}

runCommand(main);
