/**
 * The benchmark's Lambda containers: worker threads, each with its own
 * runtime (bench/container-worker.ts). A scenario's concurrency is split
 * between them (16 = 8 + 8 on two cores), its runs start together, and
 * their latencies and Redis/PostgreSQL counts are merged.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { NO_COUNTS, mergeSorted, summarize, sum, type Counts, type RunResult } from './support';

export type PushClient = 'lean' | 'sdk' | 'floor';

export type LoadSpec =
  | { op: 'redis-ping' }
  /** A fan-out of `posts` frames through one client alone: the lean client, the SDK's, or bare undici (the transport floor). */
  | { op: 'fan-out'; client: PushClient; posts: number }
  | { op: 'store-heartbeat' | 'heartbeat' | 'update' | 'get-presence'; users: string[] };

export type ContainerRequest =
  | { type: 'load'; id: number; spec: LoadSpec; concurrency: number; durationMs: number; profile?: boolean }
  | { type: 'warm-friends'; id: number; pairs: [string, string][] }
  | { type: 'sweep'; id: number; shards: number[]; startedAt: string }
  | { type: 'close' };

export type ContainerReply =
  | { type: 'ready' }
  | { type: 'load'; id: number; run: RunResult; latencies: number[]; counts: Counts; profile?: unknown }
  | { type: 'done'; id: number; failed: number; counts: Counts }
  | { type: 'sweep'; id: number; timedOut: number; counts: Counts }
  | { type: 'error'; id: number; message: string };

type Request = ContainerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

class Container {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (reply: ContainerReply) => void; reject: (error: Error) => void }>();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: ContainerReply) => {
      if (reply.type === 'ready') return;
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.type === 'error') waiter?.reject(new Error(reply.message));
      else waiter?.resolve(reply);
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => this.failAll(new Error(`container exited with ${code}`)));
  }

  static start(index: number): Promise<Container> {
    // Workers inherit the parent's environment (configured before they start) but not its TypeScript
    // loader: register tsx's CommonJS hook in the thread, then load the worker module.
    const entry = join(__dirname, 'container-worker.ts');
    const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, { eval: true, workerData: { index } });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`container ${index} did not start within 30 s`)), 30_000);
      worker.once('error', reject);
      worker.on('message', (message: ContainerReply) => {
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        resolve(new Container(worker));
      });
    });
  }

  request<T extends ContainerReply>(request: Request): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (reply: ContainerReply) => void, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'close' } satisfies ContainerRequest);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    await this.worker.terminate();
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

/** How `total` concurrent invocations spread over `parts` containers (8 + 8, or 1 + 0). */
export function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

export class Containers {
  private constructor(private readonly containers: Container[]) {}

  static async start(count: number): Promise<Containers> {
    return new Containers(await Promise.all(Array.from({ length: count }, (_, i) => Container.start(i))));
  }

  get size(): number {
    return this.containers.length;
  }

  /** One timed run of `concurrency` invocations in total; the first container's CPU profile when asked. */
  async load(
    spec: LoadSpec,
    concurrency: number,
    durationMs: number,
    profile = false,
  ): Promise<{ run: RunResult; counts: Counts; profile?: unknown }> {
    const shares = split(concurrency, this.containers.length);
    const replies = await Promise.all(
      this.containers.flatMap((container, i) =>
        shares[i]! > 0
          ? [
              container.request<Extract<ContainerReply, { type: 'load' }>>({
                type: 'load',
                spec,
                concurrency: shares[i]!,
                durationMs,
                profile: profile && i === 0,
              }),
            ]
          : [],
      ),
    );
    const latencies = mergeSorted(replies.map((r) => r.latencies));
    const errors = replies.reduce((n, r) => n + r.run.errors, 0);
    const elapsedMs = Math.max(...replies.map((r) => r.run.elapsedMs));
    return {
      run: summarize(latencies, errors, elapsedMs),
      counts: replies.map((r) => r.counts).reduce(sum, NO_COUNTS),
      profile: replies[0]?.profile,
    };
  }

  /** Fills every container's friend cache as a busy container would have it. */
  async warmFriends(pairs: [string, string][]): Promise<void> {
    const replies = await Promise.all(
      this.containers.map((c) => c.request<Extract<ContainerReply, { type: 'done' }>>({ type: 'warm-friends', pairs })),
    );
    const failed = replies.reduce((n, r) => n + r.failed, 0);
    if (failed > 0) throw new Error(`${failed} friend-cache warm-up calls failed`);
  }

  /** The state machine's Map: every shard at once, shards dealt out to the containers. */
  async sweep(shards: number, startedAt: string): Promise<{ timedOut: number; counts: Counts }> {
    const replies = await Promise.all(
      this.containers.map((container, i) =>
        container.request<Extract<ContainerReply, { type: 'sweep' }>>({
          type: 'sweep',
          shards: Array.from({ length: shards }, (_, s) => s).filter((s) => s % this.containers.length === i),
          startedAt,
        }),
      ),
    );
    return { timedOut: replies.reduce((n, r) => n + r.timedOut, 0), counts: replies.map((r) => r.counts).reduce(sum, NO_COUNTS) };
  }

  async close(): Promise<void> {
    await Promise.all(this.containers.map((c) => c.close()));
  }
}
