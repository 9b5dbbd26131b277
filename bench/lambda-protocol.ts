/**
 * What the Lambda-shaped benchmark's parent (bench/lambda-process.ts) and each execution environment
 * (bench/lambda-environment.ts) say to each other over IPC.
 */
import type { JsonWebKey } from 'node:crypto';
import type { Timed } from './timed';

/** Written to stdout and stderr after each request: everything before it belongs to that request. */
export const END_OF_INVOCATION = '\u001e-- end of invocation --\u001e\n';

export interface FloorWork {
  redisRoundTrips: number;
  pgQueries: number;
  posts: number;
  closes: number;
  /** The authorizer's floor: this token's signature, checked against `jwk`. */
  token?: string;
}

export type EnvironmentRequest =
  | { type: 'init'; entryFile: string; exportName: string; functionName: string; memoryMb: number; jwk?: JsonWebKey }
  | { type: 'invoke'; id: number; event: unknown; timeoutMs: number }
  | { type: 'floor'; id: number; work: FloorWork }
  | { type: 'close' };

export type EnvironmentReply =
  | { type: 'ready'; loadMs: number }
  | ({ type: 'invoked'; id: number; outcome: unknown; error?: string; redisRoundTrips: number; pgQueries: number } & Timed)
  | ({ type: 'floor'; id: number; error?: string } & Timed)
  | { type: 'failed'; message: string };
