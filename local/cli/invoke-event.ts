/**
 * Turns a sample event from events/ into one the running local stack gives a real answer to
 * (`npm run invoke`):
 * - every `<token for alice>` placeholder becomes a token for that user, minted for the stack;
 * - request times are now, and so are a sweep task's startedAt and a connection's connectedAt (unless the
 *   event is sent as a live connection, whose own is kept): a sample's old one is past API Gateway's cap;
 * - a WebSocket message from a user who has a live connection (e.g. `npm run ws -- alice`) is sent as
 *   that connection, so the function sees a registered connection and its pushes reach real sockets.
 */
import { requestTime } from '../websocket/events';
import type { ConnectionSummary } from '../websocket/gateway';

export const TOKEN_PLACEHOLDER = /^<token for ([^<>\s]+)>$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface PreparedEvent {
  event: Json;
  /** What was changed, for the lines printed before the invocation. */
  notes: string[];
}

export interface PrepareOptions {
  mintToken: (userId: string) => Promise<string>;
  /** The stack's live connections. */
  connections: ConnectionSummary[];
  /** `--connection <id>`: send a WebSocket event as this connection. */
  connectionId?: string;
  now?: number;
}

async function replaceTokens(value: Json, mint: (userId: string) => Promise<string>, minted: Set<string>): Promise<Json> {
  if (typeof value === 'string') {
    const match = TOKEN_PLACEHOLDER.exec(value);
    if (!match) return value;
    minted.add(match[1]!);
    return mint(match[1]!);
  }
  if (Array.isArray(value)) return Promise.all(value.map((item) => replaceTokens(item, mint, minted)));
  if (value && typeof value === 'object') {
    const entries = await Promise.all(
      Object.entries(value).map(async ([key, item]) => [key, await replaceTokens(item, mint, minted)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}

interface RequestContext {
  eventType?: string;
  connectionId?: string;
  connectedAt?: number;
  requestTimeEpoch?: number;
  requestTime?: string;
  authorizer?: { principalId?: unknown; userId?: unknown; claims?: { sub?: unknown } };
}

export async function prepareEvent(raw: Json, options: PrepareOptions): Promise<PreparedEvent> {
  const now = options.now ?? Date.now();
  const notes: string[] = [];
  const minted = new Set<string>();
  const event = await replaceTokens(raw, options.mintToken, minted);
  if (minted.size > 0) notes.push(`token placeholders replaced with tokens for ${[...minted].join(', ')} minted for this stack`);
  if (!event || typeof event !== 'object' || Array.isArray(event)) return { event, notes };

  const record = event as Record<string, Json>;
  if (typeof record.startedAt === 'string') record.startedAt = new Date(now).toISOString();
  const context = record.requestContext as RequestContext | undefined;
  if (!context || typeof context !== 'object') return { event, notes };
  if (typeof context.requestTimeEpoch === 'number') {
    context.requestTimeEpoch = now;
    context.requestTime = requestTime(now);
  }
  if (typeof context.connectedAt === 'number') context.connectedAt = now;
  if (context.eventType !== 'MESSAGE' || typeof context.connectionId !== 'string') return { event, notes };

  const user = context.authorizer?.userId ?? context.authorizer?.principalId;
  const live = options.connectionId
    ? options.connections.find((connection) => connection.connectionId === options.connectionId)
    : options.connections
        .filter((connection) => connection.userId === user)
        .sort((a, b) => Date.parse(b.lastActiveAt) - Date.parse(a.lastActiveAt))[0];
  if (options.connectionId && !live) {
    context.connectionId = options.connectionId;
    notes.push(`sent as connection ${options.connectionId}, which has no socket on this stack`);
  } else if (live) {
    context.connectionId = live.connectionId;
    context.connectedAt = Date.parse(live.connectedAt);
    if (live.userId && context.authorizer) Object.assign(context.authorizer, { principalId: live.userId, userId: live.userId });
    notes.push(`sent as ${live.userId ? `${live.userId}'s` : 'the'} live connection ${live.connectionId}`);
  } else {
    notes.push(
      `${String(user)} has no live socket on this stack, so this is sent as the event's connection ${context.connectionId}, ` +
        `registered only after npm run invoke -- ConnectFunction (npm run ws -- ${String(user)} gives a real socket)`,
    );
  }
  return { event, notes };
}
