/**
 * Routine successes (a heartbeat, an update fanned out as usual, a subscribe) are logged at DEBUG, so the
 * INFO log an operator reads, and CloudWatch Logs bills, holds refusals, failures and what is unusual
 * (tests/integration/telemetry.test.ts runs at INFO). At DEBUG they carry the same fields.
 */
import type { Pool } from 'pg';
import { befriend, createPool, resetTables, seedUsers } from '../support/db';
import { HandlerHarness } from '../support/handler-harness';
import { stdoutLines } from '../support/stdout-lines';

describe('routine successes at DEBUG', () => {
  const harness = new HandlerHarness('routine-logs', { POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_METRICS_DISABLED: 'true' });
  let pool: Pool;

  beforeAll(async () => {
    await harness.start();
    pool = createPool();
    await resetTables(pool);
    await seedUsers(pool, ['alice', 'bob']);
    await befriend(pool, 'alice', 'bob');
    // Captured, so their INFO lines stay out of the test output.
    await stdoutLines(async () => {
      await harness.connect('bob', 'c-bob=');
      await harness.connect('alice', 'c-alice=');
    });
  });

  afterAll(async () => {
    await harness.close();
    await pool.end();
  });

  it('writes heartbeats, updates fanned out at once and subscribes at DEBUG with their fields', async () => {
    const { lines } = await stdoutLines(async () => {
      await harness.heartbeat('alice', 'c-alice=');
      await harness.update('alice', 'c-alice=', { url: 'https://example.com/', title: 'Example' });
      await harness.subscribe('bob', 'c-bob=', 'status');
    });
    expect(lines.filter((line) => line.message === 'websocket route')).toEqual([
      expect.objectContaining({ level: 'DEBUG', route: 'heartbeat', userId: 'alice', status: 200 }),
      expect.objectContaining({ level: 'DEBUG', route: 'update-presence', userId: 'alice', pushes: 2, status: 200, function_name: 'update-presence' }),
      expect.objectContaining({ level: 'DEBUG', route: 'subscribe', userId: 'bob', subscriptionLevel: 'status', snapshotFrames: 1, status: 200 }),
    ]);
  });
});
