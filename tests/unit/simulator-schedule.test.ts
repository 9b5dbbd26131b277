/**
 * Users' plans: reproducible from the seed, in the steady state when the measurement starts (a share
 * `onlineFraction` online, connections with the ages of a long-running deployment), with the reference rates of
 * page changes and REST snapshots.
 */
import { currentConnectionOpen, onlineAtStart, planUser, planUsers, sessionSecondsIn, type PlanParams, type PlanWindow } from '../../simulator/schedule';
import { Random } from '../../simulator/random';

const PARAMS: PlanParams = {
  seed: 1,
  onlineFraction: 0.4,
  sessionHours: 4,
  devices: 1.2,
  abruptShare: 0.1,
  dwellMeanSeconds: 144,
  dwellShape: 0.8,
  snapshotsPer8Hours: 10,
  connectionCapSeconds: 7200,
};
const CAP = 7200;
const WINDOW: PlanWindow = { start: CAP, end: CAP + 3600 };

function plans(count: number, params = PARAMS, window = WINDOW) {
  return planUsers(count, params, window);
}

describe('user plans', () => {
  // One large population, drawn once, for the statistical checks (fixed seed: the same every run).
  const many = plans(5000);

  it('are the same for the same seed and differ for another', () => {
    expect(plans(50)).toEqual(plans(50));
    expect(plans(50, { ...PARAMS, seed: 2 })).not.toEqual(plans(50));
    // Given whether it is online at the start, a user's plan depends on its own index and the seed only.
    expect(planUser(7, PARAMS, WINDOW, onlineAtStart(50, PARAMS)[7]!)).toEqual(plans(50)[7]);
    expect(planUser(7, PARAMS, WINDOW, false)).not.toEqual(planUser(7, PARAMS, WINDOW, true));
  });

  it('puts exactly a share onlineFraction of users online when the measurement starts, and about that share through the window', () => {
    for (const users of [10, 200, 201, 5000]) {
      expect(onlineAtStart(users, PARAMS).filter(Boolean)).toHaveLength(Math.round(0.4 * users));
    }
    expect(onlineAtStart(200, PARAMS)).toEqual(onlineAtStart(200, PARAMS));
    expect(onlineAtStart(200, { ...PARAMS, seed: 2 })).not.toEqual(onlineAtStart(200, PARAMS));
    const all = many;
    const online = all.filter((plan) => plan.sessions.some((session) => session.start <= WINDOW.start && session.end > WINDOW.start)).length;
    expect(online).toBe(2000);
    // And throughout the window: users are in a session 40 % of the time.
    const share = sessionSecondsIn(all, WINDOW) / (all.length * 3600);
    expect(Math.abs(share - 0.4)).toBeLessThan(0.02);
  });

  it('gives sessions 1 or 2 devices, 1.2 on average, and ends 10 % of them abruptly', () => {
    const sessions = many.flatMap((plan) => plan.sessions);
    const devices = sessions.map((session) => session.devices.length);
    expect(devices.every((count) => count === 1 || count === 2)).toBe(true);
    expect(Math.abs(devices.reduce((sum, count) => sum + count, 0) / devices.length - 1.2)).toBeLessThan(0.02);
    expect(Math.abs(sessions.filter((session) => session.abrupt).length / sessions.length - 0.1)).toBeLessThan(0.02);
  });

  it('opens the connections of users online at the start during the warm-up, with the ages of a long-running deployment', () => {
    const opens = many
      .flatMap((plan) => plan.sessions)
      .filter((session) => session.start < WINDOW.start)
      .flatMap((session) => session.devices.map((device) => device.firstOpen))
      .filter((open) => open <= WINDOW.start);
    expect(opens.length).toBeGreaterThan(2000);
    expect(Math.min(...opens)).toBeGreaterThanOrEqual(WINDOW.start - CAP);
    // Connections open at a steady rate and one of age a is still there if its session has lasted a
    // longer (exponential sessions, mean S): ages have the density ∝ exp(-a / S) on [0, cap).
    const S = 4 * 3600;
    const expected = (sixth: number) => (Math.exp(-(sixth * CAP) / 6 / S) - Math.exp(-((sixth + 1) * CAP) / 6 / S)) / (1 - Math.exp(-CAP / S));
    const counts = [0, 0, 0, 0, 0, 0];
    for (const open of opens) counts[Math.min(5, Math.floor(((WINDOW.start - open) / CAP) * 6))]! += 1;
    counts.forEach((count, sixth) => expect(Math.abs(count / opens.length - expected(sixth))).toBeLessThan(0.02));
  });

  it('opens such connections at 0 when the warm-up is shorter than their age', () => {
    const short: PlanWindow = { start: 600, end: 600 + 3600 };
    const opens = plans(500, PARAMS, short).flatMap((plan) => plan.sessions.flatMap((session) => session.devices.map((device) => device.firstOpen)));
    expect(Math.min(...opens)).toBe(0);
    expect(opens.filter((open) => open === 0).length).toBeGreaterThan(100);
  });

  it('changes pages 200 times per 8 connected hours and reads 10 snapshots per 8 connected hours, inside sessions', () => {
    const window: PlanWindow = { start: CAP, end: CAP + 8 * 3600 };
    const all = plans(1000, PARAMS, window);
    const connectedHours = sessionSecondsIn(all, window) / 3600;
    const pageChanges = all.flatMap((plan) => plan.pageChanges.filter((at) => at >= window.start));
    const snapshots = all.flatMap((plan) => plan.snapshots.filter((at) => at >= window.start));
    expect(Math.abs(pageChanges.length / connectedHours - 25)).toBeLessThan(25 * 0.03);
    expect(Math.abs(snapshots.length / connectedHours - 1.25)).toBeLessThan(1.25 * 0.05);
    const outside = all.flatMap((plan) =>
      [...plan.pageChanges, ...plan.snapshots].filter((at) => at >= window.end || !plan.sessions.some((session) => at >= session.start && at < session.end)),
    );
    expect(outside).toEqual([]);
  });
});

describe('currentConnectionOpen', () => {
  it('replays caps and reconnect gaps up to the given time', () => {
    expect(currentConnectionOpen(100, 5000, CAP, new Random(1))).toBe(100);
    const open = currentConnectionOpen(0, 3 * CAP + 200, CAP, new Random(1));
    // Three caps and three gaps of 0-60 s before it.
    expect(open).toBeGreaterThan(3 * CAP);
    expect(open).toBeLessThanOrEqual(3 * CAP + 180);
  });
});
