/** Something in flight that can be told its time is up. */
export interface Expirable {
  readonly settled: boolean;
  expire(): void;
}

/**
 * One timer for every request in flight of a client. They all get the same
 * timeout, so they expire in the order they started: a FIFO whose head is
 * always the next to expire. Each request costs a push; the timer fires at
 * the head's deadline, drops the settled ones and expires the late ones,
 * and re-arms for the next unsettled head (none when nothing is in flight).
 * Per-request timers cost a timer object, an insert and a removal each, on
 * every post of a fan-out.
 */
export class Deadlines {
  // Two parallel arrays: no object per request.
  private readonly items: Expirable[] = [];
  private readonly deadlines: number[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly timeoutMs: number,
    private readonly clock: () => number = performance.now.bind(performance),
  ) {}

  add(item: Expirable): void {
    this.items.push(item);
    this.deadlines.push(this.clock() + this.timeoutMs);
    if (this.timer === undefined) this.arm();
  }

  private arm(): void {
    if (this.head >= this.items.length) return;
    this.timer = setTimeout(() => this.tick(), Math.max(1, Math.ceil(this.deadlines[this.head]! - this.clock())));
  }

  private tick(): void {
    this.timer = undefined;
    const now = this.clock();
    while (this.head < this.items.length) {
      const item = this.items[this.head]!;
      if (!item.settled) {
        if (this.deadlines[this.head]! > now) break;
        item.expire();
      }
      this.head++;
    }
    // Compact once the expired part dominates, so the queue never grows past one timeout's worth.
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.deadlines.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.deadlines.splice(0, this.head);
      this.head = 0;
    }
    this.arm();
  }
}
