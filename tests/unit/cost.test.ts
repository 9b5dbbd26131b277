/**
 * The cost model's pure parts: tier arithmetic, metering steps, the sourcing of every price, quota and
 * assumption, the measured file's checks, the template inventory, per-user scaling, fixed costs and the
 * bill at scale, against a fixture in the simulator's format (hand-made numbers, not a measurement).
 */
import { readFileSync } from 'node:fs';
import { assumptionValues, AssumptionError, DEFAULT_ASSUMPTIONS } from '../../cost/assumptions';
import { customMetricCount, DIMENSIONED_METRICS } from '../../cost/metric-inventory';
import { MeasuredFileError, parseMeasured } from '../../cost/measured';
import { atScale, computeCost, ecpuPerConnectedHour, fixedUsage, functionTimings, GIB, variableUsage } from '../../cost/model';
import { pricePeers } from '../../cost/peers';
import { allPrices, AWS_US_EAST_1, awsPricesFor, PEER_PRICES, PUSHER_CHANNELS_PLANS, UnsupportedRegionError } from '../../cost/prices';
import { connectedHoursPerMonth, profileNamed, PROFILES, UnknownProfileError } from '../../cost/profiles';
import { QUOTAS } from '../../cost/quotas';
import { readInventory, scheduleRunsPerMonth } from '../../cost/template-inventory';
import { meteredUnits, packageCost, roundUpTo, tieredCost, websocketMessages } from '../../cost/tiers';
import { loadConfig } from '../../layers/core/config';
import { Metric } from '../../layers/core/metrics';
import { FIXTURE, fixtureRun, modelInput, TEMPLATE_FIXTURE } from '../fixtures/cost/model-input';

const M = 1_000_000;

describe('tier arithmetic', () => {
  const messages = AWS_US_EAST_1.apiGatewayWebSocketMessages.tiers;
  const rest = AWS_US_EAST_1.apiGatewayRestRequests.tiers;

  it('prices each unit at the tier it falls in', () => {
    expect(tieredCost(0, messages)).toBe(0);
    expect(tieredCost(500 * M, messages)).toBeCloseTo(500, 9);
    expect(tieredCost(1_000 * M, messages)).toBeCloseTo(1_000, 9);
    expect(tieredCost(1_500 * M, messages)).toBeCloseTo(1_000 + 400, 9);
    expect(tieredCost(400 * M, rest)).toBeCloseTo(333 * 3.5 + 67 * 2.8, 9);
    expect(tieredCost(21_000 * M, rest)).toBeCloseTo(333 * 3.5 + 667 * 2.8 + 19_000 * 2.38 + 1_000 * 1.51, 6);
  });

  it('refuses a negative quantity and a quantity beyond the last tier', () => {
    expect(() => tieredCost(-1, messages)).toThrow(RangeError);
    expect(() => tieredCost(11_000, AWS_US_EAST_1.cloudWatchCustomMetrics.tiers)).toThrow(/tiers end at 10000/);
  });

  it('bills whole packages over the included quota (Supabase)', () => {
    expect(packageCost(5 * M, 5 * M, M, 2.5)).toBe(0);
    expect(packageCost(5 * M + 1, 5 * M, M, 2.5)).toBe(2.5);
    expect(packageCost(6 * M, 5 * M, M, 2.5)).toBe(2.5);
    expect(packageCost(6 * M + 1, 5 * M, M, 2.5)).toBe(5);
  });
});

describe('metering steps', () => {
  it('meters a WebSocket frame in 32 KB steps: at least one, a started step counts whole', () => {
    expect(websocketMessages(0)).toBe(1);
    expect(websocketMessages(300)).toBe(1);
    expect(websocketMessages(32 * 1024)).toBe(1);
    expect(websocketMessages(32 * 1024 + 1)).toBe(2);
    expect(websocketMessages(33 * 1024)).toBe(2); // the pricing page's own example
    expect(websocketMessages(128 * 1024)).toBe(4);
  });

  it('meters other steps the same way (PubNub 2 KB, AppSync 5 KB)', () => {
    expect(meteredUnits(2048, 2048)).toBe(1);
    expect(meteredUnits(2049, 2048)).toBe(2);
    expect(meteredUnits(8 * 1024, 2048)).toBe(4); // PubNub's page: an 8 KB payload is 4 transactions
    expect(() => meteredUnits(1, 0)).toThrow(RangeError);
  });

  it('rounds durations up to the billing increment', () => {
    expect(roundUpTo(201, 100)).toBe(300);
    expect(roundUpTo(300, 100)).toBe(300);
    expect(roundUpTo(0.2, 1)).toBe(1);
  });
});

