/** `npm run meter`'s readable form of a MeterSnapshot: one section per service, Lambda as a table per function. */
import { table } from '../text';
import type { MeterSnapshot } from './snapshot';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function n(value: number, digits = 0): string {
  return digits === 0
    ? integer.format(value)
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

function section(title: string, rows: string[][]): string {
  return `${title}\n${indent(table(rows.map(([name, value]) => [`${name}`, value ?? ''])))}`;
}

function lambdaTable(snapshot: MeterSnapshot): string {
  const entries = Object.entries(snapshot.lambda);
  const sum = (pick: (fn: MeterSnapshot['lambda'][string]) => number) => entries.reduce((total, [, fn]) => total + pick(fn), 0);
  const rows = [
    ['FUNCTION', 'INVOCATIONS', 'ERRORS', 'DURATION MS', 'BILLED MS', 'CPU MS', 'MEMORY MB', 'ARCH', 'GB-S', 'INIT MS', 'COLD STARTS'],
    ...entries.map(([logicalId, fn]) => [
      logicalId,
      n(fn.invocations),
      n(fn.errors),
      n(fn.durationMs, 1),
      n(fn.billedMs),
      n(fn.cpuMs, 1),
      n(fn.memoryMb),
      fn.architecture,
      n(fn.gbSeconds, 4),
      n(fn.initMs, 1),
      n(fn.coldStarts),
    ]),
    [
      'total',
      n(sum((fn) => fn.invocations)),
      n(sum((fn) => fn.errors)),
      n(
        sum((fn) => fn.durationMs),
        1,
      ),
      n(sum((fn) => fn.billedMs)),
      n(
        sum((fn) => fn.cpuMs),
        1,
      ),
      '',
      '',
      n(
        sum((fn) => fn.gbSeconds),
        4,
      ),
      n(
        sum((fn) => fn.initMs),
        1,
      ),
      n(sum((fn) => fn.coldStarts)),
    ],
  ];
  return `Lambda\n${indent(table(rows))}`;
}

export function meterTable(snapshot: MeterSnapshot, stackName: string): string {
  const { apiGateway: api, managementApi: mgmt, stepFunctions: sfn, redis, postgres } = snapshot;
  const byCommand = Object.entries(redis.byCommand)
    .map(([name, count]) => `${name} ${n(count)}`)
    .join(', ');
  return [
    `Meter of the local stack ${stackName}: since ${snapshot.since} (${n(snapshot.elapsedSeconds, 1)} s)`,
    '',
    section('API Gateway', [
      ['WebSocket messages in', `${n(api.messagesIn)}  (control frames in, not messages: ${n(api.controlFramesIn)})`],
      ['WebSocket messages out', n(api.messagesOut)],
      ['connects', `${n(api.connects)}  (refused: ${n(api.connectsRefused)})`],
      ['disconnects', n(api.disconnects)],
      ['connections open now', n(api.connectionsOpen)],
      ['connection-minutes', n(api.connectionMinutes, 3)],
      ['REST requests', n(api.restRequests)],
      ['bytes in / out', `${n(api.bytesIn)} / ${n(api.bytesOut)}`],
    ]),
    '',
    section('Management API (@connections)', [
      ['posts', `${n(mgmt.posts)}  (gone, 410: ${n(mgmt.gone)})`],
      ['deletes', n(mgmt.deletes)],
      ['gets', n(mgmt.gets)],
      ['refused (signature)', n(mgmt.refused)],
    ]),
    '',
    lambdaTable(snapshot),
    '',
    section(`Step Functions (${sfn.type})`, [
      ['executions', n(sfn.executions)],
      ['duration ms', n(sfn.durationMs, 1)],
      ['billed duration ms', n(sfn.billedDurationMs)],
      ['state transitions', n(sfn.stateTransitions)],
    ]),
    '',
    section('Redis', [
      ['commands', n(redis.commands)],
      ['script calls', n(redis.scriptCalls)],
      ['bytes in / out', `${n(redis.bytesIn)} / ${n(redis.bytesOut)}`],
      ['by command', byCommand || '-'],
    ]),
    '',
    section('PostgreSQL', [
      ['queries', n(postgres.queries)],
      ['connections', n(postgres.connections)],
      ['bytes in / out', `${n(postgres.bytesIn)} / ${n(postgres.bytesOut)}`],
    ]),
    '',
    'How these are counted: npm run --silent meter -- --json (its "notes").',
  ].join('\n');
}
