/**
 * `npm run ws -- <userId> [--heartbeat <seconds>] [--json] [--stack <REST port>]`: a small
 * interactive WebSocket client for the running local stack, on the reference client
 * (@presence-api/client). It mints the user's token itself, connects, prints every push as one
 * readable line, and sends what you type (shortcuts such as `/page <url> <title>`, `/hide`,
 * `/heartbeat`; see /help). Like the browser extension it sends a heartbeat every 60 s, so the
 * presence timeout (150 s) never cuts it while it runs; against a stack started with a shorter
 * PRESENCE_TIMEOUT_SECONDS it heartbeats often enough for that one. When the server closes the
 * connection it says why, reconnects, reads the snapshot again and sends the page again.
 */
import { createPresenceClient } from '@presence-api/client';
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

const REFUSALS: Record<number, string> = {
  401: 'no token',
  403: 'the authorizer refused the token (expired, or minted for another stack)',
};

function say(arrow: string, text: string): void {
  process.stdout.write(`${new Date().toLocaleTimeString('en-GB', { hour12: false })} ${arrow} ${text}\n`);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

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
  // Minted now, so a stack without its signing key fails before anything connects.
  await stackToken(stack, userId);
  const { websocket, rest } = loopback(stack);
  const client = createPresenceClient({
    webSocketUrl: websocket,
    restUrl: rest,
    getToken: () => stackToken(stack, userId),
    WebSocket,
    heartbeatSeconds,
  });

  return new Promise<number>((resolve, reject) => {
    let connected = false;
    let leaving = false;
    const leave = () => {
      if (leaving) return;
      leaving = true;
      client.stop();
      // The close frame gets a moment to reach the server, so $disconnect runs now, not at the idle timeout.
      setTimeout(() => resolve(0), 200).unref();
    };

    client.on('synced', ({ renewal }) => {
      if (!connected) {
        connected = true;
        say('·', `connected to ${websocket} as ${userId} (local stack ${stack.name}). Type /help for commands.`);
        say(
          '·',
          heartbeatSeconds > 0
            ? `a heartbeat goes every ${heartbeatSeconds} s by itself`
            : 'no automatic heartbeat: the sweep will time this client out',
        );
      } else if (renewal) {
        say('·', 'connection renewed before the maximum connection time (the new one opened before the old one closed)');
      } else {
        say('·', `reconnected as ${userId}; friends read again (${client.friends().length})`);
      }
    });
    client.on('frame', (_frame, text) => say('←', values.json ? text : describeFrame(text, userId)));
    client.on('sent', ({ text, kind }) => say('→', `${text}${kind === 'heartbeat' ? ` (automatic, every ${heartbeatSeconds} s)` : ''}`));
    client.on('disconnected', ({ code, reason, retryInMs }) => {
      if (!connected) return;
      say('·', `${describeClose(code, reason)}; reconnecting in ${seconds(retryInMs)}`);
    });
    client.on('error', (error) => {
      if (error.kind === 'frame') return; // printed with the frame
      if (!connected && error.kind === 'handshake') {
        // The first connection failed: say why once and stop (a stack that refuses it now will again).
        client.stop();
        const status = error.status;
        reject(
          new CommandError(
            status
              ? `The local stack refused the connection: ${status}${REFUSALS[status] ? ` (${REFUSALS[status]})` : ''}.`
              : `Could not connect to ${websocket}: ${error.message.replace(/^the connection failed before it opened: /, '')}.`,
          ),
        );
        return;
      }
      say('·', error.message);
    });

    const lines = createInterface({ input: process.stdin, terminal: false });
    lines.on('line', (line) => {
      const input = parseInput(line);
      if (input.kind === 'page') {
        if (!client.setPage(input.url, input.title)) say('·', 'not connected right now: the page goes out once the connection is back');
      } else if (input.kind === 'send') {
        if (!client.send(input.text)) say('·', 'not connected right now: nothing was sent');
      } else if (input.kind === 'help') process.stdout.write(`${INPUT_HELP}\n`);
      else if (input.kind === 'quit') leave();
      else if (input.kind === 'unknown') say('·', input.message);
    });
    // Ctrl-D, or the end of piped input: the server gets a second to answer what was just sent.
    lines.on('close', () => setTimeout(leave, 1000));
    process.on('SIGINT', leave);
    process.on('SIGTERM', leave);
    client.start();
  });
}

runCommand(main);
