import { MAX_HEARTBEAT_SECONDS, type PresenceConfig } from './config';
import { BadRequestError, InvalidInputError } from './errors';
import { SUBSCRIPTION_LEVELS, type SubscriptionLevel } from './model';
import type { SweepTask } from './timeout-sweeper';

export interface PageUpdate {
  url: string;
  title: string;
}

/** Parses a WebSocket frame body: must be a JSON object. */
export function parseFrame(body: string | null | undefined): Record<string, unknown> {
  if (!body) throw new BadRequestError('Empty message; send a JSON object with an "action"');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequestError('Message is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadRequestError('Message must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Validates an update-presence frame. The legacy `jwt` field and any other
 * extra field are ignored: identity comes from the connection. Over-long
 * titles are cut; over-long urls are shortened (shortenUrl), never refused:
 * a refused update would leave friends seeing the previous page.
 */
export function parsePageUpdate(
  body: string | null | undefined,
  limits: Pick<PresenceConfig, 'maxUrlLength' | 'maxTitleLength'>,
): PageUpdate {
  const frame = parseFrame(body);
  const { url, title } = frame;
  if (typeof url !== 'string') throw new BadRequestError('"url" must be a string ("" when the page is hidden)');
  if (title !== undefined && typeof title !== 'string') throw new BadRequestError('"title" must be a string');
  const cleanTitle = stripControlCharacters(title ?? '');
  return {
    url: shortenUrl(url.trim(), limits.maxUrlLength),
    title: cleanTitle.length > limits.maxTitleLength ? cleanTitle.slice(0, limits.maxTitleLength) : cleanTitle,
  };
}

/**
 * A url within `maxLength` characters that still leads to the same page or near it: the fragment goes
 * first, then the query, then the end of the path (cut after its last whole segment when one fits).
 * Text that is not a web url is only cut: the sharing rule hides it anyway.
 */
export function shortenUrl(url: string, maxLength: number): string {
  if (url.length <= maxLength) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.slice(0, maxLength);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return url.slice(0, maxLength);
  parsed.hash = '';
  if (parsed.href.length <= maxLength) return parsed.href;
  parsed.search = '';
  const withoutQuery = parsed.href;
  if (withoutQuery.length <= maxLength) return withoutQuery;
  const cut = withoutQuery.slice(0, maxLength);
  const lastSlash = cut.lastIndexOf('/');
  // Keep whole path segments when the cut leaves more than the origin.
  return lastSlash > parsed.origin.length ? cut.slice(0, lastSlash + 1) : cut;
}

function stripControlCharacters(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/** A subscribe frame: `{"action":"subscribe","level":"pages"|"status"|"none"}`. */
export function parseSubscribe(body: string | null | undefined): SubscriptionLevel {
  const { level } = parseFrame(body);
  if (typeof level !== 'string' || !(SUBSCRIPTION_LEVELS as readonly string[]).includes(level)) {
    throw new BadRequestError(`"level" must be one of: ${SUBSCRIPTION_LEVELS.join(', ')}`);
  }
  return level as SubscriptionLevel;
}

/**
 * The heartbeat interval a client asks for when it connects (`heartbeat=<seconds>` in the connect URL's
 * query string): a whole number from 1 to MAX_HEARTBEAT_SECONDS, or undefined when it asked for none.
 */
export function parseHeartbeatParameter(query: Record<string, string | undefined> | null | undefined): number | undefined {
  const raw = query?.heartbeat;
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || seconds < 1 || seconds > MAX_HEARTBEAT_SECONDS) {
    throw new BadRequestError(`heartbeat must be a whole number of seconds from 1 to ${MAX_HEARTBEAT_SECONDS}`);
  }
  return seconds;
}

/** What a user id in a path may look like (Cognito subs, usernames, e-mail addresses), at most 128 characters. */
const USER_ID = /^[\w.@:+-]{1,128}$/;

/** The `{userId}` path parameter of GET /presence/{userId}, URL-decoded; missing, undecodable or malformed is a 400. */
export function parseUserIdParameter(raw: string | null | undefined): string {
  const userId = raw ? safeDecode(raw) : '';
  if (!USER_ID.test(userId)) throw new BadRequestError('userId is missing or malformed');
  return userId;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}

/** The state machine's largest batch (SweepBatchSize's MaxValue). */
const MAX_SWEEP_BATCH_SIZE = 5000;

/**
 * Validates one task of the timeout state machine: `shard` within the configured shards, an optional
 * `batchSize`, and `startedAt` (ISO) of the execution, now when absent or unreadable.
 */
export function parseSweepTask(input: unknown, shardCount: number, now = Date.now()): SweepTask {
  const task = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const shard = Number(task.shard);
  if (task.shard === undefined || task.shard === null || !Number.isInteger(shard) || shard < 0 || shard >= shardCount) {
    throw new InvalidInputError(`shard must be an integer from 0 to ${shardCount - 1}`);
  }
  const rawBatch = task.batchSize;
  const batchSize = rawBatch === undefined || rawBatch === null ? undefined : Number(rawBatch);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_SWEEP_BATCH_SIZE)) {
    throw new InvalidInputError(`batchSize must be an integer from 1 to ${MAX_SWEEP_BATCH_SIZE}`);
  }
  const startedAt = typeof task.startedAt === 'string' ? Date.parse(task.startedAt) : Number.NaN;
  return { shard, batchSize, startedAt: Number.isNaN(startedAt) ? now : startedAt };
}
