/**
 * The Lambda-shaped benchmark: `npm run bench -- --scenario lambda [--invocations N] [--json]`, and a
 * step of the full run and of `--smoke`. Lambda runs one invocation at a time per execution
 * environment, so each function here gets an environment of its own (a fresh process,
 * bench/lambda-environment.ts) with the template's environment at its defaults (log level INFO,
 * metrics on, the budgets), and its invocations run one after the other with realistic events, each
 * followed by its floor: the same I/O with nothing around it. Every user is used once per function.
 *
 * Per function: billed duration per invocation (wall time rounded up to 1 ms, as Lambda bills), CPU
 * time, posts, Redis round trips and PostgreSQL queries per invocation, and the bytes and lines it
 * writes to stdout and stderr (CloudWatch Logs ingestion in AWS).
 */
import type { JsonWebKey } from 'node:crypto';
import { KeySpace } from '../layers/core/keys';
import { forEachBounded } from '../layers/core/push/concurrency';
import { startIdentityProvider, type IdentityProvider } from '../local/identity-provider';
import type { Bench } from './fixtures';
import { lambdaFigures, type InvocationSample, type LambdaReport, type LambdaRow } from './lambda-report';
import { startLambdaEnvironment } from './lambda-process';
import type { FloorWork } from './lambda-protocol';
import { differencesFromTemplate, templateFunction, type TemplateFunction } from './lambda-template';
import { HEARTBEAT_BODY, pageBody, restEvent, sampleEvent, wsEvent, type RestTemplate, type WsTemplate } from './operations';
import {
  REDIS_URL,
  benchConnection,
  connectQuietly,
  connectionOf,
  databaseUrl,
  joiner,
  lambdaHub,
  lambdaStaleUsers,
  ringUser,
} from './seed';

/** The JWT audience the benchmark's tokens carry and its authorizer accepts. */
const CLIENT_ID = 'bench-client';

/** What Lambda puts in the environment besides the template's variables (credentials: a role's, with a session token). */
function lambdaRuntimeVariables(fn: TemplateFunction): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.logicalId}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'bench',
    AWS_ACCESS_KEY_ID: 'ASIABENCHBENCHBENCH0',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key-not-a-real-one-000',
    // A role's session token is about 700-1,000 characters, and every post signs and sends it.
    AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjE'.padEnd(800, 'x'),
  };
}

/** Where the environment differs from Lambda's with the template's defaults, whatever the function. */
export const COMMON_DIFFERENCES = [
  'CPU: a whole core of this shared machine per environment (Lambda gives 512 MB about 0.3 vCPU, 1,769 MB one vCPU)',
  'network: loopback to Redis, PostgreSQL and the @connections sink (in AWS: the VPC, and the NAT for @connections)',
  'Redis without TLS (template: RedisTls true); PostgreSQL without TLS (template: PostgresSsl true) and its password not read from Secrets Manager',
  '@connections: the benchmark sink over plain HTTP, signatures not checked; JWKS: the local issuer over HTTP',
  "Node 20 running the TypeScript sources through tsx, not the nodejs24.x esbuild bundle (and the AWS SDK's notice that it wants Node 22 turned off)",
  "CPU ms: the whole process's, V8's compiler and garbage collector threads included",
];

/** Variables the benchmark sets although the template does not, shown when they differ. */
const WATCHED = ['POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_METRICS_DISABLED'];

interface Case {
  /** The row's name, e.g. `update-presence, 200 friends online`. */
  name: string;
  logicalId: string;
  /** How the users are chosen. */
  users: string;
  /** How many invocations (warm-ups included) this case runs; the default is the settings'. */
  total?: number;
  warmups?: number;
  /** Work before the i-th invocation (not timed). */
  prepare?: (i: number) => Promise<void>;
  event: (i: number) => unknown;
  /** The posts and closes a correct invocation makes; undefined: none expected. */
  expected?: { posts: number; closes: number };
  ok: (outcome: unknown) => boolean;
  /** Added to the floor (the authorizer's token). */
  floorExtra?: (i: number) => Partial<FloorWork>;
}