describe('sources', () => {
  const isoDate = /^\d{4}-\d{2}-\d{2}$/;

  it.each(allPrices())('price %s has a unit, a page, the date it was read, evidence and ascending tiers', (_name, price) => {
    expect(price.unit.length).toBeGreaterThan(0);
    expect(price.source.url).toMatch(/^https:\/\//);
    expect(price.source.readOn).toMatch(isoDate);
    expect(price.source.evidence.length).toBeGreaterThan(20);
    expect(['official-page', 'official-example', 'transcription', 'secondary', 'unconfirmed']).toContain(price.source.confirmation);
    const bounds = price.tiers.map((t) => t.upTo);
    expect([...bounds].sort((a, b) => a - b)).toEqual(bounds);
    for (const tier of price.tiers) {
      expect(tier.usd).toBeGreaterThanOrEqual(0);
      expect(tier.per).toBeGreaterThan(0);
    }
  });

  it.each(Object.entries(QUOTAS))('quota %s has a value, a page and the date it was read', (_name, quota) => {
    expect(quota.value).toBeGreaterThan(0);
    expect(quota.url).toMatch(/^https:\/\//);
    expect(quota.readOn).toMatch(isoDate);
    expect(quota.evidence.length).toBeGreaterThan(20);
  });

  it.each(Object.entries(DEFAULT_ASSUMPTIONS))('assumption %s has a unit and a rationale', (_name, assumption) => {
    expect(assumption.unit.length).toBeGreaterThan(0);
    expect(assumption.rationale.length).toBeGreaterThan(30);
    expect(assumption.value).toBeGreaterThanOrEqual(0);
  });

  it('refuses a region it has no sourced prices for, in one line', () => {
    expect(awsPricesFor('us-east-1')).toBe(AWS_US_EAST_1);
    expect(() => awsPricesFor('eu-west-1')).toThrow(UnsupportedRegionError);
    expect(() => awsPricesFor('eu-west-1')).toThrow(/us-east-1 only/);
  });

  it('keeps the Pusher plans ordered by price and capacity, flagged unconfirmed', () => {
    for (const [cheaper, dearer] of PUSHER_CHANNELS_PLANS.slice(0, -1).map((plan, i) => [plan, PUSHER_CHANNELS_PLANS[i + 1]!] as const)) {
      expect(dearer.usd).toBeGreaterThan(cheaper.usd);
      expect(dearer.connections).toBeGreaterThan(cheaper.connections);
      expect(dearer.messagesPerDay).toBeGreaterThan(cheaper.messagesPerDay);
    }
    expect(PEER_PRICES.pusherPlans.source.confirmation).toBe('unconfirmed');
  });
});

describe('assumptions', () => {
  it('applies name=value overrides and refuses unknown names and bad numbers', () => {
    expect(assumptionValues(['natGateways=3']).natGateways).toBe(3);
    expect(assumptionValues([]).natGateways).toBe(DEFAULT_ASSUMPTIONS.natGateways.value);
    expect(() => assumptionValues(['nope=1'])).toThrow(AssumptionError);
    expect(() => assumptionValues(['natGateways=-1'])).toThrow(/not a number >= 0/);
    expect(() => assumptionValues(['natGateways'])).toThrow(/name=value/);
  });

  it("keeps PUSH_CONCURRENCY equal to the service's default", () => {
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'postgres://localhost/db' });
    expect(config.presence.pushConcurrency).toBe(DEFAULT_ASSUMPTIONS.pushConcurrency.value);
  });
});

