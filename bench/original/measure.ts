/**
 * The two ways the harness measures a path, the same way for every contender:
 * - one invocation at a time per execution environment (Lambda's way): a fresh environment per
 *   contender per path, their invocations taking turns (a slow spell of the shared machine hits all of
 *   them), each invocation's wall and CPU time, the posts and closes the sink received, Redis's own
 *   counters (reads: round trips; commands) and what the function wrote to stdout and stderr;
 * - throughput with a number of invocations in flight in one environment (the earlier sessions'
 *   shape), runs alternating between the contenders.
 * Every invocation must succeed and make exactly the posts its path makes, on every side; anything else
 * is a problem that fails the run.
 */
import { EnvironmentProcess, type Written } from '../lambda-process';
import { connectionOf, lambdaHub, ringUser } from '../seed';
import { succeeded } from './events';
import type { Fixtures } from './fixtures';
import type { EnvironmentReply, EnvironmentRequest, EventKit, PathName, Subject } from './protocol';
import { CONTENDERS, FUNCTIONS, originalEnvironment, originalSdkConfig, ourEnvironment, type Contender } from './sides';

/** One contender's environment: ./environment.ts, bundled, under plain node (no loader, no inherited variables). */
type OriginalEnvironment = EnvironmentProcess<EnvironmentRequest, EnvironmentReply>;

export interface Builds {
  environment: string;
  /** Bundle per our logical id, and per the original's function name. */
  ours: Record<string, string>;
  original: Record<string, string>;
}

export interface Harness {
  fixtures: Fixtures;
  builds: Builds;
  originalDir: string;
  kit: EventKit;
  log: (line: string) => void;
  /** Problems found (failed calls, wrong post counts); any fails the run. */
  problems: string[];
}

export interface InvocationSample {
  wallMs: number;
  cpuUs: number;
  posts: number;
  closes: number;
  redisReads: number;
  redisCommands: number;
  logBytes: number;
  logLines: number;
  dynamoWrites: number;
}

export interface SequentialResult {
  contender: Contender;
  memoryMb: number;
  samples: InvocationSample[];
  /** The environment's first invocation (its clients connect then), not among `samples`. */
  first?: InvocationSample;
  /** What the first measured invocation wrote to stdout and stderr (its start). */
  sampleOutput?: string;
  loadMs: number;
}

export interface LoadRun {
  ops: number;
  wallMs: number;
  cpuUs: number;
  /** redis-server's CPU time during the run. */
  redisCpuUs: number;
  posts: number;
  logBytes: number;
}

export interface LoadResult {
  contender: Contender;
  runs: LoadRun[];
}

/** The posts and closes a correct invocation of `path` makes on `side`. */
export function expectedPushes(path: PathName, side: 'ours' | 'original', h: Harness): { posts: number; closes: number } {
  const { size } = h.fixtures;
  switch (path) {
    case 'heartbeat':
    case 'get-presence-200':
      return { posts: 0, closes: 0 };
    case 'update-20':
      return { posts: size.ringFriends + 1, closes: 0 };
    case 'update-200':
      return { posts: size.hubFriends + 1, closes: 0 };
    case 'sweep':
      // Ours also closes each timed-out user's socket; the original never does.
      return { posts: size.lambda.stale * size.staleFriends, closes: side === 'ours' ? size.lambda.stale : 0 };
  }
}

const subject = (userId: string): Subject => ({ userId, connectionId: connectionOf(userId) });

/** A different user for every invocation of every contender (our budgets are per connection and per user). */
function subjectFor(path: PathName, contenderIndex: number, i: number, total: number, h: Harness): Subject {
  const { ring } = h.fixtures.size;
  switch (path) {
    case 'heartbeat':
      return subject(ringUser((contenderIndex * total + i) % ring));
    case 'update-20':
      return subject(ringUser((ring / 2 + contenderIndex * total + i) % ring));
    case 'update-200':
      // The original's layout is its own: its updates may share users with ours, our two settings may not.
      return subject(lambdaHub(CONTENDERS[contenderIndex]?.key === 'ours-silent' ? total + i : i));
    case 'get-presence-200':
      return subject(lambdaHub(i));
    case 'sweep':
      return { userId: 'sweep', connectionId: 'none' };
  }
}

