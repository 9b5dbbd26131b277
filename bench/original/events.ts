/**
 * The events of the side-by-side harness, built inside each execution environment (its load runs make
 * thousands). Both sides get the same API Gateway event for a path, from the samples in events/: ours
 * reads the authorizer's context, the original reads the connection id (WebSocket) or decodes the
 * Authorization header (REST), and posts to `domainName/stage`, here the sink. Only the sweep differs:
 * ours is started per shard by the state machine's Map, the original by an EventBridge schedule.
 * Free of npm packages (see ./protocol).
 */
import type { EventKit, PathName, Side, Subject, SweepTask } from './protocol';

type Sample = { requestContext: Record<string, unknown> } & Record<string, unknown>;

/** The page a user's `seq`-th update shows (one of 97). */
export function pageOf(seq: number): { url: string; title: string } {
  const n = seq % 97;
  return { url: `https://en.wikipedia.org/wiki/Special_relativity_${n}`, title: `Special relativity ${n} - Wikipedia` };
}

let messageCount = 0;

function sample(kit: EventKit, name: string): Sample {
  const found = kit.samples[name];
  if (!found || typeof found !== 'object') throw new Error(`events/${name}.json is missing from the kit`);
  return found as Sample;
}

/** A WebSocket message on the subject's connection, as API Gateway sends it (opened a minute ago). */
function messageEvent(kit: EventKit, name: string, subject: Subject, body: unknown): unknown {
  const template = sample(kit, name);
  const now = Date.now();
  return {
    ...template,
    body: JSON.stringify(body),
    requestContext: {
      ...template.requestContext,
      connectionId: subject.connectionId,
      domainName: kit.domainName,
      stage: kit.stage,
      connectedAt: now - 60_000,
      authorizer: { principalId: subject.userId, userId: subject.userId, integrationLatency: 1 },
      messageId: `m-${++messageCount}`,
      requestTimeEpoch: now,
    },
  };
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** GET /presence with the Cognito authorizer's claims (ours) and the ID token itself in Authorization (the original decodes it). */
function restEvent(kit: EventKit, subject: Subject): unknown {
  const template = sample(kit, 'get-presence');
  const context = template.requestContext as { authorizer?: { claims?: Record<string, unknown> } };
  const claims = {
    ...context.authorizer?.claims,
    sub: subject.userId,
    'cognito:username': subject.userId,
    aud: kit.clientId,
    token_use: 'id',
  };
  // API Gateway checked the signature; neither side verifies it again.
  const token = `${base64url({ alg: 'RS256', typ: 'JWT', kid: 'bench' })}.${base64url(claims)}.${base64url('not-checked')}`;
  return {
    ...template,
    headers: { ...(template.headers as Record<string, string>), Authorization: token },
    requestContext: { ...template.requestContext, requestTimeEpoch: Date.now(), authorizer: { claims } },
  };
}

function sweepEvent(side: Side, sweep: SweepTask | undefined): unknown {
  if (side === 'ours') {
    if (!sweep) throw new Error('the sweep needs its shard and batch size on our side');
    return { shard: sweep.shard, startedAt: new Date().toISOString(), batchSize: sweep.batchSize };
  }
  // The original's timeout function runs on an EventBridge schedule and ignores its event.
  return {
    version: '0',
    id: `sweep-${++messageCount}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:123456789012:rule/PresenceTimeoutRule'],
    detail: {},
  };
}

/** The event of the `seq`-th invocation of `path` about `subject`. */
export function eventFor(path: PathName, side: Side, kit: EventKit, subject: Subject, seq: number, sweep?: SweepTask): unknown {
  switch (path) {
    case 'heartbeat':
      return messageEvent(kit, 'heartbeat', subject, { action: 'heartbeat', jwt: 'legacy-ignored' });
    case 'update-20':
    case 'update-200':
      return messageEvent(kit, 'update-presence', subject, { action: 'update-presence', ...pageOf(seq), jwt: 'legacy-ignored' });
    case 'get-presence-200':
      return restEvent(kit, subject);
    case 'sweep':
      return sweepEvent(side, sweep);
  }
}

/** Whether a handler's answer is a success: 200 for the API routes, every stale user timed out for our sweep. */
export function succeeded(path: PathName, side: Side, outcome: unknown, expectedTimedOut?: number): boolean {
  if (path === 'sweep' && side === 'ours') return (outcome as { timedOut?: number } | undefined)?.timedOut === expectedTimedOut;
  return (outcome as { statusCode?: number } | undefined)?.statusCode === 200;
}
