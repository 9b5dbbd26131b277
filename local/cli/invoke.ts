/**
 * `npm run invoke -- <LogicalId> [event.json] [--connection <id>] [--stack <REST port>]`: runs one
 * function of template.yaml once, in a thread of this process (./invoke-thread.ts), with a sample event (default: the function's file
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
import { Worker } from 'node:worker_threads';
import { LOCAL_CLIENT_ID } from '../settings';
import { readStack, REPO_ROOT } from '../../template';
import { LOCAL_REGION } from '../../template/intrinsics';
import type { ConnectionSummary } from '../websocket/gateway';
import type { InvokeReply, InvokeRequest } from './invoke-thread';
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

/** How long the function's thread may take to end after answering. */
const THREAD_EXIT_GRACE_MS = 2000;

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

  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(
    `Invoking ${logicalId} (${path.relative(REPO_ROOT, spec.entryFile)}) with ${path.relative(process.cwd(), eventFile)} on the local stack ${stack.name}`,
  );
  for (const note of notes) log(`  ${note}`);

  const reply = await invokeInThread({ spec, event });
  if (reply.ok) {
    log(`${logicalId} returned after ${reply.durationMs} ms:`);
    process.stdout.write(`${reply.resultJson}\n`);
    return 0;
  }
  log(`${logicalId} failed after ${reply.durationMs} ms:`);
  process.stdout.write(`${JSON.stringify({ errorType: reply.errorType, errorMessage: reply.errorMessage }, null, 2)}\n`);
  return 1;
}

/**
 * Runs the function in a thread whose stdout (the function's log lines) goes to stderr, and answers
 * once the thread has ended, so every line it wrote is out before the result.
 */
function invokeInThread(request: InvokeRequest): Promise<InvokeReply> {
  // A thread inherits the environment set so far but not the TypeScript loader: tsx's hook comes first.
  const entry = path.join(__dirname, 'invoke-thread.ts');
  const thread = new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, { eval: true, workerData: request, stdout: true });
  thread.stdout.pipe(process.stderr);
  let reply: InvokeReply | undefined;
  thread.once('message', (message: InvokeReply) => {
    reply = message;
    // The handler's clients are closed by then; a handle left open must not keep the command waiting.
    setTimeout(() => void thread.terminate(), THREAD_EXIT_GRACE_MS).unref();
  });
  return new Promise((resolve, reject) => {
    thread.once('error', reject);
    thread.stdout.once('end', () =>
      reply ? resolve(reply) : reject(new CommandError("The function's thread ended without a result.")),
    );
  });
}

runCommand(main);
