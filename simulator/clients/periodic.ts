/**
 * The frames one connection sends on timers (heartbeats, keep-alives), each first at a random phase of
 * its period. A frame whose period other frames restart (the reference client's heartbeat after an
 * update, its keep-alive after any frame) next goes a full period after the last of them; the others
 * keep a fixed beat (PageNow's one-minute alarm).
 */
import type { EventHandle } from '../clock';
import type { PeriodicFrame } from './model';

/** What of the simulated clock the timers use. */
export interface Scheduler {
  at(at: number, run: () => void): EventHandle;
  cancel(handle: EventHandle | undefined): void;
}

export class PeriodicFrames {
  private readonly timers: Array<EventHandle | undefined> = [];

  constructor(
    private readonly frames: readonly PeriodicFrame[],
    private readonly scheduler: Scheduler,
    private readonly send: (periodic: PeriodicFrame) => void,
  ) {}

  /** Each frame goes first at `openedAt + phase(its period)`, `phase` drawing from [0, period). */
  start(openedAt: number, phase: (periodSeconds: number) => number): void {
    this.frames.forEach((periodic, index) => this.schedule(index, openedAt + phase(periodic.everySeconds)));
  }

  /** `action` went out at `now`: every frame it restarts waits a full period from now. */
  sent(action: string, now: number): void {
    this.frames.forEach((periodic, index) => {
      if (periodic.restartedBy === 'any' || periodic.restartedBy?.includes(action)) this.schedule(index, now + periodic.everySeconds);
    });
  }

  stop(): void {
    for (const timer of this.timers) this.scheduler.cancel(timer);
    this.timers.length = 0;
  }

  private schedule(index: number, at: number): void {
    const periodic = this.frames[index]!;
    this.scheduler.cancel(this.timers[index]);
    this.timers[index] = this.scheduler.at(at, () => {
      this.schedule(index, at + periodic.everySeconds);
      // Sending it reports it through sent(), which moves the next one if it restarts itself (to the same time).
      this.send(periodic);
    });
  }
}
