/**
 * Side by side with the original PageNow presence service, as Lambda bills it:
 *
 *   npm run bench:original -- --original <dir> [--invocations 200] [--runs 5] [--paths heartbeat,update-20,...] [--no-throughput] [--json]
 *   (the same as npx tsx bench/original/run.ts --original <dir> ...)
 *
 * <dir> is a checkout of github.com/PageNow/presence-api with its layer's locked packages installed:
 *
 *   git clone https://github.com/PageNow/presence-api <dir>
 *   (cd <dir>/src/layer/nodejs && npm ci --ignore-scripts --legacy-peer-deps)   # redis 3.1.2, aws-sdk 2.1004.0, pg 8.7.1, psl 1.8.0
 *
 * Nothing of the original is copied into this repository: its handlers are bundled into a temporary
 * directory, with one change to its code, said in the output (get_presence.js's hard-coded PostgreSQL
 * TLS turned off). Not part of CI: the original is not on a fresh machine.
 *
 * Each side's functions run the same way (./environment.ts): a process per contender per path, under
 * plain node, with the function's own environment and its layer's packages (NODE_PATH); ours as the
 * template's esbuild bundles, with its defaults (INFO, metrics on) and again with logging and metrics
 * off; the original's as it ships (console.log, aws-sdk v2 without keep-alive). Both use the same
 * private redis-server, PostgreSQL database (the same graph), @connections sink and Lambda variables.
 *
 * Per path (heartbeat; update-presence with 20 and with 200 friends online; GET /presence with 200
 * friends; a sweep of stale users with 20 online friends each: the original's timeout function against
 * one batch of ours, compared per timed-out user): billed ms per invocation one invocation at a time
 * (median, p90, mean), CPU ms, Redis round trips, posts, log bytes, ours over the original's. Then the
 * heartbeat and update-presence with 20 friends at 16 in flight, runs alternating, medians. Every
 * invocation must succeed and both sides must make the same posts per operation, or the run fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readCommandLine } from '../command-line';
import { Cleanup, runWithCleanup } from '../fixtures';
import { ORIGINAL_TLS_CHANGE, buildEnvironment, buildOriginal, buildOurs, originalLayer } from './build';
import { setUpFixtures } from './fixtures';
import { sequential, throughput, type Builds, type Harness } from './measure';
import type { PathName } from './protocol';
import {
  printProjection,
  printSequential,
  printThroughput,
  sequentialReport,
  throughputReport,
  type PathReport,
  type ThroughputReport,
} from './report';
import { CLIENT_ID, CONTENDERS, FUNCTIONS } from './sides';

const HOW_TO_GET_IT =
  "bench/original: pass --original <dir>, a checkout of github.com/PageNow/presence-api with `npm ci --ignore-scripts --legacy-peer-deps` run in <dir>/src/layer/nodejs (see this file's header).";

const ALL_PATHS: readonly PathName[] = ['heartbeat', 'update-20', 'update-200', 'get-presence-200', 'sweep'];
const LOAD_PATHS = ['heartbeat', 'update-20'] as const;

const USAGE = `usage: npm run bench:original -- --original <dir> [--invocations 200] [--warmups 5] [--runs 5]
         [--paths ${ALL_PATHS.join(',')}] [--no-throughput] [--json]
         [--sweep-invocations 20] [--stale 100] [--duration-ms 2000] [--warmup-ms 1000] [--concurrency 16]
  <dir> is a checkout of github.com/PageNow/presence-api with its layer's packages installed (this file's header)`;

function settings() {
  const { values } = readCommandLine(USAGE, () =>
    parseArgs({
      options: {
        original: { type: 'string' },
        invocations: { type: 'string', default: '200' },
        warmups: { type: 'string', default: '5' },
        'sweep-invocations': { type: 'string', default: '20' },
        stale: { type: 'string', default: '100' },
        runs: { type: 'string', default: '5' },
        'duration-ms': { type: 'string', default: '2000' },
        'warmup-ms': { type: 'string', default: '1000' },
        concurrency: { type: 'string', default: '16' },
        paths: { type: 'string', default: ALL_PATHS.join(',') },
        'no-throughput': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    }),
  );
  const count = (name: keyof typeof values): number => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1) {
      console.error(`--${name} must be a positive integer, got "${String(values[name])}"`);
      process.exit(2);
    }
    return value;
  };
  const paths = String(values.paths)
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const unknown = paths.filter((p) => !ALL_PATHS.includes(p as PathName));
  if (unknown.length > 0) {
    console.error(`--paths: unknown ${unknown.join(', ')}; one or more of ${ALL_PATHS.join(', ')}`);
    process.exit(2);
  }
  return {
    original: values.original,
    invocations: count('invocations'),
    warmups: Number(values.warmups),
    sweepInvocations: count('sweep-invocations'),
    stale: count('stale'),
    runs: count('runs'),
    durationMs: count('duration-ms'),
    warmupMs: count('warmup-ms'),
    concurrency: count('concurrency'),
    paths: paths as PathName[],
    throughput: !values['no-throughput'],
    json: values.json,
  };
}

/** The original's checkout, or one line saying how to get it. */
function originalDirectory(dir: string | undefined): string {
  if (!dir) {
    console.error(HOW_TO_GET_IT);
    process.exit(2);
  }
  const absolute = resolve(dir);
  const layer = originalLayer(absolute).nodeModules;
  if (!existsSync(join(absolute, 'src', 'functions', 'heartbeat', 'heartbeat.js')) || !existsSync(join(layer, 'redis'))) {
    console.error(`${absolute} is not a checkout with its layer installed. ${HOW_TO_GET_IT}`);
    process.exit(2);
  }
  return absolute;
}

