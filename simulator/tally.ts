/**
 * What the simulated clients did and saw, counted from the clients' side: frames sent by action,
 * connects and reconnects, REST snapshots, frames received by type, closes by code, flaps. Reset when
 * the measurement starts, like the meter, so the two can be compared.
 */

export const FLAP_WINDOW_SECONDS = 120;

export class Tally {
  sessions = 0;
  sessionsEnded = 0;
  sessionsVanished = 0;
  /** Data frames sent, by action (each is one message in: all are far below 32 KB). */
  framesSent: Record<string, number> = {};
  pageChanges = 0;
  /** Page changes that found no open connection of the user (all devices between a close and a reconnect). */
  pageChangesUnsent = 0;
  connects = 0;
  /** Connects after a close the client did not ask for, inside a session. */
  reconnects = 0;
  /** Of those, after the gateway's connection cap. */
  capReconnects = 0;
  /** Handshakes answered with an HTTP status, by status ("error" when no answer came). */
  connectsRefused: Record<string, number> = {};
  restSnapshots = 0;
  restByStatus: Record<string, number> = {};
  /** Frames received, by their `type` (a frame without one counted as "reply": the gateway's own answers). */
  pushesReceived: Record<string, number> = {};
  /** Frames received by clients that had vanished (they still read, to keep the count whole). */
  receivedWhileVanished = 0;
  /** `error` frames by message. */
  errorFrames: Record<string, number> = {};
  /** Closes a live client did not ask for, by code (1001 at the connection cap). */
  serverCloses: Record<string, number> = {};
  /** How the gateway or the sweep ended the sockets of vanished clients, by code (1000: the sweep; 1001: idle). */
  vanishedCloses: Record<string, number> = {};
  flaps = 0;
  /** Connections a client renewed before the cap (make before break). */
  renewals = 0;
  /** Times a friends list came on screen (a subscribing client raised its level). */
  screenOpens = 0;
  /** update-presence frames received for friends (not the user's own echo). */
  friendUpdates = 0;

  static bump(map: Record<string, number>, key: string, by = 1): void {
    map[key] = (map[key] ?? 0) + by;
  }

  framesSentTotal(): number {
    return Object.values(this.framesSent).reduce((sum, count) => sum + count, 0);
  }

  framesReceivedTotal(): number {
    return Object.values(this.pushesReceived).reduce((sum, count) => sum + count, 0);
  }
}

/**
 * Flaps: a friend told a user went offline (presence-timeout) while the user was back online, or
 * before the user came online again within FLAP_WINDOW_SECONDS.
 */
export class FlapDetector {
  /** Subject -> times friends were told it went offline, not yet matched by a return. */
  private readonly told = new Map<string, number[]>();
  /** Subject -> when its session ended and how, until a friend is told (or it returns). */
  private readonly departed = new Map<string, { at: number; abrupt: boolean }>();
  /** Departures (a user offline after a flap window) that friends were told about wrongly: one per subject and return. */
  flapEvents = 0;
  /** Simulated seconds from a session's end to the first presence-timeout a friend received about it. */
  readonly announcementDelays: { clean: number[]; vanished: number[] } = { clean: [], vanished: [] };

  constructor(private readonly onFlap: (count: number) => void) {}

  /** A session ended at `at`: cleanly (the client closed its sockets) or by the client vanishing. */
  sessionEnded(subject: string, at: number, abrupt: boolean): void {
    this.departed.set(subject, { at, abrupt });
  }

  /** A friend received presence-timeout for `subject` at `at`; `subjectOnline` is the simulator's truth now. */
  timeoutReceived(subject: string, at: number, subjectOnline: boolean): void {
    if (subjectOnline) {
      this.onFlap(1);
      this.flapEvents += this.told.has(subject) ? 0 : 1;
      this.told.set(subject, []);
      return;
    }
    const departure = this.departed.get(subject);
    if (departure) {
      this.departed.delete(subject);
      this.announcementDelays[departure.abrupt ? 'vanished' : 'clean'].push(at - departure.at);
    }
    const list = this.told.get(subject) ?? [];
    list.push(at);
    this.told.set(subject, list);
  }

  /** `subject` has a connection open again at `at`. */
  cameOnline(subject: string, at: number): void {
    this.departed.delete(subject);
    const list = this.told.get(subject);
    if (!list) return;
    this.told.delete(subject);
    const flaps = list.filter((toldAt) => at - toldAt <= FLAP_WINDOW_SECONDS).length;
    if (flaps > 0) {
      this.onFlap(flaps);
      this.flapEvents += 1;
    }
  }

  reset(): void {
    this.told.clear();
    this.departed.clear();
    this.flapEvents = 0;
    this.announcementDelays.clean.length = 0;
    this.announcementDelays.vanished.length = 0;
  }
}
