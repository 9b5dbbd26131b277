import type { Page, PresenceEntry, PresenceSnapshot, SubscriptionLevel, UserProfile } from './model';

/** Frames pushed to clients, exactly as CONTRACT.md describes them. */
export interface UpdatePresenceMessage {
  type: 'update-presence';
  userId: string;
  url: string;
  title: string;
  domain: string;
  latestUrl: string;
  latestTitle: string;
  latestDomain: string;
  /** When this state began (epoch ms): clients apply a push only if it is no older than what they show. */
  at: number;
}

export interface PresenceTimeoutMessage {
  type: 'presence-timeout';
  userId: string;
  /** When the user went offline, as the server knows it (epoch ms). */
  at: number;
}

export interface ErrorMessage {
  type: 'error';
  message: string;
}

/** The answer to a subscribe. */
export interface SubscribedMessage {
  type: 'subscribed';
  level: SubscriptionLevel;
}

/** One frame of a presence snapshot: merged, the parts are what GET /presence answers. */
export interface PresenceSnapshotMessage {
  type: 'presence-snapshot';
  snapshotId: string;
  /** 1-based. */
  part: number;
  parts: number;
  /** In part 1 only. */
  userPresence?: PresenceEntry;
  presenceArr: PresenceEntry[];
  /** The profiles of the users in this part (the caller's in part 1). */
  userInfoMap: Record<string, UserProfile>;
}

export type ServerMessage = UpdatePresenceMessage | PresenceTimeoutMessage | ErrorMessage | SubscribedMessage | PresenceSnapshotMessage;

export function updatePresenceMessage(userId: string, page: Page, latest: Page, at: number): UpdatePresenceMessage {
  return {
    type: 'update-presence',
    userId,
    url: page.url,
    title: page.title,
    domain: page.domain,
    latestUrl: latest.url,
    latestTitle: latest.title,
    latestDomain: latest.domain,
    at,
  };
}

export function presenceTimeoutMessage(userId: string, at: number): PresenceTimeoutMessage {
  return { type: 'presence-timeout', userId, at };
}

export function errorMessage(message: string): ErrorMessage {
  return { type: 'error', message };
}

export function subscribedMessage(level: SubscriptionLevel): SubscribedMessage {
  return { type: 'subscribed', level };
}

/** API Gateway's frame size: a larger frame closes the socket (1009), and messages are billed per 32 KB step. */
export const MAX_FRAME_BYTES = 32 * 1024;

const byteLength = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/**
 * A snapshot as frames of at most MAX_FRAME_BYTES each: part 1 carries the caller's entry and profile,
 * then friends' entries fill each part in order, each with its profile. Every part is as full as the
 * limit allows, so a snapshot costs as few billed messages as it can.
 */
export function presenceSnapshotMessages(snapshot: PresenceSnapshot, snapshotId: string): PresenceSnapshotMessage[] {
  const { userPresence, presenceArr, userInfoMap } = snapshot;
  const self = userInfoMap[userPresence.userId];
  const first = (): PresenceSnapshotMessage => ({
    type: 'presence-snapshot',
    snapshotId,
    part: 1,
    parts: 1,
    userPresence,
    presenceArr: [],
    userInfoMap: self ? { [userPresence.userId]: self } : {},
  });
  const next = (part: number): PresenceSnapshotMessage => ({ type: 'presence-snapshot', snapshotId, part, parts: 1, presenceArr: [], userInfoMap: {} });
  // Room for the part numbers to grow (parts is rewritten at the end: at most a few digits more).
  const limit = MAX_FRAME_BYTES - 16;
  const frames = [first()];
  let current = frames[0]!;
  let size = byteLength(current);
  for (const entry of presenceArr) {
    const profile = userInfoMap[entry.userId];
    // An entry costs its JSON, a comma, and its profile keyed by id with a comma.
    const cost = byteLength(entry) + 1 + (profile ? byteLength(profile) + byteLength(entry.userId) + 2 : 0);
    if (size + cost > limit && current.presenceArr.length + (current.part === 1 ? 1 : 0) > 0) {
      current = next(frames.length + 1);
      frames.push(current);
      size = byteLength(current);
    }
    current.presenceArr.push(entry);
    if (profile) current.userInfoMap[entry.userId] = profile;
    size += cost;
  }
  for (const frame of frames) frame.parts = frames.length;
  return frames;
}
