/**
 * `npm run cost` and `npm run capacity` as commands: --json prints exactly one JSON object with the
 * fields tools rely on; a wrong option or a missing measurement is one line on stderr and exit code 2.
 * Priced from the fixture measurement (hand-made numbers, not a measurement).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { buildCapacityReport, buildCostReport, type Options } from '../../cost/run';
import { FIXTURE } from '../fixtures/cost/model-input';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const options: Options = { profile: 'reference', measured: FIXTURE, region: 'us-east-1', engine: 'valkey', assume: [] };

function run(script: string, args: string[]) {
  return spawnSync(TSX, [script, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

describe('npm run cost', () => {
  it('builds the report every tool reads', () => {
    const report = buildCostReport(options);
    expect(typeof report.perUserMonth.total).toBe('number');
    expect(Object.keys(report.perUserMonth.components)).toEqual([
      'apiGatewayMessages',
      'apiGatewayConnectionMinutes',
      'apiGatewayRest',
      'lambdaRequests',
      'lambdaGbSeconds',
      'stepFunctions',
      'elastiCacheEcpu',
      'elastiCacheStorage',
      'cloudWatchLogsIngestion',
      'cloudWatchLogsStorage',
      'customMetrics',
      'natDataProcessing',
      'dataTransferOut',
      'secretsManagerApiCalls',
    ]);
    expect(report.profile.name).toBe('reference');
    expect(report.region).toBe('us-east-1');
    expect(report.measured).toEqual({
      file: path.relative(ROOT, FIXTURE),
      date: '2026-12-07T00:00:00.000Z',
      commit: 'fixture0000000000000000000000000000000000',
      dirty: false,
    });
    expect(report.messagesPerUserMonth).toEqual({ in: 23_280, out: 148_800, total: 172_080 });
    expect(report.fixedMonthly.total).toBeGreaterThan(0);
    expect(report.atScale.map((s) => s.monthlyUsers)).toEqual([1_000, 100_000, 1_000_000]);
    expect(report.peers).toHaveLength(5);
    expect(report.assumptions.natGateways).toMatchObject({ value: 2, default: 2 });
    expect(report.profiles.reference?.perUserMonth.total).toBe(report.perUserMonth.total);
    expect(report.flapsPerUserMonth).toBeCloseTo((16 / 80) * 240, 9);
    expect(Object.keys(report.engineComparison.perUser).sort()).toEqual(['redis-oss', 'valkey']);
  });

  it('prints exactly one JSON object with --json', () => {
    const result = run('cost/cli.ts', ['--json', '--measured', FIXTURE]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as { perUserMonth: { total: number } };
    expect(report.perUserMonth.total).toBeCloseTo(buildCostReport(options).perUserMonth.total, 9);
  });

  it('answers a missing measurement and an unknown region with one line and exit code 2', () => {
    const missing = run('cost/cli.ts', ['--measured', 'no/such/file.json']);
    expect(missing.status).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^cost: no measurement at .*no\/such\/file\.json; record one with `npm run simulate/);
    expect(() => buildCostReport({ ...options, region: 'eu-west-1' })).toThrow(/no sourced prices for region "eu-west-1"/);
    expect(() => buildCostReport({ ...options, profile: 'nobody' })).toThrow(/no profile "nobody"/);
  });
});

describe('npm run capacity', () => {
  it('builds the plan every tool reads', () => {
    const report = buildCapacityReport(options, 100_000);
    expect(report.online).toBe(100_000);
    expect(report.shards).toBe(16);
    expect(report.binding.first.name).toBe('apiGatewayRequests');
    expect(report.measured.commit).toMatch(/^fixture/);
    expect(report.limits.every((l) => typeof l.bindsAtOnline === 'number' && l.source.length > 0)).toBe(true);
  });

  it('refuses to run without --online, in one line', () => {
    const result = run('cost/capacity-cli.ts', ['--measured', FIXTURE]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe('capacity: --online <N> is required (users online at once)');
  });
});
