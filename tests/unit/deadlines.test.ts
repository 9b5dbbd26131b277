import { Deadlines, type Expirable } from '../../layers/core/push/deadlines';

const item = (): Expirable & { expired: number; settled: boolean } => ({
  settled: false,
  expired: 0,
  expire() {
    this.expired++;
    this.settled = true;
  },
});

describe('Deadlines (one timer for every request in flight)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('expires only the unsettled, each at its own deadline, in start order', () => {
    let now = 0;
    const deadlines = new Deadlines(100, () => now);
    const [a, b, c] = [item(), item(), item()];
    deadlines.add(a);
    now = 30;
    deadlines.add(b);
    now = 60;
    deadlines.add(c);
    a.settled = true;
    now = 100;
    jest.advanceTimersByTime(100);
    expect([a.expired, b.expired, c.expired]).toEqual([0, 0, 0]);
    now = 130;
    jest.advanceTimersByTime(30);
    expect([a.expired, b.expired, c.expired]).toEqual([0, 1, 0]);
    now = 160;
    jest.advanceTimersByTime(30);
    expect([a.expired, b.expired, c.expired]).toEqual([0, 1, 1]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps one timer however many requests are in flight, none once they are all settled', () => {
    let now = 0;
    const deadlines = new Deadlines(50, () => now);
    const items = Array.from({ length: 5000 }, item);
    for (const i of items) deadlines.add(i);
    expect(jest.getTimerCount()).toBe(1);
    for (const i of items) i.settled = true;
    now = 50;
    jest.advanceTimersByTime(50);
    expect(items.every((i) => i.expired === 0)).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });
});