describe('profiles', () => {
  it("holds the issue's reference profile exactly", () => {
    expect(profileNamed('reference')).toMatchObject({
      connectedHoursPerDay: 8,
      sessionsPerDay: 2,
      daysPerMonth: 30,
      connectionsPerOnlineUser: 1.2,
      heartbeatSeconds: 60,
      pageChangesPerDay: 200,
      dwellWeibullShape: 0.8,
      dwellMeanSeconds: 144,
      friends: 50,
      friendsOnline: 20,
      restSnapshotsPerDay: 10,
      region: 'us-east-1',
      architecture: 'arm64',
      measuredFile: 'cost/measured/reference.json',
    });
    expect(connectedHoursPerMonth(PROFILES.reference!)).toBe(240);
    expect(() => profileNamed('nobody')).toThrow(UnknownProfileError);
  });

  it('gives each profile its own measured file', () => {
    const files = Object.values(PROFILES).map((p) => p.measuredFile);
    expect(new Set(files).size).toBe(files.length);
  });
});

describe('the measured file', () => {
  interface FixtureDocument {
    perConnectedUserHour: { apiGateway: Record<string, number> };
    sweep: Record<string, number>;
    perInvocation: Record<string, unknown>;
  }
  const document = () => JSON.parse(readFileSync(FIXTURE, 'utf8')) as FixtureDocument;

  it('reads the fixture', () => {
    const run = fixtureRun();
    expect(run.commit).toMatch(/^fixture/);
    expect(run.perConnectedUserHour.apiGateway.messagesIn).toBe(97);
    expect(run.windowHours).toBeCloseTo(1, 9); // 120 s of meter time at speed 30
    expect(run.init.ConnectFunction).toEqual({ initMs: 200, coldStarts: 1 });
  });

  it('names the field that is missing or not a number', () => {
    const missing = document();
    delete missing.perConnectedUserHour.apiGateway.messagesOut;
    expect(() => parseMeasured(missing, 'x.json')).toThrow(
      new MeasuredFileError('x.json: perConnectedUserHour.apiGateway.messagesOut is missing or not a number >= 0'),
    );
    const negative = document();
    negative.sweep.executionsPerSimulatedHour = -1;
    expect(() => parseMeasured(negative, 'x.json')).toThrow(/sweep.executionsPerSimulatedHour/);
    const noTiming = document();
    delete noTiming.perInvocation.HeartbeatFunction;
    expect(() => parseMeasured(noTiming, 'x.json')).toThrow(/perInvocation.HeartbeatFunction is missing/);
    expect(() => parseMeasured([], 'x.json')).toThrow(/\(file\) is missing or not an object/);
  });
});

describe('the template inventory', () => {
  it('reads memory, PostgreSQL use, alarm metrics (a metric-math alarm counts each metric), dashboards and defaults', () => {
    const inventory = readInventory(TEMPLATE_FIXTURE);
    expect(inventory.functions).toEqual({
      HeartbeatFunction: { memoryMb: 512, architecture: 'arm64', usesPostgres: false },
      QueryFunction: { memoryMb: 1024, architecture: 'arm64', usesPostgres: true },
    });
    expect(inventory.alarms).toEqual([
      { name: 'SimpleAlarm', metrics: 1 },
      { name: 'MathAlarm', metrics: 3 },
    ]);
    expect(inventory.dashboards).toBe(1);
    expect(inventory).toMatchObject({
      statusShardCount: 8,
      logRetentionDays: 14,
      sweepScheduleExpression: 'rate(2 minutes)',
      platformLogLevel: 'WARN',
    });
  });

  it('reads the real template: arm64 functions, one dashboard, the error alarm reading every function', () => {
    const inventory = readInventory();
    expect(Object.values(inventory.functions).every((f) => f.architecture === 'arm64')).toBe(true);
    expect(inventory.functions.HeartbeatFunction?.usesPostgres).toBe(false);
    expect(inventory.functions.UpdatePresenceFunction?.usesPostgres).toBe(true);
    expect(inventory.platformLogLevel).toBe('WARN');
    expect(inventory.dashboards).toBe(1);
    const functions = Object.keys(inventory.functions).length;
    expect(inventory.alarms.find((a) => a.name === 'FunctionErrorsAlarm')?.metrics).toBe(functions);
  });

  it('turns a rate schedule into runs a month', () => {
    expect(scheduleRunsPerMonth('rate(1 minute)', 720)).toBe(43_200);
    expect(scheduleRunsPerMonth('rate(5 minutes)', 720)).toBe(8_640);
    expect(scheduleRunsPerMonth('rate(1 hour)', 720)).toBe(720);
    expect(scheduleRunsPerMonth('cron(0 * * * ? *)', 720)).toBeNull();
  });

  it('counts the custom metrics: one per name, one per value of the dimensioned ones', () => {
    const names = Object.values(Metric).length;
    const extra = Object.values(DIMENSIONED_METRICS).reduce((sum, values) => sum + values.length - 1, 0);
    expect(customMetricCount()).toBe(names + extra);
  });
});