const statusOk = (outcome: unknown): boolean => (outcome as { statusCode?: number } | undefined)?.statusCode === 200;

function cases(b: Bench, idp: IdentityProvider): Case[] {
  const { size } = b.settings;
  const { invocations, warmups, sweepBatches } = b.settings.lambda;
  const total = warmups + invocations;
  const templates = {
    heartbeat: sampleEvent<WsTemplate>('heartbeat'),
    update: sampleEvent<WsTemplate>('update-presence'),
    connect: sampleEvent<WsTemplate>('connect'),
    disconnect: sampleEvent<WsTemplate>('disconnect'),
    getPresence: sampleEvent<RestTemplate>('get-presence'),
    authorizer: sampleEvent<WsTemplate>('authorizer'),
    sweep: sampleEvent<Record<string, unknown>>('sweep-shard'),
  };
  // Spread over the ring; the update's users are not the heartbeat's.
  const spread = (i: number, offset: number): string => ringUser((offset + Math.floor((i * size.ring) / (2 * total))) % size.ring);
  const tokens = Array.from({ length: total }, (_, i) => idp.mintToken({ userId: spread(i, 0), clientId: CLIENT_ID }));
  /** $connect or $disconnect of `userId`'s connection; `extra`: the handshake's query string. */
  const connectionEvent = (template: WsTemplate, userId: string, extra: Record<string, unknown> = {}): unknown => ({
    ...template,
    ...extra,
    requestContext: {
      ...template.requestContext,
      connectionId: connectionOf(userId),
      connectedAt: Date.now(),
      requestTimeEpoch: Date.now(),
      authorizer: { principalId: userId, userId, integrationLatency: 12 },
    },
  });
  const handshake = (userId: string): Record<string, unknown> => {
    const token = idp.mintToken({ userId, clientId: CLIENT_ID });
    return { queryStringParameters: { Authorization: token }, multiValueQueryStringParameters: { Authorization: [token] } };
  };
  const staleUsers = lambdaStaleUsers(size.lambda);
  const sweepTemplate = templateFunction('SweepShardFunction', {});
  const batchSize = Number(sweepTemplate.environment.SWEEP_BATCH_SIZE);
  const timeoutMs = Number(sweepTemplate.environment.PRESENCE_TIMEOUT_SECONDS) * 1000;
  const shardKeys = new KeySpace('', size.lambda.statusShards);
  const offlineGrace = Number(templateFunction('DisconnectFunction', {}).environment.OFFLINE_GRACE_SECONDS ?? 0) > 0;
  return [
    {
      name: 'authorizer ($connect, a valid token)',
      logicalId: 'AuthorizerFunction',
      users: `${total} users, one token each`,
      event: (i) => ({
        ...templates.authorizer,
        queryStringParameters: { Authorization: tokens[i] },
        multiValueQueryStringParameters: { Authorization: [tokens[i]] },
        requestContext: { ...templates.authorizer.requestContext, connectionId: `c-auth-${i}`, requestTimeEpoch: Date.now() },
      }),
      ok: (outcome) =>
        (outcome as { policyDocument?: { Statement?: { Effect?: string }[] } }).policyDocument?.Statement?.[0]?.Effect === 'Allow',
      floorExtra: (i) => ({ token: tokens[i] }),
    },
    {
      name: 'heartbeat',
      logicalId: 'HeartbeatFunction',
      users: `${total} online users, one heartbeat each`,
      event: (i) => wsEvent(templates.heartbeat, spread(i, 0), HEARTBEAT_BODY),
      ok: statusOk,
    },
    {
      name: `update-presence, ${size.ringFriends} friends online`,
      logicalId: 'UpdatePresenceFunction',
      users: `${total} online users, one page change each`,
      event: (i) => wsEvent(templates.update, spread(i, 1), pageBody(i)),
      expected: { posts: size.ringFriends + 1, closes: 0 },
      ok: statusOk,
    },
    {
      name: `update-presence, ${size.hubFriends} friends online`,
      logicalId: 'UpdatePresenceFunction',
      users: `${total} online users, one page change each`,
      event: (i) => wsEvent(templates.update, lambdaHub(i), pageBody(i)),
      expected: { posts: size.hubFriends + 1, closes: 0 },
      ok: statusOk,
    },
    {
      name: `GET /presence, ${size.hubFriends} friends`,
      logicalId: 'GetPresenceFunction',
      users: `${total} users, one request each`,
      // An ID token of the app client the template is deployed with here.
      event: (i) => restEvent(templates.getPresence, lambdaHub(i), {}, { aud: CLIENT_ID }),
      ok: statusOk,
    },
    {
      name: `$connect, ${size.staleFriends} friends online`,
      logicalId: 'ConnectFunction',
      users: `${total} offline users, each comes online once`,
      event: (i) => connectionEvent(templates.connect, joiner(i), handshake(joiner(i))),
      expected: { posts: size.staleFriends, closes: 0 },
      ok: statusOk,
    },
    {
      name: `$disconnect, ${size.staleFriends} friends online`,
      logicalId: 'DisconnectFunction',
      users: `the same ${total} users, each goes offline once`,
      event: (i) => connectionEvent(templates.disconnect, joiner(i)),
      // With an offline grace, friends hear of it from the sweep once the grace is over.
      expected: { posts: offlineGrace ? 0 : size.staleFriends, closes: 0 },
      ok: statusOk,
    },
    {
      name: `sweep batch, ${staleUsers.length} stale x ${size.staleFriends} friends online`,
      logicalId: 'SweepShardFunction',
      users: `the same ${staleUsers.length} users of shard ${size.lambda.staleShard} made stale again before each batch`,
      total: 1 + sweepBatches,
      warmups: 1,
      prepare: async (i) => {
        // Nobody else in the shard may be stale: the sweep would time them out instead.
        if (i === 0) {
          const now = Date.now();
          const online = b.graph.online.filter((userId) => shardKeys.shardOf(userId) === size.lambda.staleShard);
          await forEachBounded(
            online,
            64,
            async (userId) => void (await b.store.heartbeat(userId, benchConnection(userId, now, timeoutMs), now)),
          );
        }
        const past = Date.now() - timeoutMs - 60_000;
        await forEachBounded(staleUsers, 64, (userId) => connectQuietly(b.store, userId, past, timeoutMs));
      },
      event: () => ({ ...templates.sweep, shard: size.lambda.staleShard, startedAt: new Date().toISOString(), batchSize }),
      expected: { posts: staleUsers.length * size.staleFriends, closes: staleUsers.length },
      ok: (outcome) => (outcome as { timedOut?: number }).timedOut === staleUsers.length,
    },
  ];
}

