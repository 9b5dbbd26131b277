/** The result as readable text (without --json): what ran, what the clients did, the figures per connected user-hour. */
import type { SimulationResult } from './report';

function table(rows: Array<[string, string | number]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${typeof value === 'number' ? format(value) : value}`).join('\n');
}

function format(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumSignificantDigits: 4 });
}

function counts(record: Record<string, number>): string {
  const entries = Object.entries(record);
  return entries.length === 0 ? '-' : entries.map(([key, value]) => `${key} ${format(value)}`).join(', ');
}

export function summaryText(result: SimulationResult): string {
  const { simulated, summary, perConnectedUserHour: per, sweep, simulator } = result;
  const lambdaRows = Object.entries(per.lambda)
    .filter(([, entry]) => entry.invocations > 0)
    .map(([logicalId, entry]): [string, string] => [
      logicalId,
      `${format(entry.invocations)} invocations, ${format(entry.billedMs)} billed ms, ${format(entry.gbSeconds)} GB-s, ${format(entry.cpuMs)} CPU ms`,
    ]);
  return [
    `Simulated ${simulated.hours} h of ${simulated.users} users at ${simulator.speed}x (seed ${simulator.seed}, commit ${result.commit.slice(0, 12)}${result.dirty ? ', dirty tree' : ''}): ` +
      `${format(simulated.connectedUserHours)} connected user-hours, ${format(simulated.connectionHours)} connection-hours, ${format(simulated.wallSeconds)} s of wall time.`,
    `Lateness (wall ms): actions p99 ${simulated.lag.actions.p99Ms}, max ${simulated.lag.actions.maxMs}; own page echo p50 ${simulated.lag.echoes.p50Ms}, p99 ${simulated.lag.echoes.p99Ms}; GET /presence p99 ${simulated.lag.rest.p99Ms}.`,
    '',
    'What the clients did (measured window)',
    table([
      ['sessions started / ended / vanished', `${summary.sessions} / ${summary.sessionsEnded} / ${summary.sessionsVanished}`],
      ['connects (reconnects, after the cap)', `${summary.connects} (${summary.reconnects}, ${summary.capReconnects})`],
      ['page changes sent (unsent)', `${summary.pageChanges} (${summary.pageChangesUnsent})`],
      ['heartbeats', summary.heartbeats],
      ['GET /presence', `${summary.restSnapshots} (${counts(summary.restByStatus)})`],
      ['frames received', counts(summary.pushesReceived)],
      ['error frames', counts(summary.errorFrames)],
      ['server closes (live / vanished clients)', `${counts(summary.serverCloses)} / ${counts(summary.vanishedCloses)}`],
      ['update-presence pushes per page change', summary.pushesPerPageChange],
      ['friends online on average', summary.friendsOnlineAvg],
      ['connections per online user', summary.connectionsPerOnlineUser],
      ['flaps', summary.flaps],
    ]),
    '',
    'Per connected user-hour',
    table([
      ['API Gateway messages in / out', `${format(per.apiGateway.messagesIn)} / ${format(per.apiGateway.messagesOut)}`],
      ['connects, connection minutes', `${format(per.apiGateway.connects)}, ${format(per.apiGateway.connectionMinutes)}`],
      ['REST requests', per.apiGateway.restRequests],
      ['bytes in / out', `${format(per.apiGateway.bytesIn)} / ${format(per.apiGateway.bytesOut)}`],
      ['@connections posts / deletes', `${format(per.managementApi.posts)} / ${format(per.managementApi.deletes)}`],
      ['Redis commands (script calls), net of the sweep', `${format(per.redis.commands)} (${format(per.redis.scriptCalls)})`],
      ['PostgreSQL queries', per.postgres.queries],
      ['log bytes, EMF bytes', `${format(per.logs.bytes)}, ${format(per.logs.emfBytes)}`],
      ...lambdaRows,
    ]),
    '',
    'The sweep (a fixed cost)',
    table([
      ['executions per simulated hour', sweep.executionsPerSimulatedHour],
      ['billed ms per execution (Express)', sweep.billedDurationMsPerExecution],
      ['task invocations / billed ms per execution', `${format(sweep.lambdaInvocationsPerExecution)} / ${format(sweep.lambdaBilledMsPerExecution)}`],
      ['idle Redis commands per execution', sweep.idle ? sweep.idle.redisCommandsPerExecution : 'not measured'],
    ]),
  ].join('\n');
}
