/**
 * The cold-start proxy of every function: the time and memory to load its built bundle, with the layer's
 * node_modules, in a fresh Node process, beside the same for `require('ioredis')` alone (the floor), all
 * in one run:
 *
 *   npm run build && npm run cold-start
 *   npm run cold-start -- --build-dir .aws-sam/build --runs 9 --check
 *
 * Each round loads the floor and every bundle once, each in its own process, in a rotating order (so a
 * busy moment of the machine does not land on one function only); the table gives each one's median over
 * the rounds (a first, unreported round warms the file cache) and its ratio to the floor's median. Only
 * the ratios compare across machines and runs; the goals are judged on wall time, and the CPU time beside
 * it is the steadier figure when other work shares the machine. Bundles load with bundleLoadEnvironment():
 * loopback addresses, a Redis that answers (REDIS_URL, else 127.0.0.1:6379), tracing off, as the
 * template's default. Beside each load, what the function loads on first use (its push client, the Secrets Manager client;
 * scripts/check-build.ts lists them) is timed apart, required right after the bundle in the same process:
 * a container pays that too, on its first push or connection, instead of in its init.
 * `--check` exits 1 when a goal is missed: the heartbeat at most 2.2 times the floor, no function over 3.
 */
import { join, relative, resolve } from 'node:path';
import { bundleLoadEnvironment, loadInFreshProcess, type BundleLoad, type LoadTarget } from './bundle-inspection';
import { checkBuild, firstUsePackages, REPO_ROOT } from './check-build';

/** Goals, as ratios of load time to the floor's. */
const GOALS = { HeartbeatFunction: 2.2, any: 3 } as const;

const FLOOR = 'ioredis alone';

