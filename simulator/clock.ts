/**
 * Simulated time and the event queue. Simulated second s is due at wall time
 * `origin + s / speed * 1000`; one timer waits for the earliest event, and every event that is due
 * runs in time order. How late each ran (wall ms after it was due) is recorded: the simulator must
 * keep up, and reports refuse figures taken while it did not.
 */
import { performance } from 'node:perf_hooks';

export interface EventHandle {
  readonly at: number;
  cancelled: boolean;
}

interface QueuedEvent extends EventHandle {
  sequence: number;
  run: () => void;
}

/** A binary min-heap by (at, sequence): ties run in the order they were scheduled. */
class EventHeap {
  private readonly items: QueuedEvent[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): QueuedEvent | undefined {
    return this.items[0];
  }

  push(event: QueuedEvent): void {
    const items = this.items;
    items.push(event);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(items[index]!, items[parent]!)) break;
      [items[index], items[parent]] = [items[parent]!, items[index]!];
      index = parent;
    }
  }

  pop(): QueuedEvent | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < items.length && before(items[left]!, items[smallest]!)) smallest = left;
        if (right < items.length && before(items[right]!, items[smallest]!)) smallest = right;
        if (smallest === index) break;
        [items[index], items[smallest]] = [items[smallest]!, items[index]!];
        index = smallest;
      }
    }
    return top;
  }
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.sequence < b.sequence);
}

/** Lateness in wall ms: how many, the median, the 99th percentile and the maximum. */
export interface LagSummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Lateness samples: exact maximum, and percentiles from a bounded reservoir of the latest samples. */
export class LagRecorder {
  private samples: number[] = [];
  private maximum = 0;
  private count = 0;

  constructor(private readonly capacity = 200_000) {}

  record(ms: number): void {
    this.count += 1;
    if (ms > this.maximum) this.maximum = ms;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else this.samples[this.count % this.capacity] = ms;
  }

  reset(): void {
    this.samples = [];
    this.maximum = 0;
    this.count = 0;
  }

  summary(): LagSummary {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    return { count: this.count, p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), maxMs: round(this.maximum) };
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export class SimulatedClock {
  private readonly queue = new EventHeap();
  private sequence = 0;
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private origin = 0;
  private running = false;
  /** Lateness of every event run: wall ms after its due time. */
  readonly lag = new LagRecorder();

  constructor(readonly speed: number) {}

  /** Starts simulated time 0 now. */
  start(): void {
    this.origin = performance.now();
    this.running = true;
    this.arm();
  }

  /** Simulated seconds since start. */
  now(): number {
    return this.origin === 0 ? 0 : ((performance.now() - this.origin) * this.speed) / 1000;
  }

  /** Wall ms at which simulated second `at` is due. */
  wallOf(at: number): number {
    return this.origin + (at * 1000) / this.speed;
  }

  at(at: number, run: () => void): EventHandle {
    const event: QueuedEvent = { at, run, cancelled: false, sequence: this.sequence++ };
    this.queue.push(event);
    if (this.running && at < this.timerAt) this.arm();
    return event;
  }

  after(seconds: number, run: () => void): EventHandle {
    return this.at(this.now() + seconds, run);
  }

  cancel(handle: EventHandle | undefined): void {
    if (handle) handle.cancelled = true;
  }

  /** Stops running events (the queue is dropped). */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.size > 0) this.queue.pop();
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.size > 0 && this.queue.peek()!.cancelled) this.queue.pop();
    const next = this.queue.peek();
    if (!this.running || !next) {
      this.timerAt = Infinity;
      return;
    }
    this.timerAt = next.at;
    const delay = Math.max(0, this.wallOf(next.at) - performance.now());
    this.timer = setTimeout(() => this.runDue(), delay);
  }

  private runDue(): void {
    this.timerAt = Infinity;
    for (;;) {
      const next = this.queue.peek();
      const now = performance.now();
      if (!this.running || !next || this.wallOf(next.at) > now) break;
      this.queue.pop();
      if (next.cancelled) continue;
      this.lag.record(now - this.wallOf(next.at));
      next.run();
    }
    this.arm();
  }
}