const git = (cwd: string, ...args: string[]): string => {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
};

const versionOf = (nodeModules: string, name: string): string => {
  try {
    return (JSON.parse(readFileSync(join(nodeModules, name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
};

async function main(cleanup: Cleanup): Promise<number> {
  const options = settings();
  const originalDir = originalDirectory(options.original);
  const log = (line: string): void => (options.json ? console.error(line) : console.log(line));
  const repo = resolve(__dirname, '..', '..');
  const layer = originalLayer(originalDir).nodeModules;
  const context = {
    date: new Date().toISOString(),
    commit: `${git(repo, 'rev-parse', '--short', 'HEAD')}${git(repo, 'status', '--porcelain').length > 0 ? ' (working tree with changes)' : ''}`,
    original: {
      dir: originalDir,
      commit: git(originalDir, 'rev-parse', '--short', 'HEAD'),
      packages: Object.fromEntries(['redis', 'aws-sdk', 'pg', 'psl', 'jsonwebtoken'].map((name) => [name, versionOf(layer, name)])),
      change: `${ORIGINAL_TLS_CHANGE.file}: "${ORIGINAL_TLS_CHANGE.from}" -> "${ORIGINAL_TLS_CHANGE.to}" (its only change)`,
    },
    node: process.version,
    loadAverageAtStart: loadavg().map((x) => Number(x.toFixed(2))),
  };
  log(
    `Side by side with the original (${context.original.commit}, ${Object.entries(context.original.packages)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}) at ${context.commit}; load average ${context.loadAverageAtStart.join(' ')}`,
  );
  log(`The original's one change: ${context.original.change}`);

  const buildDir = mkdtempSync(join(tmpdir(), 'presence-original-bench-'));
  cleanup.later(() => Promise.resolve(rmSync(buildDir, { recursive: true, force: true })));
  const builds: Builds = { environment: await buildEnvironment(buildDir), ours: {}, original: {} };
  for (const path of options.paths) {
    const { ours, original } = FUNCTIONS[path];
    builds.ours[ours] ??= await buildOurs(ours, buildDir);
    builds.original[original] ??= await buildOriginal(originalDir, original, buildDir);
  }
  log(
    `built ${Object.keys(builds.ours).join(', ')} (template BuildProperties) and the original's ${Object.keys(builds.original).join(', ')} in ${buildDir}`,
  );

  const fixtures = await setUpFixtures({ invocations: options.invocations + options.warmups, staleUsers: options.stale, log, cleanup });
  const sink = new URL(fixtures.infra.sinkEndpoint);
  const samples = Object.fromEntries(
    ['heartbeat', 'update-presence', 'get-presence'].map((name) => [
      name,
      JSON.parse(readFileSync(join(repo, 'events', `${name}.json`), 'utf8')) as unknown,
    ]),
  );
  const harness: Harness = {
    fixtures,
    builds,
    originalDir,
    kit: { samples, domainName: sink.host, stage: sink.pathname.replace(/^\//, ''), clientId: CLIENT_ID },
    log,
    problems: [],
  };

  const { size } = fixtures;
  const titles: Record<PathName, string> = {
    heartbeat: 'heartbeat',
    'update-20': `update-presence, ${size.ringFriends} friends online`,
    'update-200': `update-presence, ${size.hubFriends} friends online`,
    'get-presence-200': `GET /presence, ${size.hubFriends} friends`,
    sweep: `sweep, ${size.lambda.stale} stale users x ${size.staleFriends} friends online`,
  };
  const sequentialReports: PathReport[] = [];
  for (const path of options.paths) {
    const sweep = path === 'sweep';
    const total = sweep ? options.sweepInvocations + 1 : options.invocations + options.warmups;
    const warmups = sweep ? 1 : options.warmups;
    log(`${titles[path]}: ${total} invocations per contender, one at a time, taking turns`);
    const report = sequentialReport(
      path,
      titles[path],
      await sequential(harness, path, total, warmups),
      sweep ? size.lambda.stale : undefined,
    );
    const posts = new Set(report.rows.map((row) => row.perInvocation.posts));
    if (posts.size !== 1)
      harness.problems.push(
        `${path}: the contenders made different posts per invocation: ${report.rows.map((row) => `${row.key} ${row.perInvocation.posts}`).join(', ')}`,
      );
    for (const row of report.rows) {
      log(
        `  ${row.key}: billed ${row.billedMs.median} ms median, ${row.billedMs.p90} p90, ${row.billedMs.mean.toFixed(2)} mean${row.ofOriginal ? ` (${row.ofOriginal.mean.toFixed(2)}x the original's)` : ''}`,
      );
    }
    sequentialReports.push(report);
  }

  const throughputReports: ThroughputReport[] = [];
  if (options.throughput) {
    for (const path of LOAD_PATHS.filter((p) => options.paths.includes(p))) {
      log(`${titles[path]}: ${options.concurrency} in flight, ${options.runs} alternating runs of ${options.durationMs} ms`);
      const load = { runs: options.runs, durationMs: options.durationMs, warmupMs: options.warmupMs, concurrency: options.concurrency };
      const report = throughputReport(path, titles[path], load, await throughput(harness, path, load));
      for (const row of report.rows)
        log(
          `  ${row.key}: ${Math.round(row.opsPerSec.median)}/s median${row.ofOriginal ? ` (${row.ofOriginal.ofMedians.toFixed(2)}x the original's)` : ''}`,
        );
      throughputReports.push(report);
    }
  }

  const loadAverageAtEnd = loadavg().map((x) => Number(x.toFixed(2)));
  printSequential(log, sequentialReports, options.invocations, options.warmups);
  printProjection(log, sequentialReports);
  printThroughput(log, throughputReports, options.runs);
  log('');
  log(`Contenders: ${CONTENDERS.map((c) => c.label).join('; ')}. Load average at the end: ${loadAverageAtEnd.join(' ')}.`);
  log(
    'Unlike Lambda: each environment gets a whole core of this shared machine whatever its memory (in AWS the original at 128 MB gets about a quarter of what ours gets at 512 MB); loopback to Redis, PostgreSQL and the sink, without TLS on either side (in AWS the original opens a new TLS connection for every post, keep-alive being off); Node 20 for both (the original shipped on nodejs12.x, ours deploys on nodejs24.x).',
  );
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ ...context, loadAverageAtEnd, settings: options, sequential: sequentialReports, throughput: throughputReports, problems: harness.problems })}\n`,
    );
  }
  if (harness.problems.length > 0) {
    console.error(`\n${harness.problems.length} problem(s): the figures above are not valid`);
    for (const problem of harness.problems.slice(0, 20)) console.error(`  ${problem}`);
    return 1;
  }
  return 0;
}

const cleanup = new Cleanup();
runWithCleanup(cleanup, () => main(cleanup));