interface ColdStartRow {
  name: string;
  ms: number;
  msMin: number;
  msMax: number;
  rssMb: number;
  heapMb: number;
  /** Median time to require, after the bundle, what the function loads on first use. */
  firstUseMs: number;
  /** Median CPU time of the load, and its ratio to the floor's (steadier than wall time on a busy machine). */
  cpuMs: number;
  cpuRatio: number;
  /** Load time and resident memory, each as a ratio to the floor's. */
  msRatio: number;
  rssRatio: number;
  packages: string[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const MB = 1024 * 1024;

/** One row per target from its loads, the floor's first. */
function summarize(loads: Map<string, BundleLoad[]>): ColdStartRow[] {
  const floor = loads.get(FLOOR) ?? [];
  const floorMs = median(floor.map((load) => load.ms));
  const floorRss = median(floor.map((load) => load.rssBytes));
  const floorCpu = median(floor.map((load) => load.cpuMs));
  return [...loads].map(([name, runs]) => {
    const times = runs.map((load) => load.ms);
    const rss = median(runs.map((load) => load.rssBytes));
    return {
      name,
      ms: median(times),
      msMin: Math.min(...times),
      msMax: Math.max(...times),
      rssMb: rss / MB,
      heapMb: median(runs.map((load) => load.heapUsedBytes)) / MB,
      firstUseMs: median(runs.map((load) => load.firstUseMs)),
      cpuMs: median(runs.map((load) => load.cpuMs)),
      cpuRatio: median(runs.map((load) => load.cpuMs)) / floorCpu,
      msRatio: median(times) / floorMs,
      rssRatio: rss / floorRss,
      packages: runs[0]?.packages ?? [],
    };
  });
}

/** The goals a row misses, one line each. */
function missedGoals(rows: readonly ColdStartRow[]): string[] {
  const missed: string[] = [];
  for (const row of rows) {
    if (row.name === FLOOR) continue;
    const goal = row.name === 'HeartbeatFunction' ? GOALS.HeartbeatFunction : GOALS.any;
    if (row.msRatio > goal) missed.push(`${row.name} loads in ${row.msRatio.toFixed(2)}x the floor's time (goal: at most ${goal}x)`);
  }
  return missed;
}

/** The layer's own dependencies among what a load loaded (not the packages they pulled in). */
function shownPackages(row: ColdStartRow, dependencies: ReadonlySet<string>): string {
  return row.packages.filter((name) => dependencies.has(name)).join(', ');
}

function formatRows(rows: readonly ColdStartRow[], runs: number, dependencies: ReadonlySet<string>): string {
  const header = [
    'function',
    'load ms (median)',
    'min-max',
    'x floor',
    'CPU ms',
    'x floor',
    'RSS MB',
    'x floor',
    'heap MB',
    '+ first use ms',
    "layer's dependencies loaded at start",
  ];
  const body = rows.map((row) => [
    row.name,
    row.ms.toFixed(1),
    `${row.msMin.toFixed(0)}-${row.msMax.toFixed(0)}`,
    row.msRatio.toFixed(2),
    row.cpuMs.toFixed(1),
    row.cpuRatio.toFixed(2),
    row.rssMb.toFixed(1),
    row.rssRatio.toFixed(2),
    row.heapMb.toFixed(1),
    row.firstUseMs > 0 ? row.firstUseMs.toFixed(1) : '-',
    shownPackages(row, dependencies),
  ]);
  const widths = header.map((title, col) => Math.max(title.length, ...body.map((cells) => cells[col]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((cell, col) => (col === 0 || col === cells.length - 1 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0)))
      .join('  ');
  return [
    `Cold-start proxy: median of ${runs} loads each, every load in a fresh Node process (the floor: require('ioredis') alone)`,
    line(header),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...body.map(line),
  ].join('\n');
}

/** A wrong argument: its message and the usage are printed, exit code 2. */
class UsageError extends Error {}

interface Args {
  buildDir: string;
  runs: number;
  check: boolean;
}

const USAGE = `usage: npm run cold-start -- [--build-dir DIR] [--runs N] [--check]
  --build-dir DIR  the built functions (default .aws-sam/build: npm run build)
  --runs N         loads of each bundle in a fresh process (default 7; medians are reported)
  --check          exit 1 when a goal is missed`;

function parseArgs(argv: string[]): Args | 'help' {
  const args: Args = { buildDir: join(REPO_ROOT, '.aws-sam', 'build'), runs: 7, check: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--check') args.check = true;
    else if (arg === '--build-dir' && value) {
      args.buildDir = resolve(process.cwd(), value);
      i += 1;
    } else if (arg === '--runs' && value && /^[1-9]\d*$/.test(value)) {
      args.runs = Number(value);
      i += 1;
    } else throw new UsageError(`${arg} is not an option here, or lacks its value\n${USAGE}`);
  }
  return args;
}

function main(): void {
  try {
    const args = parseArgs(process.argv.slice(2));
    if (args === 'help') {
      console.log(USAGE);
      return;
    }
    const build = checkBuild(args.buildDir);
    const functions = build.functions.filter((fn) => fn.handlerFile && fn.layerModules.length > 0);
    const modulesDir = functions[0]?.layerModules[0];
    if (!modulesDir) {
      throw new Error(`${args.buildDir} has no built function with a layer: run \`npm run build\` first (${build.problems.join('; ')})`);
    }
    const env = bundleLoadEnvironment();
    const layerDirs = (dirs: readonly string[]) => dirs.map((dir) => join(build.buildDir, dir));
    const targets = new Map<string, { target: LoadTarget; modulesDirs: string[]; firstUse: string[] }>([
      [FLOOR, { target: { package: 'ioredis' }, modulesDirs: layerDirs([modulesDir]), firstUse: [] }],
      ...functions.map((fn): [string, { target: LoadTarget; modulesDirs: string[]; firstUse: string[] }] => [
        fn.logicalId,
        {
          target: { bundle: join(build.buildDir, fn.handlerFile!) },
          modulesDirs: layerDirs(fn.layerModules),
          firstUse: firstUsePackages(fn.logicalId),
        },
      ]),
    ]);
    const names = [...targets.keys()];
    const loads = new Map<string, BundleLoad[]>(names.map((name) => [name, []]));
    for (let round = 0; round <= args.runs; round += 1) {
      // Round 0 warms the file cache and is not counted.
      for (let i = 0; i < names.length; i += 1) {
        const name = names[(i + round) % names.length]!;
        const { target, modulesDirs, firstUse } = targets.get(name)!;
        const load = loadInFreshProcess(target, modulesDirs, { env, firstUse });
        if (round > 0) loads.get(name)!.push(load);
      }
    }
    const rows = summarize(loads);
    console.log(formatRows(rows, args.runs, new Set(build.layers.flatMap((layer) => layer.dependencies))));
    console.log(`\nbuild: ${relative(process.cwd(), build.buildDir) || '.'}; Redis for the clients created at load: ${env.REDIS_URL}`);
    const missed = missedGoals(rows);
    if (missed.length === 0)
      console.log(`goals met: HeartbeatFunction at most ${GOALS.HeartbeatFunction}x the floor, every function at most ${GOALS.any}x`);
    else for (const line of missed) console.log(`goal missed: ${line}`);
    if (args.check && missed.length > 0) process.exitCode = 1;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}

main();
