/**
 * SCAN cursors. Redis guarantees that a full iteration returns every key present from start to end; the
 * emulation keeps that guarantee simply, by snapshotting the key list at cursor 0 and handing it out in
 * pages. Abandoned iterations are forgotten once too many are open (that cursor then ends early).
 */
const MAX_OPEN = 256;

export class ScanCursors {
  private readonly open = new Map<number, string[]>();
  private nextId = 1;

  /** Returns the next page and the cursor to continue with (0 = done). */
  page(cursor: number, keys: () => string[], count: number): { cursor: number; keys: string[] } {
    const remaining = cursor === 0 ? keys() : this.open.get(cursor);
    this.open.delete(cursor);
    if (!remaining) return { cursor: 0, keys: [] };
    const page = remaining.slice(0, count);
    const rest = remaining.slice(count);
    if (rest.length === 0) return { cursor: 0, keys: page };
    const id = this.nextId++;
    this.open.set(id, rest);
    if (this.open.size > MAX_OPEN) this.open.delete(this.open.keys().next().value!);
    return { cursor: id, keys: page };
  }

  clear(): void {
    this.open.clear();
  }
}
