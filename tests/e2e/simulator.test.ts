/**
 * `npm run simulate` end to end: a tiny population (a few users, minutes of simulated time at 30x,
 * short sessions, a 2-minute connection cap so the gateway's cap and the reconnect after it happen)
 * on a stack the simulator starts itself. The output's invariants: what the clients sent and received
 * equals what the meter counted, the per-user figures are the counts over the connected hours, the
 * population is the seed's, and the run's database is gone afterwards.
 */
import { Client } from 'pg';
import { buildPopulation } from '../../simulator/population';
import { parseParams } from '../../simulator/params';
import { databaseUrl } from '../support/env';
import { commandEnv, runTsx, type Finished } from './helpers/commands';

const ARGS = [
  '--users', '8',
  '--mean-degree', '5',
  '--degree', 'poisson',
  '--hours', '0.15',
  '--warmup', '0',
  '--speed', '30',
  '--seed', '7',
  '--session-hours', '0.05',
  '--abrupt-share', '0.5',
  '--connection-cap', '120',
  '--online-fraction', '0.6',
  // The invariants hold however late the run is; the lateness bound has its own unit test.
  '--max-lag', '60',
];

let run: Finished;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let result: any;

beforeAll(async () => {
  run = await runTsx('simulator/main.ts', [...ARGS, '--database-url', databaseUrl(), '--json'], commandEnv(), { timeoutMs: 150_000 });
  if (run.code !== 0) throw new Error(`simulate exited ${run.code}:\n${run.stderr}`);
  result = JSON.parse(run.stdout);
}, 160_000);

describe('npm run simulate', () => {
  it('prints exactly one JSON object on stdout and its progress on stderr', () => {
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/\[simulate\] \d\d:\d\d:\d\d \/ 00:09:00 measuring \| \d+ users online/);
    expect(result.simulator).toMatchObject({ version: 1, seed: 7, speed: 30 });
    expect(result.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(result.simulated).toMatchObject({ hours: 0.15, users: 8 });
  });

  it('draws the population the seed gives', () => {
    const params = parseParams(ARGS, {})!;
    expect(result.simulator.population.fingerprint).toBe(buildPopulation(params).fingerprint);
  });

  it('agrees with the meter: frames sent are messages in, frames received are messages out, connects, REST, invocations', () => {
    const { meter, summary, checks } = result;
    expect(checks.messagesIn.framesSent).toBeGreaterThan(0);
    expect(meter.apiGateway.messagesIn).toBe(checks.messagesIn.framesSent);
    expect(meter.apiGateway.messagesIn).toBe(summary.heartbeats + summary.pageChanges);
    expect(meter.apiGateway.messagesOut).toBe(checks.messagesOut.framesReceived - checks.messagesOut.replies);
    expect(checks.messagesOut.replies).toBe(0);
    // Every post that reached a socket is one message out; 410s delivered nothing.
    expect(meter.managementApi.posts - meter.managementApi.gone).toBe(meter.apiGateway.messagesOut);
    expect(meter.apiGateway.connects).toBe(summary.connects);
    expect(meter.lambda.ConnectFunction.invocations).toBe(summary.connects);
    expect(meter.lambda.AuthorizerFunction.invocations).toBe(summary.connects + meter.apiGateway.connectsRefused);
    expect(meter.apiGateway.restRequests).toBe(summary.restSnapshots);
    expect(summary.restByStatus).toEqual({ 200: summary.restSnapshots });
    expect(meter.lambda.GetPresenceFunction.invocations).toBe(summary.restSnapshots);
    expect(meter.lambda.HeartbeatFunction.invocations).toBe(summary.heartbeats);
    expect(meter.lambda.UpdatePresenceFunction.invocations).toBe(summary.pageChanges);
    const pushes = Object.values(summary.pushesReceived as Record<string, number>).reduce((sum, count) => sum + count, 0);
    expect(pushes).toBe(meter.apiGateway.messagesOut);
  });

  it('went through the cap and its reconnect, session ends and snapshots after every connect', () => {
    const { summary } = result;
    expect(summary.capReconnects).toBeGreaterThan(0);
    expect(summary.serverCloses['1001']).toBeGreaterThanOrEqual(summary.capReconnects);
    expect(summary.sessionsEnded + summary.sessionsVanished).toBeGreaterThan(0);
    // One GET /presence after every connect, plus the periodic ones.
    expect(summary.restSnapshots).toBeGreaterThanOrEqual(summary.connects);
    expect(summary.pushesReceived['update-presence']).toBeGreaterThan(0);
  });

  it('divides the meter by the connected user-hours, connection minutes in simulated minutes', () => {
    const { meter, perConnectedUserHour: per, simulated } = result;
    const hours = simulated.connectedUserHours;
    expect(hours).toBeGreaterThan(0);
    const close = (value: number, expected: number) => expect(Math.abs(value - expected)).toBeLessThanOrEqual(Math.abs(expected) * 1e-5);
    close(per.apiGateway.messagesIn, meter.apiGateway.messagesIn / hours);
    close(per.apiGateway.messagesOut, meter.apiGateway.messagesOut / hours);
    close(per.apiGateway.connectionMinutes, (meter.apiGateway.connectionMinutes * 30) / hours);
    close(per.lambda.HeartbeatFunction.invocations, meter.lambda.HeartbeatFunction.invocations / hours);
    close(per.lambda.HeartbeatFunction.billedMs, meter.lambda.HeartbeatFunction.billedMs / hours);
    expect(per.lambda.SweepShardFunction).toBeUndefined();
    expect(per.redis.commands).toBeGreaterThan(0);
    expect(per.postgres.queries).toBeGreaterThan(0);
  });

  it('counts the functions\' log lines and EMF lines, and the sweep as a fixed cost', () => {
    const { logs, sweep, perInvocation, meter } = result;
    // Which lines each function writes at INFO is the handlers' choice: every line is one of a template function's.
    const functions = Object.keys(logs.bytesByFunction);
    expect(functions.length).toBeGreaterThan(0);
    for (const name of functions) {
      expect(meter.lambda[name]).toBeDefined();
      expect(logs.bytesByFunction[name]).toBeGreaterThan(0);
    }
    expect(logs.emfBytes).toBeGreaterThan(0);
    const functionLines = Object.values(logs.byLevel as Record<string, number>).reduce((sum, count) => sum + count, 0);
    expect(logs.lines).toBe(functionLines + logs.emfLines);
    // 9 simulated minutes, one execution a simulated minute.
    expect(sweep.executionsPerSimulatedHour).toBeGreaterThanOrEqual(50);
    expect(sweep.executionsPerSimulatedHour).toBeLessThanOrEqual(75);
    expect(sweep.lambdaInvocationsPerExecution).toBeGreaterThanOrEqual(16);
    expect(sweep.idle.redisCommandsPerExecution).toBeGreaterThan(0);
    expect(perInvocation.HeartbeatFunction.billedMs).toBeGreaterThanOrEqual(1);
  });

  it('drops its database', async () => {
    const name = /database (presence_sim_\w+)/.exec(run.stderr)?.[1];
    expect(name).toBeDefined();
    const client = new Client({ connectionString: databaseUrl() });
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      expect(rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });
});
