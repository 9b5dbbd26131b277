/**
 * What the benchmark prints and writes: the one JSON object of a named
 * scenario, and for the full run the tables (scenarios, targets, CPU bounds),
 * the CPU profiles' hot functions and bench/results/latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Bench } from './fixtures';
import { printLambdaReport } from './lambda-report';
import { differencesFromTemplate, templateFunction } from './lambda-template';
import { fmt, type ScenarioResult } from './measure';
import { printSignerComparison } from './signers';
import { formatHotFunctions } from './profile-summary';
import type { Measured } from './scenarios';
import { clientAloneSpec } from './workloads';

/** The one JSON object `--scenario X --json` prints. */
export function scenarioJson(name: string, measured: Measured, b: Bench): Record<string, unknown> {
  const { result, floor } = measured;
  return {
    scenario: name,
    name: result.name,
    smoke: b.settings.smoke,
    runs: b.settings.runs,
    concurrency: result.concurrency,
    containers: b.containers.size,
    opsPerSec: result.opsPerSec,
    seconds: result.seconds,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    postsPerSec: result.postsPerSec,
    floorPostsPerSec: floor?.postsPerSec,
    fractionOfFloor: floor && floor.postsPerSec > 0 ? result.postsPerSec / floor.postsPerSec : undefined,
    cpuUsPerPush: result.benchCpuUsPerPush,
    floorCpuUsPerPush: floor?.benchCpuUsPerPush,
    cpuUsPerOp: result.cpuUsPerOp,
    perOp: result.perOp,
    errors: result.errors + (floor?.errors ?? 0),
    profiles: b.profiles,
  };
}

interface Target {
  scenario: string;
  figure: string;
  target: string;
  pass: boolean;
  value: number;
}

