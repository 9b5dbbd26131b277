/**
 * PageNow's browser extension as it exists: a heartbeat every minute (`chrome.alarms`), an
 * `update-presence` on every tab change, a GET /presence after each (re)connect, and a reconnect at its
 * next one-minute alarm whenever the socket closes (a uniform 0-60 s after a close; 60 s after a
 * refused attempt, which itself ran at an alarm).
 */
import type { ClientModel } from './model';

const ALARM_SECONDS = 60;

export function legacyClient(heartbeatSeconds: number): ClientModel {
  return {
    kind: 'legacy',
    connectQuery: {},
    periodicFrames: [{ action: 'heartbeat', everySeconds: heartbeatSeconds, frame: { action: 'heartbeat' } }],
    framesOnOpen: () => [],
    snapshotAfterConnect: true,
    restSnapshots: true,
    reconnectDelaySeconds: (random) => random.uniform(0, ALARM_SECONDS),
    retryDelaySeconds: () => ALARM_SECONDS,
  };
}
