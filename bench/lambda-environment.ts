/**
 * One Lambda execution environment of the Lambda-shaped benchmark (bench/lambda.ts): a process of its
 * own, forked with the function's template environment, that loads one handler and runs one
 * invocation at a time when told to, as Lambda runs them. A process rather than a worker thread,
 * because the CPU time it reports per invocation must be this environment's alone (process.cpuUsage
 * covers every thread of a process). What the handler writes to stdout and stderr (its log lines and
 * EMF metrics, CloudWatch Logs ingestion in AWS) goes to the parent, which counts it per invocation:
 * after each request this process writes END_OF_INVOCATION to both streams, then answers.
 *
 * Between invocations it also runs the floor the parent asks for: the same I/O with nothing around it
 * (each Redis round trip as one EVALSHA of a one-command script, each PostgreSQL query as SELECT 1,
 * the posts and closes over bare undici, unsigned, PUSH_CONCURRENCY in flight; for the authorizer the
 * token's RS256 signature checked with node:crypto).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Context } from 'aws-lambda';
import Redis from 'ioredis';
import { Client } from 'pg';
import { loadConfig } from '../layers/core/config';
import { forEachBounded } from '../layers/core/push/concurrency';
import { lambdaContext } from '../local/lambda/context';
import { END_OF_INVOCATION, type EnvironmentReply, type EnvironmentRequest, type FloorWork } from './lambda-protocol';
import { timed } from './timed';
import { transportFloorGateway } from './transport-floor';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** The floor's Redis round trip: a script call doing a heartbeat's one write (activity never moves back in time). */
const FLOOR_SCRIPT = "return redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2])";

/**
 * Counts the Redis round trips (commands sent outside a pipeline, plus one per pipeline) and the
 * PostgreSQL queries of every client in this process, the handler's included: the handler's clients
 * are created inside its module, so the count is kept on the libraries' prototypes. A measuring
 * harness only; nothing deployed does this.
 */
function countRoundTrips(): () => { redisRoundTrips: number; pgQueries: number } {
  const counts = { redisRoundTrips: 0, pgQueries: 0 };
  type SendCommand = (this: unknown, command: unknown, stream?: { isPipeline?: boolean }, ...rest: unknown[]) => unknown;
  const redisProto = Redis.prototype as unknown as { sendCommand: SendCommand };
  const sendCommand = redisProto.sendCommand;
  redisProto.sendCommand = function (command, stream, ...rest) {
    if (!stream?.isPipeline) counts.redisRoundTrips++;
    return sendCommand.call(this, command, stream, ...rest);
  };
  const probe = new Redis({ lazyConnect: true });
  const pipelineProto = Object.getPrototypeOf(probe.pipeline()) as { exec: (...args: unknown[]) => unknown };
  probe.disconnect();
  const exec = pipelineProto.exec;
  pipelineProto.exec = function (this: unknown, ...args: unknown[]) {
    counts.redisRoundTrips++;
    return exec.apply(this, args);
  };
  const pgProto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = pgProto.query;
  pgProto.query = function (this: unknown, ...args: unknown[]) {
    counts.pgQueries++;
    return query.apply(this, args);
  };
  return () => ({ ...counts });
}

/** The outcome without a REST body (GET /presence's is kilobytes): its length instead. */
function outcomeOf(result: unknown): unknown {
  if (result && typeof result === 'object' && 'body' in result && typeof result.body === 'string') {
    const { body, ...rest } = result;
    return { ...rest, bodyBytes: Buffer.byteLength(body) };
  }
  return result;
}

