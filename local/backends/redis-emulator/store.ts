/**
 * The keyspace: typed values (the project stores sorted sets, hashes and counters) and expiry times in
 * epoch milliseconds. Expiry is lazy (a read of an expired key deletes it first, so no command ever sees
 * one) plus a periodic sweep (so keys nobody reads again do not pile up), as in Redis.
 */
import { SortedSet } from './sorted-set';

export type Value = { type: 'zset'; value: SortedSet } | { type: 'hash'; value: Map<string, string> } | { type: 'string'; value: string };
export type ValueType = Value['type'];

/** Thrown by commands; the executor turns it into an error reply. */
export class CommandError extends Error {}

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

export class Store {
  private readonly values = new Map<string, Value>();
  private readonly expires = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The live value of a key, deleting it first when it has expired. */
  get(key: string): Value | undefined {
    const at = this.expires.get(key);
    if (at !== undefined && at <= this.now()) this.delete(key);
    return this.values.get(key);
  }

  private typed<T extends ValueType>(key: string, type: T): Extract<Value, { type: T }> | undefined {
    const value = this.get(key);
    if (value && value.type !== type) throw new CommandError(WRONGTYPE);
    return value as Extract<Value, { type: T }> | undefined;
  }

  zset(key: string): SortedSet | undefined {
    return this.typed(key, 'zset')?.value;
  }

  hash(key: string): Map<string, string> | undefined {
    return this.typed(key, 'hash')?.value;
  }

  string(key: string): string | undefined {
    return this.typed(key, 'string')?.value;
  }

  /** Replaces a string's value and keeps its expiry (as INCR does). */
  setString(key: string, value: string): void {
    this.typed(key, 'string');
    this.values.set(key, { type: 'string', value });
  }

  /** The sorted set at key, created empty when missing (a write will follow). */
  zsetForWrite(key: string): SortedSet {
    const existing = this.zset(key);
    if (existing) return existing;
    const created = new SortedSet();
    this.values.set(key, { type: 'zset', value: created });
    return created;
  }

  hashForWrite(key: string): Map<string, string> {
    const existing = this.hash(key);
    if (existing) return existing;
    const created = new Map<string, string>();
    this.values.set(key, { type: 'hash', value: created });
    return created;
  }

  /** Redis never keeps an empty collection: the key goes when its last element does. */
  dropIfEmpty(key: string): void {
    const value = this.values.get(key);
    if (value && value.type !== 'string' && value.value.size === 0) this.delete(key);
  }

  delete(key: string): boolean {
    this.expires.delete(key);
    return this.values.delete(key);
  }

  exists(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Sets an absolute expiry; a time already past deletes the key, as Redis does. Returns false when missing. */
  expireAt(key: string, atMs: number): boolean {
    if (!this.exists(key)) return false;
    if (atMs <= this.now()) this.delete(key);
    else this.expires.set(key, atMs);
    return true;
  }

  /** Remaining ms; -2 when missing, -1 when the key has no expiry. */
  pttl(key: string): number {
    if (!this.exists(key)) return -2;
    const at = this.expires.get(key);
    return at === undefined ? -1 : Math.max(0, at - this.now());
  }

  /** Every live key (expired ones are dropped on the way). */
  keys(): string[] {
    return [...this.values.keys()].filter((key) => this.exists(key));
  }

  get size(): number {
    return this.keys().length;
  }

  get expiringCount(): number {
    return this.expires.size;
  }

  flush(): void {
    this.values.clear();
    this.expires.clear();
  }

  /** The periodic half of expiry: drops every key whose time has come. */
  sweepExpired(): number {
    const now = this.now();
    let dropped = 0;
    for (const [key, at] of this.expires) {
      if (at <= now) {
        this.delete(key);
        dropped++;
      }
    }
    return dropped;
  }
}
