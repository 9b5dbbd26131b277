/**
 * What the side-by-side harness (bench/original/run.ts) and each execution environment
 * (bench/original/environment.ts) say to each other over IPC, and the paths both sides are measured on.
 * Free of npm packages: the environment is bundled and run under plain node with either side's layer.
 */
import type { Timed } from '../timed';

/** The paths measured, each on both sides. */
export type PathName = 'heartbeat' | 'update-20' | 'update-200' | 'get-presence-200' | 'sweep';

export type Side = 'ours' | 'original';

/** How the sweep is started on our side: one batch of one shard. */
export interface SweepTask {
  shard: number;
  batchSize: number;
}

/** What an environment needs to build a path's events itself (the load runs make thousands). */
export interface EventKit {
  /** The sample events of events/, by name. */
  samples: Record<string, unknown>;
  /** The sink as API Gateway's domain name and stage: the original posts to `domainName/stage`. */
  domainName: string;
  stage: string;
  /** The app client id the REST tokens are issued to (our REST functions accept only it). */
  clientId: string;
}

/** One user an event is about: the user and their one connection. */
export interface Subject {
  userId: string;
  connectionId: string;
}

export type EnvironmentRequest =
  | {
      type: 'init';
      /** The bundle to load, and its handler export. */
      handlerFile: string;
      exportName: string;
      functionName: string;
      memoryMb: number;
      timeoutMs: number;
      side: Side;
      path: PathName;
      kit: EventKit;
      sweep?: SweepTask;
      /** The original's aws-sdk v2 global configuration (its public `AWS.config.update`), set before its handler loads. */
      awsSdkConfig?: Record<string, unknown>;
    }
  | { type: 'invoke'; subject: Subject; seq: number }
  | { type: 'load'; subjects: Subject[]; offset: number; concurrency: number; durationMs: number }
  | { type: 'close' };

export type EnvironmentReply =
  | { type: 'ready'; loadMs: number }
  | ({ type: 'invoked'; outcome: unknown; error?: string } & Timed)
  | ({ type: 'loaded'; ops: number; errors: number; firstError?: string } & Timed)
  | { type: 'failed'; message: string };
