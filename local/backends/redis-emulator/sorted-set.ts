/**
 * A Redis sorted set: members ordered by score, then by member (byte order, which for the ASCII ids this
 * project stores equals JavaScript string order). A map for O(1) score lookups plus a sorted array kept in
 * order by binary search; the sets here hold a handful to a few thousand members, where this beats a skip list.
 */
export interface ZEntry {
  member: string;
  score: number;
}

function before(a: ZEntry, score: number, member: string): boolean {
  return a.score < score || (a.score === score && a.member < member);
}

export class SortedSet {
  private readonly scores = new Map<string, number>();
  private readonly ordered: ZEntry[] = [];

  get size(): number {
    return this.ordered.length;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /** Index of the first entry not ordered before (score, member). */
  private position(score: number, member: string): number {
    let low = 0;
    let high = this.ordered.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (before(this.ordered[mid]!, score, member)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Adds or moves a member; returns true when it was new. */
  set(member: string, score: number): boolean {
    const existed = this.remove(member);
    this.ordered.splice(this.position(score, member), 0, { member, score });
    this.scores.set(member, score);
    return !existed;
  }

  remove(member: string): boolean {
    const score = this.scores.get(member);
    if (score === undefined) return false;
    this.ordered.splice(this.position(score, member), 1);
    this.scores.delete(member);
    return true;
  }

  /** Entries from index start to stop inclusive (already clamped by the caller). */
  slice(start: number, stop: number): ZEntry[] {
    return this.ordered.slice(start, stop + 1);
  }

  /** Entries whose score lies in the range, in order. */
  byScore(min: ScoreBound, max: ScoreBound): ZEntry[] {
    const out: ZEntry[] = [];
    let i = this.position(min.value, '');
    while (i < this.ordered.length && this.ordered[i]!.score === min.value && min.exclusive) i++;
    for (; i < this.ordered.length; i++) {
      const entry = this.ordered[i]!;
      if (entry.score > max.value || (max.exclusive && entry.score === max.value)) break;
      out.push(entry);
    }
    return out;
  }
}

export interface ScoreBound {
  value: number;
  exclusive: boolean;
}