function main(): void {
  const send = (reply: EnvironmentReply): void => {
    process.send?.(reply);
  };
  const endOfRequest = (reply: EnvironmentReply): void => {
    process.stdout.write(END_OF_INVOCATION);
    process.stderr.write(END_OF_INVOCATION);
    send(reply);
  };
  const roundTrips = countRoundTrips();
  const config = loadConfig(process.env);
  const floorRedis = new Redis(process.env.REDIS_URL ?? '', { lazyConnect: true });
  const floorPg = new Client({ connectionString: process.env.DATABASE_URL });
  const floorPush = transportFloorGateway(config.managementEndpoint ?? '', config.presence.pushConcurrency);
  const floorFrame = Buffer.from('{"type":"presence-timeout","userId":"floor"}');
  let handler: Handler | undefined;
  let context: (timeoutMs: number) => Context = () => lambdaContext({ functionName: 'unknown' });
  // defineCommand: EVALSHA, and EVAL again when Redis lost the script (another client's SCRIPT FLUSH).
  floorRedis.defineCommand('benchFloor', { numberOfKeys: 1, lua: FLOOR_SCRIPT });
  const floorCall = floorRedis as unknown as { benchFloor(key: string, score: number, member: string): Promise<unknown> };
  let floorKey = '';
  let publicKey: KeyObject | undefined;

  const floor = async (work: FloorWork): Promise<void> => {
    for (let i = 0; i < work.redisRoundTrips; i++) await floorCall.benchFloor(floorKey, Date.now(), 'floor');
    for (let i = 0; i < work.pgQueries; i++) await floorPg.query('SELECT 1');
    if (work.token && publicKey) {
      const [header, payload, signature] = work.token.split('.');
      if (!verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature ?? '', 'base64url'))) {
        throw new Error('floor: the token signature did not verify');
      }
    }
    const pushes: ('post' | 'close')[] = [...Array<'post'>(work.posts).fill('post'), ...Array<'close'>(work.closes).fill('close')];
    let failed: Error | undefined;
    await forEachBounded(pushes, config.presence.pushConcurrency, async (kind) => {
      const id = `floor-${kind}`;
      await (kind === 'post' ? floorPush.gateway.post(id, floorFrame) : floorPush.gateway.close(id)).catch((error: unknown) => {
        failed ??= error instanceof Error ? error : new Error(String(error));
      });
    });
    // A floor whose posts failed would be cheap for nothing.
    if (failed) throw failed;
  };

  const handle = async (request: EnvironmentRequest): Promise<void> => {
    switch (request.type) {
      case 'init': {
        await floorRedis.connect();
        await floorPg.connect();
        // Under the benchmark's key prefix, so its cleanup takes it.
        floorKey = `${config.redis.keyPrefix}floor:${request.functionName}`;
        if (request.jwk) publicKey = createPublicKey({ key: request.jwk, format: 'jwk' });
        const { functionName, memoryMb } = request;
        context = (timeoutMs) => lambdaContext({ functionName, memoryMb, deadline: Date.now() + timeoutMs, logStreamName: 'bench' });
        const t0 = performance.now();
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler is chosen at run time
        const loaded = require(request.entryFile) as Record<string, Handler>;
        const loadMs = performance.now() - t0;
        handler = loaded[request.exportName];
        if (!handler) throw new Error(`${request.entryFile} exports no ${request.exportName}`);
        endOfRequest({ type: 'ready', loadMs });
        return;
      }
      case 'invoke': {
        const before = roundTrips();
        const run = await timed(() => handler!(request.event, context(request.timeoutMs)));
        const after = roundTrips();
        endOfRequest({
          type: 'invoked',
          id: request.id,
          outcome: outcomeOf(run.value),
          error: run.error,
          wallMs: run.wallMs,
          cpuUs: run.cpuUs,
          redisRoundTrips: after.redisRoundTrips - before.redisRoundTrips,
          pgQueries: after.pgQueries - before.pgQueries,
        });
        return;
      }
      case 'floor': {
        const run = await timed(() => floor(request.work));
        endOfRequest({ type: 'floor', id: request.id, error: run.error, wallMs: run.wallMs, cpuUs: run.cpuUs });
        return;
      }
      case 'close':
        await Promise.allSettled([floorRedis.quit(), floorPg.end(), floorPush.shutdown()]);
        process.exit(0);
    }
  };

  process.on('message', (request: EnvironmentRequest) => {
    handle(request).catch((error: unknown) =>
      send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  // The parent died or was interrupted: never outlive it.
  process.on('disconnect', () => process.exit(0));
}

main();
