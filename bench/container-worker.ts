/**
 * One "container" of the benchmark: a worker thread with its own module-scope
 * runtime (Redis connection, PostgreSQL pool, @connections client), as a Lambda
 * container has. bench/containers.ts starts one per core and splits each
 * scenario's concurrency between them, so the handlers use every core.
 * The parent configures the environment before starting the thread, so the
 * handlers and the runtime modules can be imported statically.
 */
import { Session } from 'node:inspector';
import { parentPort, workerData } from 'node:worker_threads';
import { forEachBounded } from '../layers/core/push/concurrency';
import type { ConnectionGateway } from '../layers/core/ports/connection-gateway';
import { ApiGatewayConnectionGateway } from '../layers/core/push/connection-gateway';
import { deliverAll } from '../layers/core/push/fan-out';
import { closeRuntime, getRuntime, type Runtime } from '../layers/core/runtime';
import type { ContainerReply, ContainerRequest, LoadSpec, PushClient } from './containers';
import * as handlers from './handlers';
import { SAMPLE_PUSH, createOperations } from './operations';
import { sdkGateway } from './sdk-gateway';
import { benchConnection } from './seed';
import { diff, instrument, runLoad, type Counts } from './support';
import { transportFloorGateway } from './transport-floor';

interface WorkerData {
  index: number;
}

const { index } = workerData as WorkerData;

function post(session: Session, method: string): Promise<unknown> {
  return new Promise((resolve, reject) => session.post(method, (error, result) => (error ? reject(error) : resolve(result))));
}

async function main(): Promise<void> {
  if (!parentPort) throw new Error('bench/container-worker.ts runs as a worker thread');
  const port = parentPort;
  const operations = createOperations(handlers);
  const runtime: Runtime = getRuntime({ push: true });
  const meter = await instrument(runtime.redis, runtime.pool);
  const { config } = runtime;
  const { managementEndpoint, awsRegion, presence } = config;
  // Each client alone, for the rows that compare them (created on first use).
  const clients = new Map<PushClient, ConnectionGateway>();
  const clientFor = (kind: PushClient): ConnectionGateway => {
    let gateway = clients.get(kind);
    if (!gateway) {
      gateway =
        kind === 'lean'
          ? ApiGatewayConnectionGateway.create(managementEndpoint!, awsRegion, presence.pushConcurrency, presence.pushTimeoutMs)
          : kind === 'sdk'
            ? sdkGateway(managementEndpoint!, awsRegion ?? 'us-east-1', presence.pushConcurrency)
            : transportFloorGateway(managementEndpoint!, presence.pushConcurrency).gateway;
      clients.set(kind, gateway);
    }
    return gateway;
  };
  const frame = Buffer.from(SAMPLE_PUSH);
  // Different threads walk the user lists from different places.
  const offset = index * 1_000_003;
  const pick = (list: readonly string[], seq: number): string => list[((seq + offset) * 7919) % list.length]!;

  const opFor = (spec: LoadSpec): ((worker: number, seq: number) => Promise<boolean>) => {
    switch (spec.op) {
      case 'fan-out': {
        const deliveries = Array.from({ length: spec.posts }, (_, i) => ({
          target: { userId: `f${i}`, connectionId: `c-f${i}` },
          data: frame,
        }));
        const gateway = clientFor(spec.client);
        return () => deliverAll(gateway, deliveries, presence.pushConcurrency).then((r) => r.sent === spec.posts);
      }
      case 'redis-ping':
        return () => runtime.redis.ping().then((reply) => reply === 'PONG');
      case 'store-heartbeat':
        return (_w, seq) => {
          const userId = pick(spec.users, seq);
          const now = Date.now();
          return runtime.store.heartbeat(userId, benchConnection(userId, now, presence.timeoutMs), now).then((verdict) => verdict === 'ok');
        };
      case 'heartbeat':
        return (_w, seq) => operations.heartbeat(pick(spec.users, seq));
      case 'update':
        return (_w, seq) => operations.update(pick(spec.users, seq), seq);
      case 'get-presence':
        return (_w, seq) => operations.getPresence(pick(spec.users, seq));
    }
  };

  const measured = async <T>(work: () => Promise<T>): Promise<{ value: T; counts: Counts }> => {
    const before = meter.snapshot();
    const value = await work();
    return { value, counts: diff(meter.snapshot(), before) };
  };

  const handle = async (request: ContainerRequest): Promise<ContainerReply | undefined> => {
    switch (request.type) {
      case 'load': {
        let session: Session | undefined;
        if (request.profile) {
          session = new Session();
          session.connect();
          await post(session, 'Profiler.enable');
          await post(session, 'Profiler.start');
        }
        const { value, counts } = await measured(() =>
          runLoad({ concurrency: request.concurrency, durationMs: request.durationMs }, opFor(request.spec)),
        );
        let profile: unknown;
        if (session) {
          profile = ((await post(session, 'Profiler.stop')) as { profile: unknown }).profile;
          session.disconnect();
        }
        return { type: 'load', id: request.id, run: value.run, latencies: value.latencies, counts, profile };
      }
      case 'warm-friends': {
        // GET /presence/{friend} reads the same cached user context as update-presence, without pushing.
        const { value, counts } = await measured(async () => {
          let failed = 0;
          await forEachBounded(request.pairs, 16, async ([userId, friend]) => {
            if (!(await operations.getUserPresence(userId, friend))) failed++;
          });
          return failed;
        });
        return { type: 'done', id: request.id, failed: value, counts };
      }
      case 'sweep': {
        const { value, counts } = await measured(async () => {
          const timedOut = await Promise.all(request.shards.map((shard) => operations.sweepShard(shard, request.startedAt)));
          return timedOut.reduce((a, b) => a + b, 0);
        });
        return { type: 'sweep', id: request.id, timedOut: value, counts };
      }
      case 'close':
        await closeRuntime();
        process.exit(0);
    }
  };

  port.on('message', (request: ContainerRequest) => {
    handle(request).then(
      (reply) => reply && port.postMessage(reply),
      (error: unknown) => port.postMessage({ type: 'error', id: request.type === 'close' ? 0 : request.id, message: String(error) }),
    );
  });
  port.postMessage({ type: 'ready' } satisfies ContainerReply);
}

main().catch((error: unknown) => {
  console.error(`container ${index} failed`, error);
  process.exit(1);
});
