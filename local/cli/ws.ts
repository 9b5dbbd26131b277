/**
 * `npm run ws -- <userId> [--heartbeat <seconds>] [--json] [--stack <REST port>]`: a small
 * interactive WebSocket client for the running local stack. It mints the user's token itself,
 * connects, prints every push as one readable line, and sends what you type (shortcuts such as
 * `/page <url> <title>`, `/hide`, `/heartbeat`; see /help). Like the browser extension it sends a
 * heartbeat every 60 s, so the presence timeout (150 s) never cuts it while it runs; against a stack
 * started with a shorter PRESENCE_TIMEOUT_SECONDS it heartbeats often enough for that one.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { CommandError, runCommand, UsageError } from './run';
import { chosenStack, loopback, STACK_OPTION, STACK_USAGE } from './stack-flag';
import { stackToken } from './stack-token';
import { INPUT_HELP, defaultHeartbeat, describeClose, describeFrame, parseInput } from './ws-frames';

const USAGE = [
  'usage: npm run ws -- <userId> [--heartbeat <seconds>] [--json] [--stack <REST port>]',
  '  --heartbeat <seconds>  interval of the automatic heartbeat (default 60, or less when the stack times out',
  '                         sooner; 0 = none, to watch the timeout)',
  '  --json                 print pushed frames as the raw JSON instead of one line each',
  `  ${STACK_USAGE}`,
].join('\n');

function say(arrow: string, text: string): void {
  process.stdout.write(`${new Date().toLocaleTimeString('en-GB', { hour12: false })} ${arrow} ${text}\n`);
}

function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => {
      const why: Record<number, string> = {
        401: 'no token',
        403: 'the authorizer refused the token (expired, or minted for another stack)',
      };
      reject(
        new CommandError(
          `The local stack refused the connection: ${response.statusCode}${why[response.statusCode!] ? ` (${why[response.statusCode!]})` : ''}.`,
        ),
      );
      socket.terminate();
    });
    socket.once('error', (error) => reject(new CommandError(`Could not connect to ${url.split('?')[0]}: ${error.message}.`)));
  });
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      heartbeat: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ...STACK_OPTION,
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(`${USAGE}\n\n${INPUT_HELP}`);
    return 0;
  }
  const [userId, ...extra] = positionals;
  if (!userId || extra.length > 0) throw new UsageError(USAGE);
  if (values.heartbeat !== undefined && !/^\d+$/.test(values.heartbeat))
    throw new UsageError(`--heartbeat takes whole seconds (0 = none)\n${USAGE}`);

  const stack = chosenStack(values.stack);
  const heartbeatSeconds =
    values.heartbeat === undefined ? defaultHeartbeat(stack.environment.PRESENCE_TIMEOUT_SECONDS) : Number(values.heartbeat);
  const token = await stackToken(stack, userId);
  const { websocket } = loopback(stack);
  const socket = await connect(`${websocket}?Authorization=${encodeURIComponent(token)}`);
  say('·', `connected to ${websocket} as ${userId} (local stack ${stack.name}). Type /help for commands.`);
  say(
    '·',
    heartbeatSeconds > 0
      ? `a heartbeat goes every ${heartbeatSeconds} s by itself`
      : 'no automatic heartbeat: the sweep will time this client out',
  );

  const send = (text: string, note = '') => {
    if (socket.readyState !== WebSocket.OPEN) return;
    socket.send(text);
    say('→', `${text}${note}`);
  };
  const heartbeat =
    heartbeatSeconds > 0
      ? setInterval(
          () => send(JSON.stringify({ action: 'heartbeat' }), ` (automatic, every ${heartbeatSeconds} s)`),
          heartbeatSeconds * 1000,
        )
      : undefined;

  socket.on('message', (data) => {
    const text = data.toString();
    say('←', values.json ? text : describeFrame(text, userId));
  });

  return new Promise<number>((resolve) => {
    let leaving = false;
    const leave = () => {
      if (leaving) return;
      leaving = true;
      socket.close(1000);
      // A server that never answers the close frame does not hold us.
      setTimeout(() => resolve(0), 1000).unref();
    };
    socket.on('close', (code, reason) => {
      clearInterval(heartbeat);
      if (leaving) return resolve(0);
      say('·', describeClose(code, reason.toString()));
      resolve(1);
    });
    const lines = createInterface({ input: process.stdin, terminal: false });
    lines.on('line', (line) => {
      const input = parseInput(line);
      if (input.kind === 'send') send(input.text);
      else if (input.kind === 'help') process.stdout.write(`${INPUT_HELP}\n`);
      else if (input.kind === 'quit') leave();
      else if (input.kind === 'unknown') say('·', input.message);
    });
    // Ctrl-D, or the end of piped input: the server gets a second to answer what was just sent.
    lines.on('close', () => setTimeout(leave, 1000));
    process.on('SIGINT', leave);
    process.on('SIGTERM', leave);
  });
}

runCommand(main);