/** The full run's tables on the log; the targets and CPU bounds for the results file. */
function reportFullRun(b: Bench): { targets: Target[]; bounds: Record<string, unknown> } {
  const { log } = b;
  const { size, smoke } = b.settings;
  const find = (prefix: string): ScenarioResult => {
    const found = b.results.find((s) => s.name.startsWith(prefix));
    if (!found) throw new Error(`no scenario "${prefix}"`);
    return found;
  };
  const hb = find('heartbeat');
  const ping = find('Redis client alone');
  const storeHeartbeat = find('store.heartbeat');
  const up0 = find('update-presence, 0');
  const up20 = find(`update-presence, ${size.ringFriends} `);
  const up200 = find(`update-presence, ${size.hubFriends} `);
  const get200 = find(`GET /presence, ${size.hubFriends}`);
  const floor = find('transport floor');
  const lean = find('lean client alone');
  const sdk = find('SDK client alone');
  const sweepSmall = find(`timeout sweep, ${fmt(size.staleSmall)}`);
  const sweepLarge = b.results.find((s) => s.name.startsWith(`timeout sweep, ${fmt(size.staleLarge)}`) && size.staleLarge > 0);
  const warm = b.results.filter((s) => !s.name.startsWith('store.') && !s.name.startsWith('timeout'));
  const maxPgConnects = Math.max(...warm.map((s) => s.perOp.pgConnects));
  const maxUpdateRt = Math.max(up0.perOp.redisRoundTrips, up20.perOp.redisRoundTrips, up200.perOp.redisRoundTrips);
  const ofFloor = (s: ScenarioResult): number => s.postsPerSec / floor.postsPerSec;
  const memoryWithout = Number(b.memory?.withoutPagesBytesPerUser ?? NaN);
  const rate = (s: ScenarioResult, min: number): Target => ({
    scenario: `${s.name}, c${s.concurrency}`,
    figure: `${fmt(s.opsPerSec)}/s`,
    target: `>= ${fmt(min)}/s`,
    value: s.opsPerSec,
    pass: s.opsPerSec >= min,
  });
  const targets: Target[] = [
    rate(up20, 1300),
    {
      scenario: `${up20.name}: posts/s as a fraction of the transport floor`,
      figure: `${(100 * ofFloor(up20)).toFixed(0)} %`,
      target: '>= 60 %',
      value: ofFloor(up20),
      pass: ofFloor(up20) >= 0.6,
    },
    rate(up200, 200),
    {
      scenario: `CPU per push in the handler process (${up20.name})`,
      figure: `${fmt(up20.benchCpuUsPerPush)} µs`,
      target: '<= 70 µs',
      value: up20.benchCpuUsPerPush,
      pass: up20.benchCpuUsPerPush <= 70,
    },
    rate(hb, 90_000),
    {
      // One script call per heartbeat; under concurrency ioredis auto-pipelining shares writes, so the average drops below 1.
      scenario: 'heartbeat Redis round trips (per op, auto-pipelined)',
      figure: hb.perOp.redisRoundTrips.toFixed(2),
      target: '<= 1',
      value: hb.perOp.redisRoundTrips,
      pass: hb.perOp.redisRoundTrips <= 1,
    },
    rate(get200, 134),
    {
      scenario: sweepSmall.name,
      figure: `${sweepSmall.seconds!.toFixed(2)} s`,
      target: '<= 0.9 s',
      value: sweepSmall.seconds!,
      pass: sweepSmall.seconds! <= 0.9,
    },
    ...(sweepLarge
      ? [
          {
            scenario: sweepLarge.name,
            figure: `${sweepLarge.seconds!.toFixed(2)} s`,
            target: '<= 9 s',
            value: sweepLarge.seconds!,
            pass: sweepLarge.seconds! <= 9,
          },
        ]
      : []),
    {
      scenario: 'Redis round trips per update-presence (0/20/200 friends)',
      figure: [up0, up20, up200].map((s) => s.perOp.redisRoundTrips.toFixed(2)).join(' / '),
      target: '<= 3',
      value: maxUpdateRt,
      pass: maxUpdateRt <= 3,
    },
    {
      scenario: 'new PostgreSQL connections per warm invocation',
      figure: maxPgConnects.toFixed(4),
      target: '0',
      value: maxPgConnects,
      pass: maxPgConnects === 0,
    },
    {
      scenario: 'Redis memory per online user, without page strings',
      figure: `${fmt(memoryWithout)} B`,
      target: '<= 1,024 B',
      value: memoryWithout,
      pass: memoryWithout <= 1024,
    },
  ];

  log('');
  log('## Scenarios (medians of runs; per-op counts over all measured runs)');
  log('');
  log(`Settings unlike the template's (bench/environment.ts), for throughput: ${throughputDifferences().join('; ')}.`);
  log('');
  log(
    '| Scenario | c | ops/s | p50 ms | p99 ms | Redis RT/op | PG q/op | posts/op | posts/s | of transport floor | CPU µs per push (handler process) | CPU bench/sink/redis % | CPU µs/op |',
  );
  log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const s of b.results) {
    const p = s.perOp;
    log(
      `| ${s.name} | ${s.concurrency} | ${s.seconds !== undefined ? `${s.seconds.toFixed(2)} s/run` : fmt(s.opsPerSec)} | ${s.p50Ms.toFixed(2)} | ${s.p99Ms.toFixed(2)} | ${p.redisRoundTrips.toFixed(2)} | ${p.pgQueries.toFixed(3)} | ${(p.posts + p.closes).toFixed(1)} | ${s.postsPerSec > 0 ? fmt(s.postsPerSec) : ''} | ${s.postsPerSec > 0 ? `${(100 * ofFloor(s)).toFixed(0)} %` : ''} | ${s.benchCpuUsPerPush > 0 ? fmt(s.benchCpuUsPerPush, 1) : ''} | ${s.cpu.bench.toFixed(0)}/${s.cpu.sink.toFixed(0)}/${s.cpu.redis.toFixed(0)} | ${fmt(s.cpuUsPerOp.total)} |`,
    );
  }
  log('');
  log(
    `Transport floor ${fmt(floor.postsPerSec)} posts/s (${fmt(floor.benchCpuUsPerPush, 1)} µs of handler-process CPU per post); lean client alone ${fmt(lean.postsPerSec)} posts/s (${fmt(lean.benchCpuUsPerPush, 1)} µs); SDK client alone ${fmt(sdk.postsPerSec)} posts/s (${fmt(sdk.benchCpuUsPerPush, 1)} µs); sink alone (autocannon) ${fmt(b.ceilings.sink?.postsPerSec ?? NaN)} posts/s`,
  );
  log(`Peak RSS: bench ${fmt(process.resourceUsage().maxRSS / 1024)} MB`);
  log('');
  log(`## Targets${smoke ? ' (smoke run: not meaningful)' : ''}`);
  log('');
  log('| Target | Figure | Target | Result |');
  log('|---|--:|--:|---|');
  for (const target of targets) log(`| ${target.scenario} | ${target.figure} | ${target.target} | ${target.pass ? 'PASS' : 'MISS'} |`);

  // CPU per operation (handler process + sink + Redis) times the target rate, against the cores there are;
  // and the same for the floor: the transport floor per post times the posts, or ioredis alone plus the script in Redis.
  const cores = os.availableParallelism();
  const floorUsPerPost = floor.cpuUsPerOp.total / Math.max(1, floor.perOp.posts);
  const pushRow = (scenario: ScenarioResult, targetPerSec: number, unit: string) => ({
    scenario,
    targetPerSec,
    unit,
    floorUs: floorUsPerPost * (scenario.perOp.posts + scenario.perOp.closes),
    floor: 'transport floor + sink, same posts',
  });
  const cost = [
    pushRow(up20, 1300, 'updates'),
    pushRow(up200, 200, 'updates'),
    pushRow(sweepSmall, size.staleSmall / 0.9, 'stale users'),
    ...(sweepLarge ? [pushRow(sweepLarge, size.staleLarge / 9, 'stale users')] : []),
    {
      scenario: hb,
      targetPerSec: 90_000,
      unit: 'heartbeats',
      floorUs: ping.cpuUsPerOp.bench + hb.cpuUsPerOp.redis,
      floor: 'ioredis alone (PING, client side) + the script in Redis',
    },
  ].map((row) => ({
    scenario: row.scenario.name,
    targetPerSec: row.targetPerSec,
    unit: row.unit,
    cpuUsPerOp: row.scenario.cpuUsPerOp,
    coresAtTarget: (row.targetPerSec * row.scenario.cpuUsPerOp.total) / 1e6,
    floor: row.floor,
    floorUsPerOp: row.floorUs,
    floorCoresAtTarget: (row.targetPerSec * row.floorUs) / 1e6,
  }));
  log('');
  log(`## Bounds (${cores} cores)`);
  log('');
  log(
    '| Scenario | Target | CPU per op (bench/sink/Redis) | Cores needed at the target | Floor | Floor CPU per op | Cores the floor needs |',
  );
  log('|---|--:|--:|--:|---|--:|--:|');
  for (const row of cost) {
    const c = row.cpuUsPerOp;
    log(
      `| ${row.scenario} | ${fmt(row.targetPerSec)} ${row.unit}/s | ${fmt(c.total)} µs (${fmt(c.bench)}/${fmt(c.sink)}/${fmt(c.redis)}) | ${row.coresAtTarget.toFixed(1)} | ${row.floor} | ${fmt(row.floorUsPerOp)} µs | ${row.floorCoresAtTarget.toFixed(1)} |`,
    );
  }
  const redisAlone =
    b.redisFloor?.shapes.map((shape) => `${shape.connections}x${shape.pipeline}: ${fmt(shape.perSec)}/s`).join(', ') ??
    'redis-benchmark not found';
  log('');
  log(
    `Heartbeat: handler ${fmt(hb.opsPerSec)}/s, store alone ${fmt(storeHeartbeat.opsPerSec)}/s, ioredis alone (PING) ${fmt(ping.opsPerSec)}/s, Redis with a C client (connections x pipeline): ${redisAlone}; Redis's own CPU per heartbeat ${fmt(hb.cpuUsPerOp.redis, 1)} µs (cap at this cost: ${fmt(1e6 / hb.cpuUsPerOp.redis)}/s).`,
  );
  return {
    targets,
    bounds: {
      cores,
      cost,
      heartbeat: {
        redisPingPerSec: ping.opsPerSec,
        storeHeartbeatPerSec: storeHeartbeat.opsPerSec,
        handlerPerSec: hb.opsPerSec,
        redisAlone: b.redisFloor,
      },
    },
  };
}

