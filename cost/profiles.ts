/**
 * Usage profiles: how a user of the service behaves in a month. The cost model scales what the
 * simulator measured per connected user-hour to a user-month of a profile; each profile has its own
 * measured file, recorded by running the simulator with that profile's parameters.
 *
 * `reference` is the table exactly. `subscribing` and `serviceWorker` are the clients of the
 * subscription-level issue: defined here so their measured files slot in when they are recorded.
 */

export type ClientKind = 'legacy' | 'subscribing' | 'service-worker';

export interface Profile {
  name: string;
  description: string;
  /** Where its measurement is recorded, relative to the repository root. */
  measuredFile: string;
  client: ClientKind;
  connectedHoursPerDay: number;
  sessionsPerDay: number;
  daysPerMonth: number;
  connectionsPerOnlineUser: number;
  /** Presence heartbeat interval of each connection. */
  heartbeatSeconds: number;
  /** Keep-alive frames (answered by API Gateway, no Lambda) every this many seconds; 0 when none. */
  keepAliveSeconds: number;
  pageChangesPerDay: number;
  /** Dwell time on a page: Weibull with this shape and mean (seconds). */
  dwellWeibullShape: number;
  dwellMeanSeconds: number;
  friends: number;
  friendsOnline: number;
  restSnapshotsPerDay: number;
  /** Share of connected time the friends list is on screen (subscription level `pages`); 1 for legacy clients. */
  pagesLevelShare: number;
  region: string;
  architecture: 'arm64';
}

const REFERENCE: Profile = {
  name: 'reference',
  description: "The issue's reference profile: the existing browser extension (legacy client).",
  measuredFile: 'cost/measured/reference.json',
  client: 'legacy',
  connectedHoursPerDay: 8,
  sessionsPerDay: 2,
  daysPerMonth: 30,
  connectionsPerOnlineUser: 1.2,
  heartbeatSeconds: 60,
  keepAliveSeconds: 0,
  pageChangesPerDay: 200,
  dwellWeibullShape: 0.8,
  dwellMeanSeconds: 144,
  friends: 50,
  friendsOnline: 20,
  restSnapshotsPerDay: 10,
  pagesLevelShare: 1,
  region: 'us-east-1',
  architecture: 'arm64',
};

export const PROFILES: Readonly<Record<string, Profile>> = {
  reference: REFERENCE,
  subscribing: {
    ...REFERENCE,
    name: 'subscribing',
    description:
      'The same users on a client that uses subscription levels: `pages` while the friends list is on screen (10 % of connected time), `status` otherwise; heartbeat every 300 s; socket held by a page or an offscreen document.',
    measuredFile: 'cost/measured/subscribing.json',
    client: 'subscribing',
    heartbeatSeconds: 300,
    pagesLevelShare: 0.1,
  },
  serviceWorker: {
    ...REFERENCE,
    name: 'serviceWorker',
    description:
      'The subscribing client held in a Manifest V3 service worker: a keep-alive every 25 s keeps the worker and its socket alive.',
    measuredFile: 'cost/measured/service-worker.json',
    client: 'service-worker',
    heartbeatSeconds: 300,
    keepAliveSeconds: 25,
    pagesLevelShare: 0.1,
  },
};

export class UnknownProfileError extends Error {}

export function profileNamed(name: string): Profile {
  const profile = PROFILES[name];
  if (!profile) throw new UnknownProfileError(`no profile "${name}" (known: ${Object.keys(PROFILES).join(', ')})`);
  return profile;
}

/** Hours a user of the profile is connected in a month: the factor from per-connected-user-hour to per-user-month. */
export function connectedHoursPerMonth(profile: Profile): number {
  return profile.connectedHoursPerDay * profile.daysPerMonth;
}

/** Hours in the profile's month (fixed costs accrue over all of them). */
export function hoursPerMonth(profile: Profile): number {
  return 24 * profile.daysPerMonth;
}
