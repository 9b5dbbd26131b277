/**
 * What an esbuild bundle needs from the layer, read two ways:
 *
 * - without loading it: bundledPackages (npm packages whose code esbuild copied INTO the bundle, from the
 *   source map's `sources`) and requiredPackages (npm packages the bundle may load at runtime, every
 *   `require("x")` / `import("x")` in its text, wherever it sits: at start or on first use);
 * - by loading it: loadInFreshProcess requires the bundle in a new Node process that finds npm packages
 *   only in the layer's node_modules (as Lambda does, /opt/nodejs/node_modules), and reports how long that
 *   took, the memory it left, and which packages it actually loaded at start.
 * Node built-ins are left out of every list.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, delimiter, join, resolve } from 'node:path';

const BUILTINS = new Set(builtinModules);

/** `@scope/name/sub/path` -> `@scope/name`, `name/sub` -> `name`; undefined for relative/absolute paths. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  const parts = specifier.split('/');
  if (specifier.startsWith('@')) return parts.length >= 2 && parts[1] ? `${parts[0]}/${parts[1]}` : undefined;
  return parts[0] || undefined;
}

export function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0] ?? '');
}

/** Packages a bundle loads at runtime, sorted. */
export function requiredPackages(bundle: string): string[] {
  const found = new Set<string>();
  for (const match of bundle.matchAll(/\b(?:require|import)\(\s*(["'`])([^"'`]+)\1\s*\)/g)) {
    const specifier = match[2] ?? '';
    if (isBuiltin(specifier)) continue;
    const name = packageOf(specifier);
    if (name) found.add(name);
  }
  return [...found].sort();
}

export interface SourceMap {
  sources: string[];
}

/** Packages whose files esbuild bundled (any `node_modules/<package>/` in the map's sources), sorted. */
export function bundledPackages(map: SourceMap): string[] {
  const found = new Set<string>();
  for (const source of map.sources) {
    const normalized = source.replace(/\\/g, '/');
    const at = normalized.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const name = packageOf(normalized.slice(at + 'node_modules/'.length));
    if (name) found.add(name);
  }
  return [...found].sort();
}

/**
 * Whether the bundle exports `name`: esbuild's CommonJS output registers exports as getters on the
 * module object (`__export(target, { handler: () => value })`, then `module.exports = ...`); its ESM
 * output ends with `export { value as handler }`.
 */
export function exportsName(bundle: string, name: string): boolean {
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) return false;
  const escaped = name.replace(/\$/g, '\\$');
  const commonJs = new RegExp(`[{,]\\s*${escaped}\\s*:\\s*\\(\\)\\s*=>`).test(bundle) && /\bmodule\.exports\s*=/.test(bundle);
  const esm = new RegExp(`\\bexport\\s*\\{[^}]*\\b(?:as\\s+)?${escaped}\\s*[,}]`).test(bundle);
  return commonJs || esm;
}

/** Every npm package a list of loaded files (absolute paths, e.g. `require.cache`'s keys) came from, sorted. */
export function packagesOfFiles(files: readonly string[]): string[] {
  const found = new Set<string>();
  for (const file of files) {
    const normalized = file.replace(/\\/g, '/');
    const at = normalized.lastIndexOf('/node_modules/');
    if (at < 0) continue;
    const name = packageOf(normalized.slice(at + '/node_modules/'.length));
    if (name) found.add(name);
  }
  return [...found].sort();
}

/**
 * The environment a bundle is loaded with: what the handlers validate at module scope, every address on
 * loopback and nothing that answers except Redis (REDIS_URL, else 127.0.0.1:6379): the Redis client starts
 * connecting when it is created, as on Lambda; pg, the push client and the token verifier's key fetch
 * connect on first use, after the measurement ends. Tracing stays off, as the template's default.
 */
export function bundleLoadEnvironment(redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'): Record<string, string> {
  const closedPort = 'http://127.0.0.1:9';
  return {
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'presence-api',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    REDIS_URL: redisUrl,
    DATABASE_URL: 'postgres://presence@127.0.0.1:5432/presence',
    WEBSOCKET_MANAGEMENT_ENDPOINT: `${closedPort}/prod`,
    JWT_ISSUER: `${closedPort}/issuer`,
    JWT_JWKS_URI: `${closedPort}/jwks.json`,
    JWT_CLIENT_IDS: 'cold-start',
  };
}

/** What one load of a bundle (or of one package) cost in a fresh process. */
export interface BundleLoad {
  /** Wall time of the `require` alone (process.hrtime). */
  ms: number;
  /** CPU time (user and system) the process spent in it: what a busy machine's waits leave out. */
  cpuMs: number;
  /** Wall time of requiring the `firstUse` packages right after (0 without any). */
  firstUseMs: number;
  /** Resident set size and V8 heap in use right after it. */
  rssBytes: number;
  heapUsedBytes: number;
  /** npm packages loaded by then (the bundle's own requires and theirs). */
  packages: string[];
}

/** Marks the report's line: a bundle may print its own lines (log lines are JSON too). */
const MARKER = 'bundle-load-report:';

/** Runs in the fresh process: times one require, then reports and exits (clients created at load keep no process alive). */
const LOADER = `
const startCpu = process.cpuUsage();
const start = process.hrtime.bigint();
require(process.env.LOAD_TARGET);
const loaded = process.hrtime.bigint();
const cpu = process.cpuUsage(startCpu);
const { rss, heapUsed } = process.memoryUsage();
const files = Object.keys(require.cache);
for (const name of process.env.LOAD_FIRST_USE.split(',').filter(Boolean)) require(name);
const ms = Number(loaded - start) / 1e6;
const cpuMs = (cpu.user + cpu.system) / 1000;
const firstUseMs = Number(process.hrtime.bigint() - loaded) / 1e6;
process.stdout.write('\\n' + process.env.LOAD_MARKER + JSON.stringify({ ms, cpuMs, firstUseMs, rssBytes: rss, heapUsedBytes: heapUsed, files }) + '\\n');
process.exit(0);
`;

export type LoadTarget = { bundle: string } | { package: string };

export interface LoadOptions {
  env?: Record<string, string>;
  /** Packages to require after the bundle, timed apart: what it would load on first use. */
  firstUse?: readonly string[];
}

/**
 * Loads a bundle file, or one package by name, in a new Node process whose only npm packages are the
 * layers' `modulesDirs` (NODE_PATH, as on Lambda). A bundle is copied to an empty temporary folder first,
 * so Node's lookup of node_modules folders above it cannot find the repository's own. Throws with the
 * process's output when loading fails. `packages` are those loaded by the bundle itself (not `firstUse`).
 */
export function loadInFreshProcess(target: LoadTarget, modulesDirs: readonly string[], options: LoadOptions = {}): BundleLoad {
  const { env = bundleLoadEnvironment(), firstUse = [] } = options;
  const dir = mkdtempSync(join(tmpdir(), 'bundle-load-'));
  try {
    let loadTarget: string;
    if ('bundle' in target) {
      loadTarget = join(dir, basename(target.bundle));
      copyFileSync(target.bundle, loadTarget);
      if (existsSync(`${target.bundle}.map`)) copyFileSync(`${target.bundle}.map`, `${loadTarget}.map`);
    } else loadTarget = target.package;
    const child = spawnSync(process.execPath, ['-e', LOADER], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        NODE_PATH: modulesDirs.map((dir) => resolve(dir)).join(delimiter),
        LOAD_TARGET: loadTarget,
        LOAD_FIRST_USE: firstUse.join(','),
        LOAD_MARKER: MARKER,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (child.status !== 0) {
      const output = `${child.stderr}${child.stdout}`.trim().split('\n').slice(0, 5).join(' | ');
      throw new Error(
        `loading ${'bundle' in target ? target.bundle : target.package} failed (exit ${child.status ?? child.signal}): ${output}`,
      );
    }
    const line = child.stdout.split('\n').find((text) => text.startsWith(MARKER)) ?? '';
    const report = JSON.parse(line.slice(MARKER.length)) as Omit<BundleLoad, 'packages'> & { files: string[] };
    return {
      ms: report.ms,
      cpuMs: report.cpuMs,
      firstUseMs: report.firstUseMs,
      rssBytes: report.rssBytes,
      heapUsedBytes: report.heapUsedBytes,
      packages: packagesOfFiles(report.files),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
