/**
 * What a client type decides, as the simulated user's connections ask it: what to add to the connect
 * URL, which frames to send periodically and right after opening, whether to read a snapshot after
 * each (re)connect, and how long to wait before reconnecting. The user driver (simulator/user.ts) owns
 * sessions, devices, page changes and REST snapshots; everything that differs between client types
 * lives behind this interface, so a new type is one more implementation and one more entry in the mix.
 */
import type { Random } from '../random';
import type { ClientKind } from './kinds';

/** One kind of frame a client sends on a timer, per connection, with a random phase. */
export interface PeriodicFrame {
  /** The action as counted (`heartbeat`; later `keepalive`). */
  action: string;
  everySeconds: number;
  frame: Record<string, unknown>;
}

export interface ClientModel {
  kind: ClientKind;
  /** Query parameters added to the connect URL besides the token (none for the legacy client). */
  connectQuery: Record<string, string>;
  periodicFrames: PeriodicFrame[];
  /** Frames sent as soon as a socket opens, in order (none for the legacy client). */
  framesOnOpen: Array<Record<string, unknown>>;
  /** Reads GET /presence after every (re)connect, as the contract asks of every client. */
  snapshotAfterConnect: boolean;
  /** Simulated seconds from a close the client did not ask for (the 2-hour cap, a server close) to its reconnect. */
  reconnectDelaySeconds(random: Random, closeCode: number): number;
  /** Simulated seconds from a refused or failed handshake to the next attempt. */
  retryDelaySeconds(random: Random): number;
}