/**
 * A function's environment as Lambda gives it, with the template's variables at their defaults; the
 * infrastructure the template names is the benchmark's (see COMMON_DIFFERENCES), plus `extra`.
 */
export function lambdaEnvironment(b: Bench, fn: TemplateFunction, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    REDIS_URL,
    REDIS_KEY_PREFIX: b.settings.keyPrefix,
    DATABASE_URL: databaseUrl(b.settings.dbName),
    WEBSOCKET_MANAGEMENT_ENDPOINT: b.meters.sink.endpoint,
    // Node 20 only: the SDK's notice that it wants Node 22 (Lambda runs nodejs24.x).
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
    ...fn.environment,
    ...lambdaRuntimeVariables(fn),
  };
}

async function runCase(b: Bench, c: Case, idp: IdentityProvider): Promise<LambdaRow> {
  const fn = templateFunction(c.logicalId, { CognitoClientIds: [CLIENT_ID] });
  const env = lambdaEnvironment(b, fn, { JWT_ISSUER: idp.issuer, JWT_JWKS_URI: idp.jwksUri });
  const environment = startLambdaEnvironment(env);
  const { invocations, warmups } = b.settings.lambda;
  const total = c.total ?? warmups + invocations;
  const warm = c.warmups ?? warmups;
  const samples: InvocationSample[] = [];
  const problems: string[] = [];
  let first: InvocationSample | undefined;
  try {
    const { reply: ready } = await environment.request(
      {
        type: 'init',
        entryFile: fn.entryFile,
        exportName: fn.exportName,
        functionName: fn.logicalId,
        memoryMb: fn.memoryMb,
        jwk: { ...idp.key.publicJwk } satisfies JsonWebKey,
      },
      'ready',
    );
    for (let i = 0; i < total; i++) {
      await c.prepare?.(i);
      const sink = await b.meters.sink.stats();
      const invoked = await environment.request(
        { type: 'invoke', id: i, event: c.event(i), timeoutMs: fn.timeoutSeconds * 1000 },
        'invoked',
      );
      const afterInvocation = await b.meters.sink.stats();
      const posts = afterInvocation.posts - sink.posts;
      const closes = afterInvocation.closes - sink.closes;
      const { reply } = invoked;
      const problem = reply.error
        ? `threw ${reply.error}`
        : !c.ok(reply.outcome)
          ? `answered ${JSON.stringify(reply.outcome).slice(0, 300)}`
          : c.expected && (posts !== c.expected.posts || closes !== c.expected.closes)
            ? `made ${posts} posts and ${closes} closes, expected ${c.expected.posts} and ${c.expected.closes}`
            : undefined;
      if (problem) problems.push(`invocation ${i}: ${problem}`);
      const floorWork: FloorWork = {
        redisRoundTrips: reply.redisRoundTrips,
        pgQueries: reply.pgQueries,
        posts,
        closes,
        ...c.floorExtra?.(i),
      };
      const floor = await environment.request({ type: 'floor', id: i, work: floorWork }, 'floor');
      if (floor.reply.error) problems.push(`floor ${i}: ${floor.reply.error}`);
      const sample: InvocationSample = {
        wallMs: reply.wallMs,
        cpuUs: reply.cpuUs,
        posts,
        closes,
        redisRoundTrips: reply.redisRoundTrips,
        pgQueries: reply.pgQueries,
        stdout: invoked.stdout,
        stderr: invoked.stderr,
        floorWallMs: floor.reply.wallMs,
        floorCpuUs: floor.reply.cpuUs,
      };
      if (i === 0) first = sample;
      if (i >= warm) samples.push(sample);
    }
    for (const problem of problems.slice(0, 5)) b.log(`  ${c.name}: ${problem}`);
    return lambdaFigures({
      name: c.name,
      logicalId: c.logicalId,
      memoryMb: fn.memoryMb,
      users: c.users,
      samples,
      first: first!,
      loadMsUnderTsx: ready.loadMs,
      errors: problems.length,
      differences: differencesFromTemplate(fn.environment, env, WATCHED),
    });
  } finally {
    await environment.close();
  }
}

/** Every function of the table in turn, each in its own environment; the figures in `b.lambda`. */
export async function lambdaShaped(b: Bench): Promise<LambdaReport> {
  b.log("Lambda-shaped: one invocation at a time per execution environment, the template's settings");
  const idp = await startIdentityProvider();
  try {
    const rows: LambdaRow[] = [];
    for (const c of cases(b, idp)) {
      const row = await runCase(b, c, idp);
      rows.push(row);
      b.log(
        `  ${row.name}: billed ${row.billedMs.median} ms median, ${row.billedMs.p90} p90, ${row.billedMs.mean.toFixed(2)} mean (floor ${row.floor.billedMs.mean.toFixed(2)}), ${row.perInvocation.logBytes.toFixed(0)} log bytes${row.errors ? `, ${row.errors} ERRORS` : ''}`,
      );
    }
    const report: LambdaReport = {
      invocations: b.settings.lambda.invocations,
      warmups: b.settings.lambda.warmups,
      rows,
      commonDifferences: COMMON_DIFFERENCES,
    };
    b.lambda = report;
    return report;
  } finally {
    await idp.close();
  }
}