describe('per-user scaling', () => {
  const hours = 240;

  it('adds the CPU share and the round trips to the measured billed milliseconds', () => {
    const timings = functionTimings(modelInput());
    const stretch = 1769 / 512 - 1;
    // Heartbeat: 2 ms billed, 1 ms CPU, one Redis round trip.
    expect(timings.HeartbeatFunction!.aws.billedMs).toBeCloseTo(2 + 1 * stretch + 0.5, 9);
    // Connect: 10 ms, 6 ms CPU, 2 Redis round trips, 1 query, 24 posts = one fan-out round.
    expect(timings.ConnectFunction!.aws.billedMs).toBeCloseTo(10 + 6 * stretch + 2 * 0.5 + 1 * 1 + 20, 9);
    // At 1,769 MB the function already has a full vCPU.
    expect(timings.SweepShardFunction!.aws.added.cpu).toBe(0);
    expect(timings.ConnectFunction!.initMsPerColdStart).toBe(200);
    // CPU time above the wall time (overlapping invocations sharing the local process) is not stretched.
    const run = fixtureRun();
    run.perInvocation.HeartbeatFunction!.cpuMs = 5;
    expect(functionTimings(modelInput({ measured: run })).HeartbeatFunction!.aws.added.cpu).toBeCloseTo(1.4 * stretch, 9);
    expect(timings.HeartbeatFunction!.initMsPerColdStart).toBe(DEFAULT_ASSUMPTIONS.initMsWhenUnmeasured.value);
  });

  it('shares the measured totals among the functions when the file has no round trips per invocation', () => {
    const run = fixtureRun();
    for (const [fn, entry] of Object.entries(run.perInvocation)) {
      if (fn === 'SweepShardFunction') continue;
      delete entry.posts;
      delete entry.redisCommands;
      delete entry.redisRoundTrips;
      delete entry.pgQueries;
    }
    const timings = functionTimings(modelInput({ measured: run }));
    // Posts among the fan-out functions, Redis among all but the authorizer, PostgreSQL among its users.
    expect(timings.UpdatePresenceFunction!.roundTrips.posts).toBeCloseTo(618 / (0.6 + 0.6 + 25), 9);
    expect(timings.HeartbeatFunction!.roundTrips.posts).toBe(0);
    expect(timings.HeartbeatFunction!.roundTrips.redis).toBeCloseTo(200 / (0.6 + 0.6 + 72 + 25 + 1.85), 9);
    expect(timings.AuthorizerFunction!.roundTrips.redis).toBe(0);
    expect(timings.HeartbeatFunction!.roundTrips.postgres).toBe(0);
    expect(timings.GetPresenceFunction!.roundTrips.postgres).toBeCloseTo(1.8 / (0.6 + 0.6 + 25 + 1.85), 9);
    expect(timings.UpdatePresenceFunction!.attributed).toEqual(['redis', 'postgres', 'posts']);
    // The sweep's task keeps its own figures.
    expect(timings.SweepShardFunction!.roundTrips.redis).toBe(2);
    expect(timings.SweepShardFunction!.attributed).toEqual([]);
    expect(computeCost(modelInput({ measured: run })).warnings.join('\n')).toMatch(
      /round trips per invocation \(redis, postgres, posts\) are not in the measurement/,
    );
  });

  it('prices ECPUs at max(1, KB) per simple command and max(script ECPU, KB) per script call', () => {
    const redis = { commands: 200, scriptCalls: 110, bytesIn: 30_000, bytesOut: 40_000 };
    expect(ecpuPerConnectedHour(redis, 8.6)).toBeCloseTo(90 * 1 + 110 * 8.6, 9);
    const big = { commands: 10, scriptCalls: 0, bytesIn: 20 * 1024, bytesOut: 10 * 1024 };
    expect(ecpuPerConnectedHour(big, 8.6)).toBeCloseTo(10 * 3, 9);
    expect(ecpuPerConnectedHour({ commands: 0, scriptCalls: 0, bytesIn: 0, bytesOut: 0 }, 8.6)).toBe(0);
  });

  it('scales the per-hour counts to a user-month of the profile, the sweep left out', () => {
    const result = computeCost(modelInput());
    expect(result.messagesPerUserMonth).toEqual({ in: 97 * hours, out: 620 * hours, total: 717 * hours });
    expect(result.perUserMonth.components.apiGatewayMessages).toBeCloseTo(717 * hours * 1e-6, 8);
    expect(result.perUserMonth.components.apiGatewayConnectionMinutes).toBeCloseTo(72 * hours * 0.25e-6, 8);
    expect(result.perUserMonth.components.apiGatewayRest).toBeCloseTo(1.85 * hours * 3.5e-6, 8);
    const invocations = (0.6 + 0.6 + 0.6 + 72 + 25 + 1.85) * hours;
    expect(result.lambdaTotals.invocations).toBeCloseTo(invocations, 3);
    expect(result.perUserMonth.components.lambdaRequests).toBeCloseTo(invocations * 0.2e-6, 8);
    expect(result.perUserMonth.components.elastiCacheEcpu).toBeCloseTo((90 + 110 * 8.6) * hours * 0.0023e-6, 8);
    expect(result.perUserMonth.components.stepFunctions).toBe(0);
    expect(result.perUserMonth.components.customMetrics).toBe(0);
    expect(result.lambda.SweepShardFunction!.invocationsPerUserMonth).toBe(0);
    const total = Object.values(result.perUserMonth.components).reduce((sum, v) => sum + v, 0);
    expect(result.perUserMonth.total).toBeCloseTo(total, 6);
  });

  it('doubles every connected-time quantity when the user is connected twice as long', () => {
    const base = computeCost(modelInput());
    const longer = computeCost(modelInput({ profile: { ...PROFILES.reference!, connectedHoursPerDay: 16 } }));
    for (const name of [
      'apiGatewayMessages',
      'apiGatewayConnectionMinutes',
      'lambdaRequests',
      'lambdaGbSeconds',
      'elastiCacheEcpu',
      'natDataProcessing',
      'dataTransferOut',
    ] as const) {
      expect(longer.perUserMonth.components[name]).toBeCloseTo(2 * base.perUserMonth.components[name], 7);
    }
  });

  it("counts the measured log bytes (the sweep's are its own) plus Lambda's START and REPORT lines at PlatformLogLevel INFO", () => {
    const input = modelInput();
    const usage = variableUsage(input, functionTimings(input));
    const invocations = (0.6 + 0.6 + 0.6 + 72 + 25 + 1.85) * hours;
    expect(usage.logBytes).toBeCloseTo((45_000 + 5_000) * hours + invocations * 380, 3);
    expect(usage.quantities.cloudWatchLogsLambdaIngestion).toBeCloseTo(usage.logBytes / GIB, 12);
  });

  it("adds no platform lines at PlatformLogLevel WARN (the template's default)", () => {
    const input = modelInput({ inventory: { ...modelInput().inventory, platformLogLevel: 'WARN' } });
    const usage = variableUsage(input, functionTimings(input));
    expect(usage.logBytes).toBeCloseTo((45_000 + 5_000) * hours, 3);
    expect(fixedUsage(input, functionTimings(input)).items.sweepLogs!.quantity).toBeCloseTo((43_200 * 7_200) / GIB, 12);
  });

  it('prices NAT processing per @connections call: the assumed overhead plus the measured frame size', () => {
    const input = modelInput();
    const usage = variableUsage(input, functionTimings(input));
    const frame = 200_000 / 620;
    expect(usage.quantities.natGatewayDataProcessed).toBeCloseTo(((618 + 0.05) * hours * (1_700 + frame)) / GIB, 12);
  });
});

