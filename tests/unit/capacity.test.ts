/**
 * The capacity plan: rates grow linearly with users online, each limit binds at the N where its rate
 * meets its quota, the binding order, the reconnect storm, against the fixture measurement
 * (hand-made numbers in the simulator's format, not a measurement).
 */
import { computeCapacity, restPerConnect } from '../../cost/capacity';
import { QUOTAS } from '../../cost/quotas';
import { fixtureRun, modelInput } from '../fixtures/cost/model-input';

// Fixture, per connected user-hour: 97 messages in, 0.6 connects, 1.85 REST, 618 posts, 0.05 deletes.
const API_PER_HOUR = 97 + 0.6 + 1.85 + 618 + 0.05;
const INVOCATIONS_PER_HOUR = 0.6 + 0.6 + 0.6 + 72 + 25 + 1.85;

function limit(result: ReturnType<typeof computeCapacity>, name: string) {
  const row = result.limits.find((l) => l.name === name);
  if (!row) throw new Error(`no limit ${name}`);
  return row;
}

describe('capacity', () => {
  it('measures each rate against its quota and finds where it binds, whatever N is asked', () => {
    for (const online of [1_000, 250_000]) {
      const result = computeCapacity(modelInput(), online, 16);
      const api = limit(result, 'apiGatewayRequests');
      expect(api.rate).toBeCloseTo((API_PER_HOUR * online) / 3600, 6);
      expect(api.quota).toBe(QUOTAS.apiGatewayAccountRps.value);
      expect(api.utilization).toBeCloseTo(api.rate / api.quota, 12);
      expect(api.headroom).toBeCloseTo(api.quota - api.rate, 6);
      expect(api.bindsAtOnline).toBeCloseTo((10_000 * 3600) / API_PER_HOUR, 3);
      expect(limit(result, 'newConnections').bindsAtOnline).toBeCloseTo((500 * 3600) / 0.6, 3);
      expect(limit(result, 'lambdaInvocations').bindsAtOnline).toBeCloseTo((10_000 * 3600) / INVOCATIONS_PER_HOUR, 3);
    }
  });

  it("takes the sweep's concurrent shards off the concurrency quota before users", () => {
    const result = computeCapacity(modelInput(), 100_000, 16);
    const concurrency = limit(result, 'lambdaConcurrency');
    const perUser = (concurrency.rate - 16) / 100_000;
    expect(concurrency.bindsAtOnline).toBeCloseTo((1_000 - 16) / perUser, 3);
    expect(result.lambda.sweepEnvironments).toBe(16);
    // Scaling from none: the busiest function's environments at 1,000 every 10 s.
    const busiest = Math.max(...Object.values(result.lambda.byFunction).map((l) => l.environments));
    expect(result.lambda.secondsToScaleFromZero).toBe(Math.ceil(busiest / 1_000) * 10);
  });

  it('names the limit that binds first and the next one, with what moves them', () => {
    const result = computeCapacity(modelInput(), 1_000_000, 16);
    expect(result.binding.first.name).toBe('apiGatewayRequests');
    expect(result.binding.first.moves[0]).toMatch(/L-8A5B8E43/);
    expect(result.binding.next?.name).toBe('lambdaInvocations');
    const sorted = [...result.limits].sort((a, b) => a.bindsAtOnline - b.bindsAtOnline);
    expect(sorted[0]).toBe(result.binding.first);

    // Without the pushes, the Lambda invocation rate binds before the API Gateway throttle.
    const run = fixtureRun();
    run.perConnectedUserHour.managementApi.posts = 0;
    const quiet = computeCapacity(modelInput({ measured: run }), 1_000_000, 16);
    expect(quiet.binding.first.name).toBe('lambdaInvocations');
    expect(quiet.binding.next?.name).toBe('apiGatewayRequests');
  });

  it('spreads Redis over the status shards: twice the shards, half the load of one', () => {
    const sixteen = computeCapacity(modelInput(), 500_000, 16);
    const thirtyTwo = computeCapacity(modelInput(), 500_000, 32);
    expect(thirtyTwo.redis.perShard.ecpuPerSecond).toBeCloseTo(sixteen.redis.perShard.ecpuPerSecond / 2, 6);
    expect(thirtyTwo.redis.ecpuPerSecond).toBeCloseTo(sixteen.redis.ecpuPerSecond, 6);
    const perShard = limit(sixteen, 'redisEcpuPerShard');
    expect(perShard.assumed).toBe(true);
    expect(perShard.moves.join(' ')).toMatch(/StatusShardCount/);
    expect(limit(thirtyTwo, 'redisEcpuPerShard').bindsAtOnline).toBeCloseTo(2 * perShard.bindsAtOnline, 3);
  });

  it('times the reconnect storm at the new-connection quota and at the throttle', () => {
    const online = 1_000_000;
    const result = computeCapacity(modelInput(), online, 16);
    const storm = result.reconnectStorm;
    // 1.85 REST requests an hour: 10 a day over 8 hours (1.25) scheduled, the rest after each of 0.6 connects.
    expect(restPerConnect(fixtureRun(), 10, 8)).toBeCloseTo(1, 12);
    expect(storm.connections).toBeCloseTo(online * 1.2, 6);
    expect(storm.secondsAtNewConnectionQuota).toBeCloseTo((online * 1.2) / 500, 6);
    expect(storm.requests).toBeCloseTo(online * 1.2 * 2 + online * 20 * 1.2 * 0.5, 3);
    expect(storm.secondsAtThrottle).toBeCloseTo(storm.requests / 10_000, 6);
    expect(storm.secondsUntilAllBack).toBe(Math.max(storm.secondsAtNewConnectionQuota, storm.secondsAtThrottle));
    expect(storm.bindingLimit).toBe('newConnections');
    expect(storm.secondsToScaleLambda % 10).toBe(0);
  });

  it('bounds PostgreSQL from above by a query per friend lookup (two for GET /presence)', () => {
    const online = 36_000; // one query per connected hour = 10/s
    const result = computeCapacity(modelInput(), online, 16);
    expect(result.postgres.queriesPerSecondMeasured).toBeCloseTo(1.8 * 10, 6);
    expect(result.postgres.queriesPerSecondUpperBound).toBeCloseTo((0.6 + 0.6 + 25 + 1.85 * 2) * 10, 6);
  });
});
