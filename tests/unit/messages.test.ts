import { MAX_FRAME_BYTES, presenceSnapshotMessages } from '../../layers/core/messages';
import type { PresenceEntry, PresenceSnapshot, UserProfile } from '../../layers/core/model';

function entry(userId: string, urlLength = 40): PresenceEntry {
  const url = `https://example.com/${'p'.repeat(urlLength)}`;
  return {
    userId,
    page: { url, title: `Title of ${userId}`, domain: 'example.com' },
    latestPage: { url, title: `Title of ${userId}`, domain: 'example.com' },
    lastActiveAt: '2026-12-01T12:00:00.000Z',
    lastSeenAt: null,
    at: 1_796_000_000_000,
  };
}

function profile(userId: string): UserProfile {
  return { user_id: userId, first_name: userId, last_name: 'Example', profile_image_extension: null };
}

function snapshotOf(friends: number, urlLength?: number): PresenceSnapshot {
  const ids = Array.from({ length: friends }, (_, i) => `friend-${i}`);
  return {
    userPresence: entry('me', urlLength),
    presenceArr: ids.map((id) => entry(id, urlLength)),
    userInfoMap: Object.fromEntries(['me', ...ids].map((id) => [id, profile(id)])),
  };
}

describe('presenceSnapshotMessages', () => {
  it('fits a small snapshot in one frame, the caller in it', () => {
    const frames = presenceSnapshotMessages(snapshotOf(3), 's1');
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ type: 'presence-snapshot', snapshotId: 's1', part: 1, parts: 1 });
    expect(frames[0]!.userPresence?.userId).toBe('me');
    expect(Object.keys(frames[0]!.userInfoMap).sort()).toEqual(['friend-0', 'friend-1', 'friend-2', 'me']);
  });

  it.each([
    ['200 friends with ordinary pages', 200, 40],
    ['500 friends with long urls', 500, 1500],
  ])('splits %s into frames of at most 32 KB that merge back into the snapshot', (_name, friends, urlLength) => {
    const snapshot = snapshotOf(friends, urlLength);
    const frames = presenceSnapshotMessages(snapshot, 's2');
    expect(frames.length).toBeGreaterThan(1);
    for (const [i, frame] of frames.entries()) {
      expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThanOrEqual(MAX_FRAME_BYTES);
      expect(frame).toMatchObject({ part: i + 1, parts: frames.length, snapshotId: 's2' });
      // Each part carries the profiles of the users in it.
      for (const { userId } of frame.presenceArr) expect(frame.userInfoMap[userId]).toEqual(profile(userId));
    }
    expect(frames.filter((frame) => frame.userPresence)).toHaveLength(1);
    expect(frames.flatMap((frame) => frame.presenceArr)).toEqual(snapshot.presenceArr);
    expect(Object.assign({}, ...frames.map((frame) => frame.userInfoMap))).toEqual(snapshot.userInfoMap);
    // No part could have taken the next part's first entry (frames are as few as the limit allows).
    for (let i = 0; i + 1 < frames.length; i++) {
      const next = frames[i + 1]!.presenceArr[0]!;
      const grown = { ...frames[i]!, presenceArr: [...frames[i]!.presenceArr, next], userInfoMap: { ...frames[i]!.userInfoMap, [next.userId]: profile(next.userId) } };
      expect(Buffer.byteLength(JSON.stringify(grown))).toBeGreaterThan(MAX_FRAME_BYTES - 16);
    }
  });
});