/**
 * Where the throughput scenarios' environment (bench/environment.ts) differs from what the template deploys: the
 * Lambda-shaped rows are measured with the template's settings, these are not.
 */
export function throughputDifferences(): string[] {
  const template = {
    ...templateFunction('UpdatePresenceFunction', {}).environment,
    ...templateFunction('SweepShardFunction', {}).environment,
  };
  return differencesFromTemplate(template, process.env, ['POWERTOOLS_METRICS_DISABLED']);
}

export function printProfiles(b: Bench): void {
  const { log } = b;
  for (const profile of b.profiles) {
    log('');
    log(`## CPU profile of ${profile.scenario} (${profile.file}): top self time`);
    log(formatHotFunctions(profile.hot));
  }
}

/** The full run's report: tables and profiles on the log, everything in bench/results/latest.json (smoke.json). */
export async function writeFullReport(b: Bench, startedAt: number): Promise<string> {
  const { targets, bounds } = reportFullRun(b);
  if (b.lambda) printLambdaReport(b.log, b.lambda);
  if (b.signers) printSignerComparison(b.log, b.signers);
  printProfiles(b);
  const { config } = b.runtime;
  const { settings } = b;
  const machine = {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    redis: /^redis_version:(.+)$/m.exec(await b.meters.admin.info('server'))?.[1]?.trim(),
    postgres: (await b.runtime.pool.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version,
  };
  const result = {
    generatedAt: new Date().toISOString(),
    smoke: settings.smoke,
    machine,
    settings: {
      runs: settings.runs,
      durationMs: settings.durationMs,
      warmupMs: settings.warmupMs,
      concurrency: settings.concurrency,
      containers: b.containers.size,
      graph: settings.size,
      friendCacheTtlSeconds: config.presence.friendCacheTtlMs / 1000,
      pgPoolMax: config.postgres.poolMax,
      pushConcurrency: config.presence.pushConcurrency,
      statusShards: config.presence.statusShards,
      sweepBatchSize: config.presence.sweepBatchSize,
    },
    ceilings: b.ceilings,
    transportFloor: clientAloneSpec(b, 'floor').name,
    throughputDifferences: throughputDifferences(),
    scenarios: b.results,
    lambda: b.lambda,
    signers: b.signers,
    memory: b.memory,
    targets,
    bounds,
    profiles: b.profiles,
    wallSeconds: (Date.now() - startedAt) / 1000,
  };
  mkdirSync(settings.resultsDir, { recursive: true });
  const out = join(settings.resultsDir, settings.smoke ? 'smoke.json' : 'latest.json');
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  b.log('');
  b.log(`wrote ${out} (${result.wallSeconds.toFixed(0)} s)`);
  return out;
}
