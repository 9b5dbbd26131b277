/**
 * The operations the benchmark times: the real handlers called with API
 * Gateway-shaped events built from the sample events in events/. The
 * handlers come in as a parameter, because loading them creates their
 * runtime, which has to wait for the environment (bench/handlers.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { lambdaContext } from '../local/lambda/context';
import type * as BenchHandlers from './handlers';
import { connectionOf } from './seed';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

export function sampleEvent<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '..', 'events', `${name}.json`), 'utf8')) as T;
}

/** Like a Lambda context; the remaining time matters to middy's timeout (sweep batches share one SDK client). */
export function context(functionName: string, remainingMs = 30_000): Context {
  return lambdaContext({ functionName, deadline: Date.now() + remainingMs, logStreamName: 'bench' });
}

export interface WsTemplate {
  requestContext: Record<string, unknown>;
  [key: string]: unknown;
}

export interface RestTemplate {
  requestContext: { authorizer?: { claims?: Record<string, unknown> } } & Record<string, unknown>;
  [key: string]: unknown;
}

let messageCount = 0;

/** A WebSocket message event on `userId`'s connection (connectionOf), as API Gateway sends it. */
export function wsEvent(template: WsTemplate, userId: string, body: string): unknown {
  return {
    ...template,
    body,
    requestContext: {
      ...template.requestContext,
      connectionId: connectionOf(userId),
      // Opened a minute ago: the sample's date is long past API Gateway's two-hour cap.
      connectedAt: Date.now() - 60_000,
      authorizer: { principalId: userId, userId, integrationLatency: 1 },
      messageId: `m-${++messageCount}`,
      requestTimeEpoch: Date.now(),
    },
  };
}

/** A REST event of `userId`, with the Cognito authorizer's claims (the sample's, or `claims` over them). */
export function restEvent(
  template: RestTemplate,
  userId: string,
  patch: Record<string, unknown> = {},
  claims: Record<string, string> = {},
): unknown {
  return {
    ...template,
    ...patch,
    requestContext: {
      ...template.requestContext,
      authorizer: { claims: { ...template.requestContext.authorizer?.claims, sub: userId, 'cognito:username': userId, ...claims } },
    },
  };
}

/** A typical update-presence push (20 friends' worth of these is one update's fan-out). */
export const SAMPLE_PUSH = JSON.stringify({
  type: 'update-presence',
  userId: 'u1234',
  url: 'https://en.wikipedia.org/wiki/Special_relativity_42',
  title: 'Special relativity 42 - Wikipedia',
  domain: 'wikipedia.org',
  latestUrl: 'https://en.wikipedia.org/wiki/Special_relativity_42',
  latestTitle: 'Special relativity 42 - Wikipedia',
  latestDomain: 'wikipedia.org',
});

/** A heartbeat frame as the extension sends it (its legacy jwt field is ignored). */
export const HEARTBEAT_BODY = JSON.stringify({ action: 'heartbeat', jwt: 'legacy-ignored' });

/** An update-presence frame: one of 97 Wikipedia pages. */
export function pageBody(seq: number): string {
  return JSON.stringify({
    action: 'update-presence',
    url: `https://en.wikipedia.org/wiki/Special_relativity_${seq % 97}`,
    title: `Special relativity ${seq % 97} - Wikipedia`,
    jwt: 'legacy-ignored',
  });
}

const ok = (result: unknown): boolean => (result as { statusCode?: number } | undefined)?.statusCode === 200;

export interface SweepOutput {
  more: boolean;
  timedOut: number;
}

export interface Operations {
  heartbeat(userId: string): Promise<boolean>;
  update(userId: string, seq: number): Promise<boolean>;
  getPresence(userId: string): Promise<boolean>;
  getUserPresence(userId: string, target: string): Promise<boolean>;
  /** One shard of the timeout state machine's Map: batches until the shard reports no more. */
  sweepShard(shard: number, startedAt: string): Promise<number>;
}

export function createOperations(loaded: typeof BenchHandlers): Operations {
  // The events are shaped from the sample JSON, not typed: every handler is called as Lambda calls it.
  const handlers = loaded as unknown as Record<keyof typeof BenchHandlers, Handler>;
  const templates = {
    update: sampleEvent<WsTemplate>('update-presence'),
    heartbeat: sampleEvent<WsTemplate>('heartbeat'),
    getPresence: sampleEvent<RestTemplate>('get-presence'),
    getUserPresence: sampleEvent<RestTemplate>('get-user-presence'),
  };
  return {
    heartbeat: (userId) => handlers.heartbeat(wsEvent(templates.heartbeat, userId, HEARTBEAT_BODY), context('heartbeat')).then(ok),
    update: (userId, seq) => handlers.updatePresence(wsEvent(templates.update, userId, pageBody(seq)), context('update-presence')).then(ok),
    getPresence: (userId) => handlers.getPresence(restEvent(templates.getPresence, userId), context('get-presence')).then(ok),
    getUserPresence: (userId, target) =>
      handlers
        .getUserPresence(
          restEvent(templates.getUserPresence, userId, { path: `/presence/${target}`, pathParameters: { userId: target } }),
          context('get-user-presence'),
        )
        .then(ok),
    async sweepShard(shard, startedAt) {
      let timedOut = 0;
      for (;;) {
        const out = (await handlers.sweepShard({ shard, startedAt }, context('sweep-shard', 900_000))) as SweepOutput;
        timedOut += out.timedOut;
        if (!out.more) return timedOut;
      }
    },
  };
}
