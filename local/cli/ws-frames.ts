/**
 * The interactive WebSocket client's pure parts (`npm run ws`): a typed line into what to do (a page
 * for the client to share and keep, or a frame to send as it is: shortcuts, so nobody has to type
 * JSON), a pushed frame into one readable line, and its heartbeat.
 */

export type Input =
  | { kind: 'page'; url: string; title: string }
  | { kind: 'send'; text: string }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'nothing' }
  | { kind: 'unknown'; message: string };

export const INPUT_HELP = [
  'Type a command and press Enter:',
  '  /page <url> [title]   update-presence: tell your friends what you are looking at (sent again after a reconnect)',
  '  /hide                 update-presence with an empty url and title (online, page hidden)',
  '  /heartbeat            heartbeat now (one is sent every minute by itself)',
  '  /raw <text>           send <text> as it is (e.g. to see the $default route answer)',
  '  {"action": ...}       a line starting with { is sent as it is',
  '  /help, /quit          this text; close the connection (Ctrl-C or Ctrl-D do the same)',
].join('\n');

const json = (frame: unknown) => JSON.stringify(frame);

export function parseInput(line: string): Input {
  const text = line.trim();
  if (!text) return { kind: 'nothing' };
  if (text.startsWith('{')) return { kind: 'send', text };
  const [command = '', ...rest] = text.split(/\s+/);
  const argument = text.slice(command.length).trim();
  switch (command.toLowerCase()) {
    case '/page': {
      const [url, ...title] = rest;
      if (!url)
        return { kind: 'unknown', message: 'usage: /page <url> [title], e.g. /page https://en.wikipedia.org/wiki/Alice Alice - Wikipedia' };
      return { kind: 'page', url, title: title.join(' ') };
    }
    case '/hide':
      return { kind: 'page', url: '', title: '' };
    case '/heartbeat':
      return { kind: 'send', text: json({ action: 'heartbeat' }) };
    case '/raw':
      return argument ? { kind: 'send', text: argument } : { kind: 'unknown', message: 'usage: /raw <text>' };
    case '/help':
    case '/?':
      return { kind: 'help' };
    case '/quit':
    case '/exit':
      return { kind: 'quit' };
    default:
      return { kind: 'unknown', message: `not a command: ${command.slice(0, 40)} (type /help for the list)` };
  }
}

function page(url: unknown, title: unknown, domain: unknown): string {
  const name = typeof title === 'string' && title ? `"${title}"` : '(no title)';
  return `${name} ${String(url)}${typeof domain === 'string' && domain ? ` (${domain})` : ''}`;
}

/** One line for a frame the server pushed; `me` is the user this client is connected as. */
export function describeFrame(data: string, me: string): string {
  let frame: Record<string, unknown>;
  try {
    frame = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return `(not JSON) ${data}`;
  }
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) return data;
  const who = frame.userId === me ? `you (${me})` : String(frame.userId);
  switch (frame.type) {
    case 'update-presence': {
      const are = frame.userId === me ? 'are' : 'is';
      if (frame.url) return `${who} ${are} on ${page(frame.url, frame.title, frame.domain)}`;
      const latest = frame.latestUrl ? `; last shared: ${page(frame.latestUrl, frame.latestTitle, frame.latestDomain)}` : '';
      return `${who} ${are} online, page hidden (not shared: hidden by the client or outside the sharing settings)${latest}`;
    }
    case 'presence-timeout':
      return `${who} went offline`;
    case 'error':
      return `error from the server: ${String(frame.message)}`;
    case 'subscribed':
      return `subscribed: ${String(frame.level)}`;
    case 'presence-snapshot': {
      const friends = Array.isArray(frame.presenceArr) ? frame.presenceArr.length : 0;
      const part = typeof frame.part === 'number' ? frame.part : 1;
      const parts = typeof frame.parts === 'number' ? frame.parts : 1;
      return `presence snapshot, part ${part} of ${parts}: ${friends} friend${friends === 1 ? '' : 's'}`;
    }
    default:
      // API Gateway's own answers ({"message": "Forbidden", ...}) and anything new: as they came.
      return data;
  }
}

/** What a close by the server means, for the line the client prints before it reconnects. */
export function describeClose(code: number, reason: string): string {
  const hints: Record<number, string> = {
    1000: 'the server deleted the connection (timed out by the sweep, or it asked this client to reconnect)',
    1001: 'the gateway closed it (idle for 10 minutes, the 2-hour limit, or the stack stopped)',
    1006: 'the connection dropped without a close frame',
    1009: 'a frame was larger than 32 KB',
  };
  return `connection closed by the server: ${code}${reason ? ` ${reason}` : ''}${hints[code] ? ` — ${hints[code]}` : ''}`;
}

/** The extension's 60 s, or less when the stack's presence timeout would not tolerate one lost heartbeat. */
export function defaultHeartbeat(presenceTimeoutSeconds: string | undefined): number {
  const timeout = Number(presenceTimeoutSeconds);
  return Number.isFinite(timeout) && timeout > 0 ? Math.max(1, Math.min(60, Math.floor(timeout * 0.4))) : 60;
}
