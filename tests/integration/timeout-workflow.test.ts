/**
 * The real statemachines/presence-timeout.asl.json, validated with asl-validator and executed with
 * aws-local-stepfunctions; its Task runs the real sweep-shard handler in-process against real Redis,
 * real PostgreSQL and a real HTTP management API. Users are made stale by writing their status
 * score into Redis (deterministic: no clocks, no sleeps).
 */
import { deleteKeysWithPrefix } from '../support/redis-keys';
import Redis from 'ioredis';
import type { Pool } from 'pg';
import { join } from 'node:path';
import { KeySpace } from '../../layers/core/keys';
import { loadTemplate } from '../../template/cfn-yaml';
import { befriendAll, createPool, resetTables, seedUsers } from '../support/db';
import { redisUrl } from '../support/env';
import { HandlerHarness } from '../support/handler-harness';
import {
  aslText,
  LAMBDA_INVOKE,
  placeholders,
  runLocally,
  substitute,
  SUBSTITUTION_NAMES,
  type LambdaHandler,
} from '../../local/sweep/local-execution';

// asl-validator ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };

const SHARDS = 4;
const BATCH = 3;
const TIMEOUT_SECONDS = 5;
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:presence-SweepShardFunction';
const SUBSTITUTIONS = { SweepShardFunctionArn: FUNCTION_ARN, StatusShardCount: SHARDS, SweepMaxConcurrency: SHARDS, SweepBatchSize: BATCH };

interface ShardResult {
  shard: number;
  batches: number;
  timedOut: number;
  notifications: number;
  error?: string;
}
interface WorkflowOutput {
  shards: ShardResult[];
  startedAt: string;
}

type Definition = {
  States: Record<string, Record<string, unknown>>;
};

function state(definition: unknown, path: string[]): Record<string, unknown> {
  let node = definition as Record<string, unknown>;
  for (const key of path) node = node[key] as Record<string, unknown>;
  return node;
}

describe('presence-timeout.asl.json (definition)', () => {
  const raw = JSON.parse(aslText()) as Definition;
  const definition = substitute(SUBSTITUTIONS) as unknown as Definition;
  const iteration = ['States', 'SweepShards', 'ItemProcessor', 'States'];

  it('is valid ASL before and after DefinitionSubstitutions', () => {
    const before = validator(raw);
    expect(before.errorsText()).toBe('');
    expect(before.isValid).toBe(true);
    const after = validator(definition);
    expect(after.errorsText()).toBe('');
    expect(after.isValid).toBe(true);
  });

  it('uses exactly the DefinitionSubstitutions template.yaml provides', () => {
    const template = loadTemplate(join(__dirname, '..', '..', 'template.yaml'));
    const machines = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Serverless::StateMachine');
    const machine = machines.find((resource) => resource.Properties?.DefinitionUri === 'statemachines/presence-timeout.asl.json');
    expect(machine).toBeDefined();
    const provided = Object.keys(machine!.Properties!.DefinitionSubstitutions as Record<string, unknown>).sort();
    expect(placeholders()).toEqual(provided);
    expect(placeholders()).toEqual([...SUBSTITUTION_NAMES].sort());
    expect(() => substitute(SUBSTITUTIONS, aslText().replace('${SweepBatchSize}', '${Unknown}'))).toThrow(/Unknown/);
  });

  it('maps over every shard with the configured concurrency and loops per shard on `more`', () => {
    const map = state(definition, ['States', 'SweepShards']);
    expect(map.Type).toBe('Map');
    expect(map.MaxConcurrencyPath).toBe('$.maxConcurrency');
    const choice = state(definition, [...iteration, 'MoreInShard']);
    expect(choice).toMatchObject({ Type: 'Choice', Choices: [{ Variable: '$.more', BooleanEquals: true, Next: 'SweepBatch' }] });
  });

  it('retries Lambda service errors with full jitter and catches everything else into a Pass state', () => {
    const task = state(definition, [...iteration, 'SweepBatch']);
    expect(task.Resource).toBe(LAMBDA_INVOKE);
    expect((task.Parameters as { FunctionName: string }).FunctionName).toBe(FUNCTION_ARN);
    expect(task.Retry).toEqual([
      expect.objectContaining({
        ErrorEquals: [
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.TooManyRequestsException',
        ],
        BackoffRate: 2,
        JitterStrategy: 'FULL',
        MaxDelaySeconds: expect.any(Number),
      }),
    ]);
    const [catcher] = task.Catch as { ErrorEquals: string[]; Next: string }[];
    expect(catcher!.ErrorEquals).toEqual(['States.ALL']);
    expect(state(definition, [...iteration, catcher!.Next])).toMatchObject({ Type: 'Pass', End: true });
  });

  it('keeps only numbers from each batch, and only a handful per shard', () => {
    const task = state(definition, [...iteration, 'SweepBatch']);
    expect(Object.keys(task.ResultSelector as object).sort()).toEqual(['more.$', 'notifications.$', 'timedOut.$']);
    for (const name of ['ShardDone', 'ShardFailed']) {
      const keys = Object.keys(state(definition, [...iteration, name, 'Parameters']));
      expect(keys.length).toBeLessThanOrEqual(5);
    }
  });
});

