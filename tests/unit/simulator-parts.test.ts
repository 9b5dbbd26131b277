/** The simulator's small parts: log accounting of the stack's stdout, the simulated clock, flap detection. */
import { SimulatedClock } from '../../simulator/clock';
import { LogAccounting } from '../../simulator/log-accounting';
import { processCpuSeconds, readCpu } from '../../simulator/process-cpu';
import { endOfRunLines } from '../../simulator/progress';
import { FlapDetector } from '../../simulator/tally';

describe('LogAccounting', () => {
  const functionLine = '{"level":"INFO","message":"websocket route","function_name":"HeartbeatFunction","durationMs":3.37}';
  const emfLine = '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"service":"presence-api","ColdStart":1}';

  it("counts the functions' JSON lines by function and EMF lines apart, each with its newline, in any chunking", () => {
    const text = [
      'Presence API is running locally',
      functionLine,
      '02:22:18.514 [ws] heartbeat alice PRR_l3dxEA42noI= -> 200 OK (4 ms)',
      emfLine,
      '{"not":"a function line"}',
      '{broken json',
      functionLine.replace('HeartbeatFunction', 'UpdatePresenceFunction'),
      '',
    ].join('\n');
    const bytes = Buffer.from(text);
    for (const size of [1, 7, 64, bytes.length]) {
      const logs = new LogAccounting();
      for (let i = 0; i < bytes.length; i += size) logs.push(bytes.subarray(i, i + size));
      expect(logs.snapshot()).toEqual({
        bytesByFunction: { HeartbeatFunction: functionLine.length + 1, UpdatePresenceFunction: functionLine.length + 1 + 5 },
        emfBytes: emfLine.length + 1,
        lines: 3,
        emfLines: 1,
        byLevel: { INFO: 2 },
      });
    }
  });

  it('keeps the first warnings and errors the functions logged', () => {
    const logs = new LogAccounting();
    logs.push(Buffer.from('{"level":"WARN","message":"push failed","function_name":"UpdatePresenceFunction","error":"timeout"}\n'));
    logs.push(Buffer.from('{"level":"ERROR","message":"Redis failed","function_name":"HeartbeatFunction"}\n'));
    expect(logs.snapshot().byLevel).toEqual({ WARN: 1, ERROR: 1 });
    expect(logs.problems).toEqual([
      { level: 'WARN', functionName: 'UpdatePresenceFunction', message: 'push failed', error: 'timeout' },
      { level: 'ERROR', functionName: 'HeartbeatFunction', message: 'Redis failed' },
    ]);
  });

  it('counts bytes, not characters, and forgets everything on reset', () => {
    const logs = new LogAccounting();
    const line = '{"function_name":"GetPresenceFunction","title":"Café – Wikipedia"}\n';
    logs.push(Buffer.from(line));
    expect(logs.snapshot().bytesByFunction.GetPresenceFunction).toBe(Buffer.byteLength(line));
    logs.reset();
    expect(logs.snapshot()).toEqual({ bytesByFunction: {}, emfBytes: 0, lines: 0, emfLines: 0, byLevel: {} });
  });
});