describe('fixed costs and the bill at scale', () => {
  it("prices the sweep's schedule, alarms per metric, the dashboard, metrics, NAT hours and the cache minimum", () => {
    const input = modelInput();
    const fixed = fixedUsage(input, functionTimings(input));
    expect(fixed.sweepExecutionsPerMonth).toBe(43_200);
    const expressGbSeconds = 43_200 * (64 / 1024) * 0.3;
    expect(fixed.items.sweepStepFunctions!.dollars).toBeCloseTo(43_200 * 1e-6 + (expressGbSeconds * 0.06) / 3600, 9);
    expect(fixed.items.sweepSchedule!.dollars).toBe(0);
    expect(fixed.items.sweepLogs!.quantity).toBeCloseTo((43_200 * 7_200 + 43_200 * 16 * 380) / GIB, 12);
    // Idle sweep: 16 simple commands and 16 script calls per execution, 4.7 KB in all.
    expect(fixed.items.sweepRedis!.quantity).toBeCloseTo(43_200 * (16 * 1 + 16 * 8.6), 6);
    expect(fixed.items.alarms).toMatchObject({ quantity: 10, dollars: 1.0 });
    expect(fixed.items.dashboards!.dollars).toBe(3);
    expect(fixed.items.customMetrics!.dollars).toBeCloseTo(6, 9);
    expect(fixed.items.natGatewayHours!.dollars).toBeCloseTo(2 * 720 * 0.045, 9);
    expect(fixed.items.elastiCacheMinimum!.dollars).toBeCloseTo(0.1 * 720 * 0.084, 9);
    const redis = fixedUsage(modelInput({ engine: 'redis-oss' }), functionTimings(input));
    expect(redis.items.elastiCacheMinimum!.dollars).toBeCloseTo(1 * 720 * 0.125, 9);
  });

  it('applies tiers to the aggregate, shares fixed costs and bills at least the cache minimum', () => {
    const input = modelInput();
    const timings = functionTimings(input);
    const variable = variableUsage(input, timings);
    const fixed = fixedUsage(input, timings);
    const million = atScale(input, variable, fixed, 1_000_000);
    const messages = 717 * 240 * 1_000_000;
    expect(million.components.apiGatewayWebSocketMessages).toBeCloseTo(1_000 + ((messages - 1e9) * 0.8) / 1e6, 1);
    expect(million.perUser).toBeCloseTo(million.totalMonthly / 1_000_000, 5);
    const thousand = atScale(input, variable, fixed, 1_000);
    expect(thousand.components.elastiCacheStorage).toBeCloseTo(0.1 * 720 * 0.084, 2);
    expect(thousand.components.natGatewayHours).toBeCloseTo(64.8, 2);
    // Shared fixed costs make a small deployment dearer per user.
    expect(thousand.perUser).toBeGreaterThan(million.perUser);
    const result = computeCost(input);
    expect(result.atScale.map((s) => s.monthlyUsers)).toEqual([1_000, 100_000, 1_000_000]);
  });
});

