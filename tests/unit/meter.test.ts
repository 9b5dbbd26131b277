/**
 * The meter's counting rules on a clock the test moves: 32 KB message steps, connection-minutes across
 * a reset, Lambda's 1 ms rounding and GB-s, one cold start per function, Express's 100 ms steps, script
 * calls, and a reset that zeroes every count.
 */
import { Meter, messagesOf } from '../../local/meter';
import { templateFacts } from '../../local/meter/template-facts';
import { readStack } from '../../template';

function meterAt(start = Date.parse('2026-12-04T10:00:00.000Z')) {
  const clock = { now: start };
  const meter = new Meter({
    functions: [
      { logicalId: 'HeartbeatFunction', memoryMb: 512, architecture: 'arm64' },
      { logicalId: 'SweepShardFunction', memoryMb: 1769, architecture: 'arm64' },
    ],
    stepFunctionsType: 'EXPRESS',
    now: () => clock.now,
  });
  return { meter, clock };
}

describe('messagesOf', () => {
  it('bills a frame in 32 KB steps, at least one', () => {
    expect([0, 1, 32_768, 32_769, 65_536, 65_537, 131_072].map(messagesOf)).toEqual([1, 1, 1, 2, 2, 3, 4]);
  });
});

describe('Meter', () => {
  it('counts WebSocket frames in 32 KB steps, control frames apart, and payload bytes', () => {
    const { meter } = meterAt();
    meter.websocket.messageIn(100);
    meter.websocket.messageIn(40_000);
    meter.websocket.controlFrameIn();
    meter.websocket.messageOut(0);
    meter.websocket.messageOut(70_000);
    expect(meter.snapshot().apiGateway).toMatchObject({
      messagesIn: 3,
      controlFramesIn: 1,
      messagesOut: 4,
      bytesIn: 40_100,
      bytesOut: 70_000,
    });
  });

  it('sums connection-minutes of closed and open connections, and only since the last reset', () => {
    const { meter, clock } = meterAt();
    meter.websocket.connected('a');
    meter.websocket.connected('b');
    clock.now += 30_000;
    meter.websocket.disconnected('a');
    clock.now += 30_000;
    // a: 0.5 min closed; b: 1 min and still open.
    expect(meter.snapshot().apiGateway).toMatchObject({ connects: 2, disconnects: 1, connectionsOpen: 1, connectionMinutes: 1.5 });

    meter.reset();
    clock.now += 90_000;
    expect(meter.snapshot().apiGateway).toMatchObject({ connects: 0, disconnects: 0, connectionsOpen: 1, connectionMinutes: 1.5 });
    meter.websocket.disconnected('b');
    clock.now += 60_000;
    expect(meter.snapshot().apiGateway).toMatchObject({ disconnects: 1, connectionsOpen: 0, connectionMinutes: 1.5 });
    // A close of a connection the meter never saw open is no disconnect.
    meter.websocket.disconnected('never-opened');
    expect(meter.snapshot().apiGateway.disconnects).toBe(1);
  });

  it("bills each invocation's wall time rounded up to 1 ms (at least 1) and GB-s at the template's memory", () => {
    const { meter } = meterAt();
    meter.lambda.invoked('HeartbeatFunction', { wallMs: 2.1, cpuMs: 1.5, failed: false });
    meter.lambda.invoked('HeartbeatFunction', { wallMs: 0.2, cpuMs: 0.2, failed: false });
    meter.lambda.invoked('HeartbeatFunction', { wallMs: 10_000.4, cpuMs: 3, failed: true });
    const heartbeat = meter.snapshot().lambda.HeartbeatFunction!;
    expect(heartbeat).toMatchObject({ invocations: 3, errors: 1, billedMs: 3 + 1 + 10_001, memoryMb: 512, architecture: 'arm64' });
    expect(heartbeat.durationMs).toBeCloseTo(10_002.7, 6);
    expect(heartbeat.cpuMs).toBeCloseTo(4.7, 6);
    expect(heartbeat.gbSeconds).toBeCloseTo((10_005 / 1000) * 0.5, 9);
    expect(meter.snapshot().lambda.SweepShardFunction).toMatchObject({ invocations: 0, billedMs: 0, memoryMb: 1769 });
  });

  it('bills the init of each function once, with its first invocation, and never again after a reset', () => {
    const { meter } = meterAt();
    meter.lambda.loaded('HeartbeatFunction', 120.5);
    meter.lambda.loaded('SweepShardFunction', 80);
    expect(meter.snapshot().lambda.HeartbeatFunction).toMatchObject({ coldStarts: 0, initMs: 0 });
    meter.lambda.invoked('HeartbeatFunction', { wallMs: 1, cpuMs: 1, failed: false });
    meter.lambda.invoked('HeartbeatFunction', { wallMs: 1, cpuMs: 1, failed: false });
    expect(meter.snapshot().lambda.HeartbeatFunction).toMatchObject({ coldStarts: 1, initMs: 120.5 });
    meter.reset();
    meter.lambda.invoked('HeartbeatFunction', { wallMs: 1, cpuMs: 1, failed: false });
    meter.lambda.invoked('SweepShardFunction', { wallMs: 1, cpuMs: 1, failed: false });
    const { lambda } = meter.snapshot();
    expect(lambda.HeartbeatFunction).toMatchObject({ invocations: 1, coldStarts: 0, initMs: 0 });
    expect(lambda.SweepShardFunction).toMatchObject({ invocations: 1, coldStarts: 1, initMs: 80 });
  });

  it('bills Express executions in 100 ms steps', () => {
    const { meter } = meterAt();
    meter.stepFunctions.executed({ durationMs: 0.4, stateTransitions: 5 });
    meter.stepFunctions.executed({ durationMs: 100, stateTransitions: 5 });
    meter.stepFunctions.executed({ durationMs: 100.01, stateTransitions: 7 });
    expect(meter.snapshot().stepFunctions).toMatchObject({
      executions: 3,
      billedDurationMs: 100 + 100 + 200,
      stateTransitions: 17,
      type: 'EXPRESS',
    });
  });

  it('counts Redis commands by name and every script command as a script call', () => {
    const { meter } = meterAt();
    for (const name of ['evalsha', 'evalsha', 'eval', 'fcall_ro', 'evalsha_ro', 'get', 'script']) meter.redis.command(name);
    meter.redis.bytes(10, 0);
    meter.redis.bytes(0, 4);
    expect(meter.snapshot().redis).toEqual({
      commands: 7,
      scriptCalls: 5,
      byCommand: { evalsha: 2, eval: 1, evalsha_ro: 1, fcall_ro: 1, get: 1, script: 1 },
      bytesIn: 10,
      bytesOut: 4,
    });
  });

  it('counts management API calls by method, 410s and refused signatures', () => {
    const { meter } = meterAt();
    meter.management.request('POST', false);
    meter.management.request('POST', true);
    meter.management.request('DELETE', false);
    meter.management.request('GET', true);
    meter.management.refused();
    expect(meter.snapshot().managementApi).toEqual({ posts: 2, deletes: 1, gets: 1, gone: 2, refused: 1 });
  });

  it('zeroes every count on reset and starts its clock again', () => {
    const { meter, clock } = meterAt();
    meter.websocket.connected('a');
    meter.websocket.messageIn(5);
    meter.websocket.controlFrameIn();
    meter.websocket.messageOut(5);
    meter.websocket.refused();
    meter.websocket.disconnected('a');
    meter.rest.answered(3, 4);
    meter.management.request('POST', false);
    meter.management.refused();
    meter.lambda.invoked('HeartbeatFunction', { wallMs: 3, cpuMs: 1, failed: true });
    meter.stepFunctions.executed({ durationMs: 3, stateTransitions: 3 });
    meter.redis.command('evalsha');
    meter.redis.bytes(1, 1);
    meter.postgres.session();
    meter.postgres.query();
    meter.postgres.bytes(1, 1);
    clock.now += 5000;
    meter.reset();
    clock.now += 2000;

    const snapshot = meter.snapshot();
    expect(snapshot.since).toBe('2026-12-04T10:00:05.000Z');
    expect(snapshot.elapsedSeconds).toBe(2);
    const counts = [
      ...Object.values(snapshot.apiGateway),
      ...Object.values(snapshot.managementApi),
      ...Object.values(snapshot.lambda).flatMap(({ memoryMb: _memory, architecture: _architecture, ...counters }) =>
        Object.values(counters),
      ),
      ...Object.values(snapshot.stepFunctions).filter((value) => typeof value === 'number'),
      snapshot.redis.commands,
      snapshot.redis.scriptCalls,
      snapshot.redis.bytesIn,
      snapshot.redis.bytesOut,
      ...Object.values(snapshot.postgres),
    ];
    expect(counts.length).toBeGreaterThan(40);
    expect(counts.every((value) => value === 0)).toBe(true);
    expect(snapshot.redis.byCommand).toEqual({});
    expect(snapshot.notes.length).toBeGreaterThan(5);
  });
});

describe('templateFacts', () => {
  it("reads each function's memory and architecture (its own or Globals') and the state machine's type", () => {
    const facts = templateFacts(readStack({ StageName: 'local', CognitoUserPoolId: 'us-east-1_local', CognitoClientIds: ['client'] }));
    const byId = new Map(facts.functions.map((fn) => [fn.logicalId, fn]));
    expect(byId.get('HeartbeatFunction')).toEqual({ logicalId: 'HeartbeatFunction', memoryMb: 512, architecture: 'arm64' });
    expect(byId.get('SweepShardFunction')).toMatchObject({ memoryMb: 1769, architecture: 'arm64' });
    expect(facts.stepFunctionsType).toBe('EXPRESS');
  });
});