describe('SimulatedClock', () => {
  it('runs events in simulated-time order (ties in the order scheduled), skips cancelled ones and records lateness', async () => {
    // 100x: a simulated second is 10 ms; 'c' comes 100 simulated seconds (1 s) after 'b' schedules its follower.
    const clock = new SimulatedClock(100);
    const ran: string[] = [];
    const done = new Promise<void>((resolve) => {
      clock.at(102, () => ran.push('c'));
      clock.at(1, () => ran.push('a1'));
      clock.at(1, () => ran.push('a2'));
      const cancelled = clock.at(2, () => ran.push('cancelled'));
      clock.at(2, () => {
        ran.push('b');
        clock.cancel(cancelled);
        clock.after(1, () => ran.push('scheduled while running'));
      });
      clock.at(103, resolve);
    });
    clock.start();
    await done;
    clock.stop();
    // 'cancelled' was due at the same time as 'b' and queued before it: it ran first, so only a later event can be cancelled.
    expect(ran).toEqual(['a1', 'a2', 'cancelled', 'b', 'scheduled while running', 'c']);
    const lag = clock.lag.summary();
    expect(lag.count).toBe(7);
    expect(lag.maxMs).toBeGreaterThanOrEqual(0);
  });

  it('does not run a cancelled event', async () => {
    const clock = new SimulatedClock(100);
    const ran: string[] = [];
    const done = new Promise<void>((resolve) => {
      const later = clock.at(2, () => ran.push('later'));
      clock.at(1, () => clock.cancel(later));
      clock.at(3, resolve);
    });
    clock.start();
    await done;
    clock.stop();
    expect(ran).toEqual([]);
  });
});

describe('FlapDetector', () => {
  it('counts a presence-timeout for a user who is online, or back within 2 simulated minutes, as a flap', () => {
    let flaps = 0;
    const detector = new FlapDetector((count) => (flaps += count));
    detector.timeoutReceived('alice', 100, true);
    expect(flaps).toBe(1);
    detector.timeoutReceived('bob', 100, false);
    detector.timeoutReceived('bob', 101, false);
    detector.cameOnline('bob', 220);
    expect(flaps).toBe(3);
    detector.timeoutReceived('carol', 100, false);
    detector.cameOnline('carol', 221);
    expect(flaps).toBe(3);
    // Matched once: a later return is not another flap.
    detector.cameOnline('bob', 230);
    expect(flaps).toBe(3);
  });
});

describe('endOfRunLines', () => {
  const lag = { count: 3, p50Ms: 1, p99Ms: 9, maxMs: 12 };

  it("says how late the run was, how busy the stack was, and the functions' first warnings", () => {
    const lines = endOfRunLines(
      { actions: lag, echoes: lag, rest: lag },
      { stackSeconds: 30, redisServerSeconds: 3, wallSeconds: 120 },
      { bytesByFunction: {}, emfBytes: 0, lines: 3, emfLines: 0, byLevel: { INFO: 1, WARN: 2 } },
      [{ level: 'WARN', functionName: 'UpdatePresenceFunction', message: 'push failed', error: 'timeout' }],
    );
    expect(lines).toEqual([
      '[simulate] lateness in the measured window (wall ms): actions p50 1, p99 9, max 12; own page echo p50 1, p99 9, max 12; GET /presence p50 1, p99 9, max 12',
      "[simulate] the stack's CPU in the measured window: 0.25 of a core (its process), 0.03 (its redis-server), over 120.0 s",
      '[simulate] the functions logged 2 WARN in the measured window; the first:',
      '  WARN UpdatePresenceFunction: push failed (timeout)',
    ]);
    expect(endOfRunLines({ actions: lag, echoes: lag, rest: lag }, undefined, { bytesByFunction: {}, emfBytes: 0, lines: 0, emfLines: 0, byLevel: {} }, [])).toHaveLength(1);
  });
});

describe('process CPU', () => {
  const linux = process.platform === 'linux';

  (linux ? it : it.skip)("reads a process's CPU seconds from /proc, growing as it works", () => {
    const before = processCpuSeconds(process.pid)!;
    // Busy for 50 ms: at 100 clock ticks a second that is several ticks of CPU.
    const until = performance.now() + 50;
    let spin = 0;
    while (performance.now() < until) spin += 1;
    expect(spin).toBeGreaterThan(0);
    expect(processCpuSeconds(process.pid)!).toBeGreaterThan(before);
    expect(readCpu(process.pid)).toEqual({ stack: expect.any(Number), children: expect.any(Number) });
  });

  it('reads nothing for a process that does not exist', () => {
    expect(readCpu(2 ** 22 + 1)).toBeUndefined();
  });
});