describe('presence-timeout workflow (local execution, real handler)', () => {
  const harness = new HandlerHarness('timeout-workflow', {
    PRESENCE_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
    STATUS_SHARDS: String(SHARDS),
    SWEEP_BATCH_SIZE: '500',
    PUSH_CONCURRENCY: '4',
  });
  const keys = new KeySpace(harness.keyPrefix, SHARDS);
  let pool: Pool;
  let redis: Redis;
  let sweepCalls: { shard: number; batchSize: number }[];

  const definition = substitute(SUBSTITUTIONS);

  /** The real handler, recording what the state machine asked of it. */
  const sweepHandler = (wrap?: (event: { shard: number; batchSize: number; startedAt: string }) => void): LambdaHandler => {
    const real = harness.handler('sweep-shard');
    return async (event, context) => {
      const payload = event as { shard: number; batchSize: number; startedAt: string };
      sweepCalls.push({ shard: payload.shard, batchSize: payload.batchSize });
      wrap?.(payload);
      return real(payload, context);
    };
  };

  const run = async (handler = sweepHandler(), collectEvents = false) => {
    const { output, events } = await runLocally(
      definition,
      { [FUNCTION_ARN]: handler },
      {},
      { collectEvents, retryIntervalOverrides: { SweepBatch: 0 } },
    );
    return { output: output as WorkflowOutput, events };
  };

  async function clearRedis(): Promise<void> {
    await deleteKeysWithPrefix(redis, harness.keyPrefix);
  }

  /** Users whose last activity lies `agoMs` in the past (well beyond the timeout), so their connections' deadlines passed. */
  async function makeStale(userIds: string[], agoMs = 10 * 60_000): Promise<Map<string, number>> {
    const at = new Map<string, number>();
    const base = Date.now() - agoMs;
    for (const [i, userId] of userIds.entries()) {
      const score = base - i * 1000;
      const shard = keys.shardOf(userId);
      await redis.multi().zadd(keys.status(shard), score, userId).zadd(keys.due(shard), score + TIMEOUT_SECONDS * 1000, userId).exec();
      at.set(userId, score);
    }
    return at;
  }

  /** Connected users gone stale, each with the same online friend ('friend', on 'c-friend'). */
  async function staleWithOneOnlineFriend(stale: string[]): Promise<void> {
    await seedUsers(pool, [...stale, 'friend']);
    await befriendAll(
      pool,
      stale.map((id) => ['friend', id] as const),
    );
    for (const id of stale) await harness.connect(id, `c-${id}`);
    await harness.connect('friend', 'c-friend');
    await makeStale(stale);
  }

  /** `perShard` user ids in every shard, so each shard needs several batches of BATCH. */
  function usersPerShard(prefix: string, perShard: number[]): string[] {
    const counts = new Array<number>(SHARDS).fill(0);
    const users: string[] = [];
    for (let i = 0; users.length < perShard.reduce((a, b) => a + b, 0); i++) {
      const id = `${prefix}${i}`;
      const shard = keys.shardOf(id);
      if (counts[shard]! < perShard[shard]!) {
        counts[shard]!++;
        users.push(id);
      }
    }
    return users;
  }

  async function shardMembers(): Promise<Set<string>> {
    const members = new Set<string>();
    for (let shard = 0; shard < SHARDS; shard++) for (const id of await redis.zrange(keys.status(shard), 0, -1)) members.add(id);
    return members;
  }

  beforeAll(async () => {
    await harness.start();
    pool = createPool();
    redis = new Redis(redisUrl());
  });

  afterAll(async () => {
    await clearRedis();
    redis.disconnect();
    await pool.end();
    await harness.close();
  });

  beforeEach(async () => {
    await clearRedis();
    await resetTables(pool);
    harness.connections.clearAll();
    sweepCalls = [];
  });

  it('times out stale users of every shard, tells their online friends, closes ghost sockets and records lastSeenAt', async () => {
    // 4, 5, 6 and 3 stale users: full batches force the Choice loop (3 → 2 batches, 6 → 3 batches).
    const perShard = [4, 5, 6, 3];
    const stale = usersPerShard('stale-', perShard);
    const fresh = ['fresh-1', 'fresh-2'];
    const everyone = [...stale, ...fresh, 'friend-a', 'friend-b', 'offline-friend', 'requester'];
    await seedUsers(pool, everyone);
    const half = stale.filter((_, i) => i % 2 === 0);
    await befriendAll(pool, [
      ...stale.map((id) => ['friend-a', id] as const),
      ...half.map((id) => [id, 'friend-b'] as const), // either direction counts
      ...stale.map((id) => ['offline-friend', id] as const),
      ...fresh.map((id) => ['friend-a', id] as const),
    ]);
    await befriendAll(pool, [['requester', stale[0]!]], { accepted: false });

    for (const id of [...stale, ...fresh]) expect((await harness.connect(id, `c-${id}`)).statusCode).toBe(200);
    await harness.connect('friend-a', 'c-friend-a');
    await harness.connect('friend-b', 'c-friend-b1');
    await harness.connect('friend-b', 'c-friend-b2');
    await harness.connect('requester', 'c-requester');
    harness.connections.clearAll(); // the came-online announcements of these connects are not what this test counts
    const lastActive = await makeStale(stale);

    const { output } = await run();

    // Every shard swept, looping until a batch came back short: floor(n / 3) + 1 batches.
    expect(output.shards.map((s) => s.shard)).toEqual([0, 1, 2, 3]);
    for (const result of output.shards) {
      const count = perShard[result.shard]!;
      expect(result).toEqual({
        shard: result.shard,
        batches: Math.floor(count / BATCH) + 1,
        timedOut: count,
        notifications: expect.any(Number),
      });
    }
    expect(sweepCalls.every((call) => call.batchSize === BATCH)).toBe(true);

    // Exactly the CONTRACT frame, once per timed-out friend, on every connection of every online friend.
    const expected = (ids: string[]) =>
      ids.map((userId) => ({ type: 'presence-timeout', userId, at: expect.any(Number) })).sort((a, b) => a.userId.localeCompare(b.userId));
    const received = (connectionId: string) =>
      (harness.connections.frames(connectionId) as { userId: string }[]).sort((a, b) => a.userId.localeCompare(b.userId));
    expect(received('c-friend-a')).toEqual(expected(stale));
    expect(received('c-friend-b1')).toEqual(expected(half));
    expect(received('c-friend-b2')).toEqual(expected(half));
    expect(harness.connections.frames('c-requester')).toEqual([]);
    for (const id of fresh) expect(harness.connections.frames(`c-${id}`)).toEqual([]);
    expect(output.shards.reduce((sum, s) => sum + s.notifications, 0)).toBe(stale.length + 2 * half.length);

    // Ghost sockets cut, nobody else's.
    expect([...harness.connections.closed].sort()).toEqual(stale.map((id) => `c-${id}`).sort());

    // Redis: only the fresh users and the friends are online; nothing left pending or connected.
    expect(await shardMembers()).toEqual(new Set([...fresh, 'friend-a', 'friend-b', 'requester']));
    for (let shard = 0; shard < SHARDS; shard++) expect(await redis.hlen(keys.pending(shard))).toBe(0);
    for (const id of stale) expect(await redis.exists(keys.connections(id), keys.page(id))).toBe(0);

    // GET /presence: offline friends carry lastSeenAt = their last activity; fresh friends are online.
    const response = await harness.getPresence('friend-a');
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body) as { presenceArr: { userId: string; page: unknown; lastSeenAt: string | null }[] };
    const byId = new Map(body.presenceArr.map((entry) => [entry.userId, entry]));
    for (const id of stale) {
      expect(byId.get(id)).toMatchObject({ page: null, lastSeenAt: new Date(lastActive.get(id)!).toISOString() });
    }
    for (const id of fresh) expect(byId.get(id)).toMatchObject({ page: expect.anything(), lastSeenAt: null });
  });

  it('is idempotent: a second execution processes nothing, sends nothing and fails nowhere', async () => {
    const stale = usersPerShard('again-', [2, 2, 2, 2]);
    await staleWithOneOnlineFriend(stale);

    const first = await run();
    expect(first.output.shards.reduce((sum, s) => sum + s.timedOut, 0)).toBe(stale.length);
    const framesAfterFirst = harness.connections.frames('c-friend').length;
    expect(framesAfterFirst).toBe(stale.length);
    const closedAfterFirst = harness.connections.closed.length;

    sweepCalls = [];
    const second = await run();
    expect(second.output.shards).toEqual([0, 1, 2, 3].map((shard) => ({ shard, batches: 1, timedOut: 0, notifications: 0 })));
    expect(harness.connections.frames('c-friend')).toHaveLength(framesAfterFirst);
    expect(harness.connections.closed).toHaveLength(closedAfterFirst);
    expect(await shardMembers()).toEqual(new Set(['friend']));
  });

  it('ends each empty shard after one batch', async () => {
    await seedUsers(pool, ['only-fresh']);
    await harness.connect('only-fresh', 'c-only-fresh');

    const { output } = await run();

    expect(output.shards).toEqual([0, 1, 2, 3].map((shard) => ({ shard, batches: 1, timedOut: 0, notifications: 0 })));
    expect(sweepCalls.map((call) => call.shard).sort()).toEqual([0, 1, 2, 3]);
    expect(await shardMembers()).toEqual(new Set(['only-fresh']));
  });

  it('stops looping on a shard once the time budget is spent, leaving the rest to the next run', async () => {
    const stale = usersPerShard('budget-', [5, 0, 0, 0]);
    await seedUsers(pool, stale);
    for (const id of stale) await harness.connect(id, `c-${id}`);
    await makeStale(stale);

    // An execution that started an hour ago has spent its budget (SWEEP_TIME_BUDGET_SECONDS, 45 s).
    const longAgo = new Date(Date.now() - 3_600_000).toISOString();
    const late = await run(sweepHandler((event) => (event.startedAt = longAgo)));
    expect(late.output.shards[0]).toMatchObject({ batches: 1, timedOut: BATCH });

    const next = await run();
    expect(next.output.shards[0]).toMatchObject({ batches: 1, timedOut: 2 });
    expect(await shardMembers()).toEqual(new Set());
  });

  it('retries throttled invocations, and a failing shard does not stop the others', async () => {
    const stale = usersPerShard('fail-', [2, 2, 2, 2]);
    await staleWithOneOnlineFriend(stale);

    let throttled = false;
    const flaky = sweepHandler((event) => {
      if (event.shard === 0 && !throttled) {
        throttled = true;
        throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
      }
      if (event.shard === 2) throw new Error('connection refused');
    });

    const { output } = await run(flaky);

    expect(output.shards[0]).toEqual({ shard: 0, batches: 1, timedOut: 2, notifications: 2 });
    expect(sweepCalls.filter((call) => call.shard === 0)).toHaveLength(2); // throttled once, then retried
    expect(output.shards[2]).toEqual({ shard: 2, batches: 0, timedOut: 0, notifications: 0, error: 'Error' });
    expect(sweepCalls.filter((call) => call.shard === 2)).toHaveLength(1); // function errors are not retried
    expect(output.shards[1]).toMatchObject({ timedOut: 2 });
    expect(output.shards[3]).toMatchObject({ timedOut: 2 });
    const shard2 = stale.filter((id) => keys.shardOf(id) === 2);
    expect(await shardMembers()).toEqual(new Set(['friend', ...shard2]));

    // The next run picks the failed shard up.
    const next = await run();
    expect(next.output.shards[2]).toEqual({ shard: 2, batches: 1, timedOut: 2, notifications: 2 });
    expect(harness.connections.frames('c-friend')).toHaveLength(stale.length);
  });

  it('keeps every state payload tiny', async () => {
    const stale = usersPerShard('size-', [4, 4, 4, 4]);
    await staleWithOneOnlineFriend(stale);

    const { output, events } = await run(sweepHandler(), true);

    const sizes = events
      .filter((event) => event.state)
      .flatMap((event) => [JSON.stringify(event.state!.input ?? null).length, JSON.stringify(event.state!.output ?? null).length]);
    expect(sizes.length).toBeGreaterThan(20);
    expect(Math.max(...sizes)).toBeLessThan(1024);
    // Per shard the Map keeps four small numbers: ~60 bytes even with 8-digit counts,
    // so 1,000 shards (the ArrayRange maximum) stay near 60 KB.
    for (const result of output.shards) {
      expect(Object.values(result).every((value) => typeof value === 'number')).toBe(true);
      const worst = JSON.stringify({ shard: 999, batches: 9999, timedOut: 99_999_999, notifications: 99_999_999 });
      expect(Object.keys(result)).toEqual(Object.keys(JSON.parse(worst) as object));
    }
  });
});
