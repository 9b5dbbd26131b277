/**
 * What a client makes of the presence frames it receives: a snapshot merged from its parts, and a view
 * of each user kept by last-writer-wins on `at` (docs/CONTRACT.md), to compare with GET /presence.
 */
import type { Page, PresenceEntry, PresenceSnapshot } from '../../../layers/core/model';
import type { Frame } from './ws-client';

/** The snapshot a local stack's GET /presence answers for this token. */
export async function getPresence(restPort: number, token: string): Promise<PresenceSnapshot> {
  const response = await fetch(`http://127.0.0.1:${restPort}/presence`, { headers: { Authorization: token } });
  if (response.status !== 200) throw new Error(`GET /presence answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as PresenceSnapshot;
}

/**
 * Merges the parts of one presence snapshot, checking what the contract says of them on the way: one
 * snapshotId, parts numbered 1..parts in order, the caller's entry in part 1 only, and each part's
 * profiles exactly those of the users in it (the caller's in part 1).
 */
export function mergeSnapshot(parts: readonly Frame[]): PresenceSnapshot {
  if (parts.length === 0) throw new Error('no snapshot parts');
  const [first] = parts as [Frame];
  const merged: PresenceSnapshot = { userPresence: first.userPresence as PresenceEntry, presenceArr: [], userInfoMap: {} };
  parts.forEach((part, index) => {
    const { type, snapshotId, part: number, parts: count, userPresence, presenceArr, userInfoMap } = part as Frame & {
      presenceArr: PresenceEntry[];
      userInfoMap: PresenceSnapshot['userInfoMap'];
    };
    const where = `part ${index + 1} of ${parts.length}`;
    if (type !== 'presence-snapshot') throw new Error(`${where} is a ${String(type)} frame`);
    if (snapshotId !== first.snapshotId || number !== index + 1 || count !== parts.length)
      throw new Error(`${where} says snapshot ${String(snapshotId)} part ${String(number)} of ${String(count)}`);
    if ((index === 0) !== (userPresence !== undefined)) throw new Error(`${where}: userPresence belongs to part 1 only`);
    const expectedProfiles = presenceArr.map((entry) => entry.userId);
    if (index === 0) expectedProfiles.unshift(merged.userPresence.userId);
    const profiles = Object.keys(userInfoMap);
    if (profiles.sort().join() !== [...new Set(expectedProfiles)].sort().join())
      throw new Error(`${where} carries the profiles of ${profiles.join()} for the users ${expectedProfiles.join()}`);
    merged.presenceArr.push(...presenceArr);
    Object.assign(merged.userInfoMap, userInfoMap);
  });
  return merged;
}

/** What a client shows of one user: the page (null offline) and the latest shared page (null when none). */
export interface Shown {
  page: Page | null;
  latestPage: Page | null;
}

/** What an entry of GET /presence (or of a snapshot) shows. */
export function shownBy(entry: Pick<PresenceEntry, 'page' | 'latestPage'>): Shown {
  return { page: entry.page, latestPage: entry.latestPage };
}

/** What a push shows: an update-presence's page and latest shared page, or a presence-timeout's offline. */
export function shownByPush(frame: Frame): Shown {
  if (frame.type === 'presence-timeout') return { page: null, latestPage: null };
  const page = (url: unknown, title: unknown, domain: unknown): Page => ({ url: String(url), title: String(title), domain: String(domain) });
  return {
    page: page(frame.url, frame.title, frame.domain),
    latestPage: frame.latestUrl === '' ? null : page(frame.latestUrl, frame.latestTitle, frame.latestDomain),
  };
}

/** A client's view of its friends, last writer wins per user by `at` (a tie is applied). */
export class PresenceView {
  private readonly users = new Map<string, Shown & { at: number }>();
  /** How many pushes and entries were discarded as older than what the view held. */
  discarded = 0;

  applySnapshot(snapshot: PresenceSnapshot): void {
    for (const entry of [snapshot.userPresence, ...snapshot.presenceArr]) this.apply(entry.userId, entry.at, shownBy(entry));
  }

  /** Applies update-presence and presence-timeout pushes; other frames are not about presence. */
  applyPush(frame: Frame): void {
    if (frame.type !== 'update-presence' && frame.type !== 'presence-timeout') return;
    if (typeof frame.at !== 'number') throw new Error(`a ${frame.type} push without a numeric at: ${JSON.stringify(frame)}`);
    this.apply(String(frame.userId), frame.at, shownByPush(frame));
  }

  shown(userId: string): (Shown & { at: number }) | undefined {
    return this.users.get(userId);
  }

  private apply(userId: string, at: number, shown: Shown): void {
    const held = this.users.get(userId);
    if (held && at < held.at) {
      this.discarded += 1;
      return;
    }
    this.users.set(userId, { ...shown, at });
  }
}
