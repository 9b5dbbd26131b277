/** The timers of a simulated connection: fixed beats, beats other frames restart, stopping. */
import type { EventHandle } from '../../simulator/clock';
import { legacyClient } from '../../simulator/clients/legacy';
import type { PeriodicFrame } from '../../simulator/clients/model';
import { PeriodicFrames, type Scheduler } from '../../simulator/clients/periodic';
import { serviceWorkerClient, subscribingClient } from '../../simulator/clients/subscribing';

/** A queue of timed callbacks run in time order up to a given time: pure logic, no wall clock. */
class ManualScheduler implements Scheduler {
  now = 0;
  private queue: Array<EventHandle & { at: number; run: () => void }> = [];

  at(at: number, run: () => void): EventHandle {
    const event = { at, run, cancelled: false };
    this.queue.push(event);
    return event;
  }

  cancel(handle: EventHandle | undefined): void {
    if (handle) handle.cancelled = true;
  }

  runUntil(end: number): void {
    for (;;) {
      this.queue = this.queue.filter((event) => !event.cancelled).sort((a, b) => a.at - b.at);
      const next = this.queue[0];
      if (!next || next.at > end) break;
      this.queue.shift();
      this.now = next.at;
      next.run();
    }
    this.now = end;
  }
}

function connection(frames: readonly PeriodicFrame[]) {
  const scheduler = new ManualScheduler();
  const sent: Array<[number, string]> = [];
  const periodic = new PeriodicFrames(frames, scheduler, (frame) => {
    sent.push([scheduler.now, frame.action]);
    periodic.sent(frame.action, scheduler.now);
  });
  /** The client sends `action` itself (an update, a subscribe) at `at`. */
  const sendAt = (at: number, action: string) => {
    scheduler.runUntil(at);
    sent.push([at, action]);
    periodic.sent(action, at);
  };
  return { scheduler, sent, periodic, sendAt };
}

const screen = { onScreenShare: 0.1, episodesPer8Hours: 10 };

describe('PeriodicFrames', () => {
  it("keeps PageNow's fixed beat whatever else is sent", () => {
    const { scheduler, sent, periodic, sendAt } = connection(legacyClient(60).periodicFrames);
    periodic.start(0, () => 10);
    sendAt(30, 'update-presence');
    sendAt(100, 'update-presence');
    scheduler.runUntil(200);
    expect(sent.filter(([, action]) => action === 'heartbeat').map(([at]) => at)).toEqual([10, 70, 130, 190]);
  });

  it("moves the reference client's heartbeat a full period after each update or subscribe", () => {
    const { scheduler, sent, periodic, sendAt } = connection(subscribingClient({ heartbeatSeconds: 300, heartbeatWallSeconds: 10, screen }).periodicFrames);
    periodic.start(0, () => 100);
    sendAt(0, 'subscribe');
    sendAt(250, 'update-presence');
    sendAt(500, 'update-presence');
    scheduler.runUntil(1500);
    expect(sent.filter(([, action]) => action === 'heartbeat').map(([at]) => at)).toEqual([800, 1100, 1400]);
  });

  it('sends the keep-alive only after its period with nothing else sent, and heartbeats still go', () => {
    const { scheduler, sent, periodic, sendAt } = connection(
      serviceWorkerClient({ heartbeatSeconds: 300, heartbeatWallSeconds: 10, screen, keepaliveSeconds: 25 }).periodicFrames,
    );
    periodic.start(0, () => 5);
    sendAt(0, 'subscribe');
    sendAt(20, 'update-presence');
    scheduler.runUntil(100);
    expect(sent.map(([at, action]) => `${at} ${action}`)).toEqual(['0 subscribe', '20 update-presence', '45 keepalive', '70 keepalive', '95 keepalive']);
    scheduler.runUntil(330);
    expect(sent.filter(([, action]) => action === 'heartbeat').map(([at]) => at)).toEqual([320]);
  });

  it('sends nothing after stop()', () => {
    const { scheduler, sent, periodic } = connection(legacyClient(60).periodicFrames);
    periodic.start(0, () => 10);
    scheduler.runUntil(15);
    periodic.stop();
    scheduler.runUntil(1000);
    expect(sent).toEqual([[10, 'heartbeat']]);
  });
});
