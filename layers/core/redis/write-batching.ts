/** The part of a socket that batching uses (net.Socket and tls.TLSSocket have it). */
export interface CorkableSocket {
  write(...args: never[]): boolean;
  cork(): void;
  uncork(): void;
}

const BATCHED = Symbol('redis write batching');

/**
 * Makes the commands one tick writes to a Redis connection go out together, at most `maxPerWrite`
 * of them in one write: ioredis writes each command with its own `write` call, and each is one
 * syscall, which is half a heartbeat's client CPU (docs/PERFORMANCE.md). The first command of a
 * batch corks the socket; the batch is sent when it is full or at the end of the tick, whichever is
 * first, so no command waits beyond the tick that issued it. Why a cap rather than the whole tick,
 * as node-redis 4 and ioredis's auto-pipelining do: with all of a tick's commands in one write,
 * Redis answers them in one write too, every caller resumes in the same tick and writes its next
 * command in one batch again, and the client and Redis end up taking turns instead of working at
 * once (measured: 40,000 heartbeats/s against 52,000 unbatched); sending every few commands as they
 * come keeps Redis busy while the client is still busy with the rest of the answers. One command
 * alone in its tick (a Lambda container's usual case) is written at the end of that tick.
 */
export function batchWrites(socket: CorkableSocket, maxPerWrite: number): void {
  const marked = socket as CorkableSocket & { [BATCHED]?: true };
  if (maxPerWrite <= 1 || marked[BATCHED]) return;
  marked[BATCHED] = true;
  const write = socket.write;
  let pending = 0;
  let flushScheduled = false;
  const send = (): void => {
    pending = 0;
    socket.uncork();
  };
  const flushAtTickEnd = (): void => {
    flushScheduled = false;
    if (pending > 0) send();
  };
  socket.write = function (this: CorkableSocket, ...args: never[]): boolean {
    if (pending === 0) socket.cork();
    const accepted = write.apply(this, args);
    if (++pending >= maxPerWrite) send();
    else if (!flushScheduled) {
      flushScheduled = true;
      process.nextTick(flushAtTickEnd);
    }
    return accepted;
  };
}