async function startEnvironment(
  h: Harness,
  path: PathName,
  contender: Contender,
): Promise<{ env: OriginalEnvironment; memoryMb: number; loadMs: number }> {
  const { infra, size } = h.fixtures;
  const names = FUNCTIONS[path];
  const fn =
    contender.side === 'ours'
      ? ourEnvironment(names.ours, infra, contender.overrides)
      : originalEnvironment(names.original, h.originalDir, infra);
  const handlerFile = contender.side === 'ours' ? h.builds.ours[names.ours] : h.builds.original[names.original];
  if (!handlerFile) throw new Error(`no bundle for ${contender.key} ${path}`);
  const env = EnvironmentProcess.fork<EnvironmentRequest, EnvironmentReply>(`${contender.key} ${path}`, h.builds.environment, fn.env);
  try {
    const { reply } = await env.request(
      {
        type: 'init',
        handlerFile,
        exportName: fn.exportName,
        functionName: fn.functionName,
        memoryMb: fn.memoryMb,
        timeoutMs: fn.timeoutMs,
        side: contender.side,
        path,
        kit: h.kit,
        sweep: { shard: size.lambda.staleShard, batchSize: Number(fn.env.SWEEP_BATCH_SIZE ?? size.lambda.stale) },
        awsSdkConfig: contender.side === 'original' ? originalSdkConfig(infra) : undefined,
      },
      'ready',
    );
    return { env, memoryMb: fn.memoryMb, loadMs: reply.loadMs };
  } catch (error) {
    await env.close();
    throw error;
  }
}

async function startAll(h: Harness, path: PathName): Promise<{ env: OriginalEnvironment; memoryMb: number; loadMs: number }[]> {
  const started: { env: OriginalEnvironment; memoryMb: number; loadMs: number }[] = [];
  try {
    for (const contender of CONTENDERS) started.push(await startEnvironment(h, path, contender));
    return started;
  } catch (error) {
    await Promise.all(started.map(({ env }) => env.close()));
    throw error;
  }
}

const logOf = (stdout: Written, stderr: Written): { bytes: number; lines: number } => ({
  bytes: stdout.bytes + stderr.bytes,
  lines: stdout.lines + stderr.lines,
});

/** `total` invocations per contender (the first `warmups` not counted), taking turns. */
export async function sequential(h: Harness, path: PathName, total: number, warmups: number): Promise<SequentialResult[]> {
  const f = h.fixtures;
  const environments = await startAll(h, path);
  try {
    const results: SequentialResult[] = CONTENDERS.map((contender, k) => ({
      contender,
      memoryMb: environments[k]!.memoryMb,
      loadMs: environments[k]!.loadMs,
      samples: [],
    }));
    for (let i = 0; i < total; i++) {
      for (let turn = 0; turn < CONTENDERS.length; turn++) {
        // Whoever goes first changes from round to round.
        const k = (i + turn) % CONTENDERS.length;
        const contender = CONTENDERS[k]!;
        await f.keepOnline();
        if (path === 'sweep') await f.makeStale(contender.side);
        const sinkBefore = await f.sink.stats();
        const redisBefore = await f.redisCounts();
        const dynamoBefore = f.dynamoWrites();
        const { reply, stdout, stderr, output } = await environments[k]!.env.request(
          { type: 'invoke', subject: subjectFor(path, k, i, total, h), seq: i },
          'invoked',
          { capture: i === warmups },
        );
        const redisAfter = await f.redisCounts();
        const sinkAfter = await f.sink.stats();
        const log = logOf(stdout, stderr);
        const sample: InvocationSample = {
          wallMs: reply.wallMs,
          cpuUs: reply.cpuUs,
          posts: sinkAfter.posts - sinkBefore.posts,
          closes: sinkAfter.closes - sinkBefore.closes,
          redisReads: redisAfter.reads - redisBefore.reads,
          redisCommands: redisAfter.commands - redisBefore.commands,
          logBytes: log.bytes,
          logLines: log.lines,
          dynamoWrites: f.dynamoWrites() - dynamoBefore,
        };
        const expected = expectedPushes(path, contender.side, h);
        const problem = reply.error
          ? `threw ${reply.error}`
          : !succeeded(path, contender.side, reply.outcome, f.size.lambda.stale)
            ? `answered ${JSON.stringify(reply.outcome).slice(0, 300)}`
            : sample.posts !== expected.posts || sample.closes !== expected.closes
              ? `made ${sample.posts} posts and ${sample.closes} closes, expected ${expected.posts} and ${expected.closes}`
              : undefined;
        if (problem) h.problems.push(`${path}, ${contender.key}, invocation ${i}: ${problem}`);
        const result = results[k]!;
        if (i === 0) result.first = sample;
        if (i >= warmups) result.samples.push(sample);
        if (output !== undefined) result.sampleOutput = output;
      }
      if ((i + 1) % 50 === 0) h.log(`  ${path}: ${i + 1}/${total} rounds`);
    }
    return results;
  } finally {
    await Promise.all(environments.map(({ env }) => env.close()));
  }
}

