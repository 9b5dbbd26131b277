/** The write batching of Redis connections (layers/core/redis/write-batching.ts), on a socket that records what it is asked. */
import { batchWrites, type CorkableSocket } from '../../layers/core/redis/write-batching';

class RecordingSocket implements CorkableSocket {
  corked = 0;
  /** What went out, one entry per flush: the chunks written while corked go out together. */
  readonly flushes: string[][] = [];
  private buffered: string[] = [];

  write(chunk: string): boolean {
    this.buffered.push(chunk);
    if (this.corked === 0) this.flushBuffered();
    return true;
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked > 0 && --this.corked === 0) this.flushBuffered();
  }

  private flushBuffered(): void {
    if (this.buffered.length) this.flushes.push(this.buffered);
    this.buffered = [];
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const write = (socket: CorkableSocket, chunk: string) => (socket.write as unknown as (chunk: string) => boolean)(chunk);

describe('batchWrites', () => {
  it("sends one tick's commands in writes of at most the cap, in order", async () => {
    const socket = new RecordingSocket();
    batchWrites(socket, 4);
    for (let i = 0; i < 10; i++) write(socket, `c${i}`);
    // The first two batches were full and went out at once; the last two wait for the end of the tick.
    expect(socket.flushes).toEqual([
      ['c0', 'c1', 'c2', 'c3'],
      ['c4', 'c5', 'c6', 'c7'],
    ]);
    await tick();
    expect(socket.flushes).toEqual([
      ['c0', 'c1', 'c2', 'c3'],
      ['c4', 'c5', 'c6', 'c7'],
      ['c8', 'c9'],
    ]);
    expect(socket.corked).toBe(0);
  });

  it("writes a command alone in its tick as soon as the tick's own work is done", async () => {
    const socket = new RecordingSocket();
    batchWrites(socket, 4);
    write(socket, 'only');
    expect(socket.flushes).toEqual([]);
    // The flush was queued first, so it has run by the time this next-tick callback does.
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(socket.flushes).toEqual([['only']]);
  });

  it('batches what promise callbacks of the same tick write (a reply resuming many callers)', async () => {
    const socket = new RecordingSocket();
    batchWrites(socket, 4);
    await Promise.all(Array.from({ length: 6 }, (_, i) => Promise.resolve().then(() => write(socket, `r${i}`))));
    await tick();
    expect(socket.flushes).toEqual([
      ['r0', 'r1', 'r2', 'r3'],
      ['r4', 'r5'],
    ]);
  });

  it('starts afresh in the next tick', async () => {
    const socket = new RecordingSocket();
    batchWrites(socket, 4);
    write(socket, 'a');
    await tick();
    write(socket, 'b');
    write(socket, 'c');
    await tick();
    expect(socket.flushes).toEqual([['a'], ['b', 'c']]);
    expect(socket.corked).toBe(0);
  });

  it('wraps a socket once, and leaves it alone with a cap of 1', async () => {
    const twice = new RecordingSocket();
    batchWrites(twice, 2);
    batchWrites(twice, 2);
    for (const chunk of ['a', 'b', 'c']) write(twice, chunk);
    await tick();
    expect(twice.flushes).toEqual([['a', 'b'], ['c']]);

    const plain = new RecordingSocket();
    const original = plain.write;
    batchWrites(plain, 1);
    expect(plain.write).toBe(original);
  });

  it('returns what the socket answers, so backpressure still shows', () => {
    const socket = new RecordingSocket();
    socket.write = () => false;
    batchWrites(socket, 4);
    expect(write(socket, 'x')).toBe(false);
  });
});