describe('peers', () => {
  it("prices the same traffic at each peer's list prices with its formula", () => {
    const peers = pricePeers(fixtureRun(), PROFILES.reference!, assumptionValues(), [1_000, 1_000_000]);
    expect(peers.map((p) => p.name)).toEqual([
      'PubNub (transaction pricing)',
      'Ably (resource-based: Standard/Pro package)',
      'Pusher Channels',
      'Supabase Realtime (Pro plan)',
      'AWS AppSync Events',
    ]);
    for (const peer of peers) {
      expect(peer.pricingPage).toMatch(/^https:\/\//);
      expect(peer.formula.length).toBeGreaterThan(20);
    }
    // Per user-month: 6,000 publishes, 148,080 deliveries (pushes but error frames), 17,280 heartbeats.
    const pubnub = peers[0]!.atScale[1]!;
    expect(pubnub.perUser).toBeCloseTo(6_000 * 0.000123 + (148_080 + 17_280) * 0.000033, 5);
    // Supabase at 1,000 users: $25 + 150 packages of messages + 1 package of peak connections (600 > 500).
    expect(peers[3]!.atScale[0]!.totalMonthly).toBeCloseTo(25 + 150 * 2.5 + 10, 6);
    // Pusher at 1,000 users: 600 peak connections, 5.1 million messages a day: Business.
    expect(peers[2]!.atScale[0]).toMatchObject({ plan: 'Business', totalMonthly: 299 });
    // Beyond the self-serve plans there is no public price.
    expect(peers[2]!.atScale[1]).toMatchObject({ totalMonthly: null, perUser: null });
    expect(peers[1]!.atScale[1]!.plan).toMatch(/^Enterprise/);
  });
});