/** Warm-up, then `runs` rounds of `durationMs` each with `concurrency` in flight, the contenders taking turns. */
export async function throughput(
  h: Harness,
  path: 'heartbeat' | 'update-20',
  options: { runs: number; durationMs: number; warmupMs: number; concurrency: number },
): Promise<LoadResult[]> {
  const f = h.fixtures;
  // Always different users in flight. Updates: ring users (20 friends each, all online). Heartbeats: every
  // online user, so that no connection comes near its message budget (MESSAGE_RATE_LIMIT per window).
  const users = path === 'heartbeat' ? f.graph.online : Array.from({ length: f.size.ring }, (_, i) => ringUser(i));
  const subjects = users.map(subject);
  const environments = await startAll(h, path);
  try {
    const results: LoadResult[] = CONTENDERS.map((contender) => ({ contender, runs: [] }));
    for (let run = -1; run < options.runs; run++) {
      for (let turn = 0; turn < CONTENDERS.length; turn++) {
        const k = (Math.max(run, 0) + turn) % CONTENDERS.length;
        const contender = CONTENDERS[k]!;
        await f.keepOnline();
        const sinkBefore = await f.sink.stats();
        const redisCpuBefore = await f.redisCpuUs();
        const { reply, stdout, stderr } = await environments[k]!.env.request(
          {
            type: 'load',
            subjects,
            offset: ((run + 1) * CONTENDERS.length + k) * 1_777,
            concurrency: options.concurrency,
            durationMs: run < 0 ? options.warmupMs : options.durationMs,
          },
          'loaded',
        );
        const redisCpuUs = (await f.redisCpuUs()) - redisCpuBefore;
        const sinkAfter = await f.sink.stats();
        const posts = sinkAfter.posts - sinkBefore.posts;
        const expected = expectedPushes(path, contender.side, h).posts * reply.ops;
        const label = run < 0 ? 'warm-up' : `run ${run + 1}`;
        if (reply.errors > 0)
          h.problems.push(
            `${path} at ${options.concurrency} in flight, ${contender.key}, ${label}: ${reply.errors} of ${reply.ops} failed (${reply.firstError})`,
          );
        if (posts !== expected)
          h.problems.push(
            `${path} at ${options.concurrency} in flight, ${contender.key}, ${label}: ${posts} posts for ${reply.ops} invocations, expected ${expected}`,
          );
        if (run >= 0)
          results[k]!.runs.push({
            ops: reply.ops,
            wallMs: reply.wallMs,
            cpuUs: reply.cpuUs,
            redisCpuUs,
            posts,
            logBytes: logOf(stdout, stderr).bytes,
          });
      }
    }
    return results;
  } finally {
    await Promise.all(environments.map(({ env }) => env.close()));
  }
}
