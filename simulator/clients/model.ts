/**
 * What a client type decides, as the simulated user's connections ask it: what to add to the connect
 * URL, which frames to send periodically and right after opening, whether to read a snapshot after
 * each (re)connect, whether the friends list on screen drives its subscription level, whether it renews
 * its connection before API Gateway's cap, and how long to wait before reconnecting. The user driver
 * (simulator/user.ts) owns sessions, devices, page changes and REST snapshots; everything that differs
 * between client types lives behind this interface, so a new type is one more implementation and one
 * more entry in the mix.
 */
import type { Random } from '../random';
import type { ClientKind } from './kinds';

/** One kind of frame a client sends on a timer, per connection, with a random phase. */
export interface PeriodicFrame {
  /** The action as counted (`heartbeat`, `keepalive`). */
  action: string;
  /** Simulated seconds. */
  everySeconds: number;
  frame: Record<string, unknown>;
  /**
   * Actions whose sending starts the period again ('any': every frame), as the reference client
   * heartbeats after `heartbeatSeconds` without a heartbeat, update or subscribe, and keeps alive after
   * `keepAliveSeconds` without any frame. Absent: a fixed timer (PageNow's one-minute alarm).
   */
  restartedBy?: readonly string[] | 'any';
}

/** The friends list coming on screen and going off it, on each device. */
export interface ScreenModel {
  /** Share of connected time the list is on screen. */
  onScreenShare: number;
  /** How often it comes on screen, per 8 connected hours. */
  episodesPer8Hours: number;
}

export interface ClientModel {
  kind: ClientKind;
  /** Query parameters added to the connect URL besides the token (wall units: the stack reads them). */
  connectQuery: Record<string, string>;
  periodicFrames: PeriodicFrame[];
  /** Frames sent as soon as a socket opens, in order, given whether the friends list is on screen. */
  framesOnOpen(onScreen: boolean): Array<Record<string, unknown>>;
  /** Reads GET /presence after every (re)connect (the contract's duty without subscriptions). */
  snapshotAfterConnect: boolean;
  /** Reads GET /presence when the user looks at the friends list (else the list's level does it). */
  restSnapshots: boolean;
  /** The list on screen sets the connection's level: pages while on screen, status otherwise. */
  screen?: ScreenModel;
  /** Opens the next connection at a share of the cap drawn from this range, then closes the current one. */
  renewBeforeCap?: readonly [number, number];
  /** Simulated seconds from a close the client did not ask for (the 2-hour cap, a server close) to its reconnect. */
  reconnectDelaySeconds(random: Random, closeCode: number): number;
  /** Simulated seconds from a refused or failed handshake to the next attempt. */
  retryDelaySeconds(random: Random): number;
}
