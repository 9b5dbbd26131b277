/**
 * Checks what `sam build` produced, i.e. what `sam deploy` would upload, and prints the bundle sizes:
 *
 *   npm run build && npm run check:build
 *   npm run check:build -- --build-dir .aws-sam/build --forbid @aws-sdk/client-apigatewaymanagementapi
 *
 * - Every function of template.yaml is in the built template, its CodeUri is a directory of the build
 *   (not the sources), and its Handler `<file>.<export>` names a bundle Lambda's Node.js runtime would
 *   load (`<file>.js`, `.mjs` or `.cjs`) that exports that name, with a source map beside it.
 * - A bundle holds only our own code: no npm package is bundled, and every package it requires at runtime
 *   is installed in one of the function's built layers (`<layer>/nodejs/node_modules`, /opt/nodejs/... on
 *   Lambda). `--forbid <package>` (repeatable) fails when any bundle bundles or requires that package.
 * - Each built layer lists exactly the root package.json's dependencies (the one list of runtime versions)
 *   and has each installed at the pinned version.
 * - Every local CodeUri/ContentUri/DefinitionUri of the built template resolves from the build directory.
 * - Each function loads only what it uses (FUNCTION_PACKAGES): every package its bundle requires is on its
 *   list, and loading the bundle in a fresh Node process with the layer (as Lambda's init does) loads
 *   none of the layer's packages that it may load only on first use.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { bundledPackages, exportsName, loadInFreshProcess, requiredPackages, type SourceMap } from './bundle-inspection';
import { cfnMapping, loadTemplate, type CfnTemplate, type CfnValue } from '../template/cfn-yaml';

export const REPO_ROOT = resolve(__dirname, '..');

/** The layer's packages by what needs them. */
const HANDLER = ['@middy/core', '@aws-lambda-powertools/logger', '@aws-lambda-powertools/metrics'];
/** X-Ray, loaded only when the stack turns tracing on (layers/core/lambda/tracing.ts). */
const TRACING = ['@aws-lambda-powertools/tracer'];
const TOKENS = ['aws-jwt-verify'];
/** The store, and the presence rules' hostname parsing (layers/core/privacy.ts). */
const PRESENCE = ['ioredis', 'tldts'];
const POSTGRES = ['pg', 'lru-cache'];
/**
 * Secrets Manager: the database password, read when the pool first connects (PG_PASSWORD_SECRET_ARN), and
 * the Redis credentials, read before the first command (REDIS_AUTH_SECRET_ARN); each only when configured.
 */
const SECRET = ['@aws-sdk/client-secrets-manager'];
/** The @connections client, loaded on a container's first push (layers/core/runtime/push-on-first-use.ts). */
const PUSH = ['undici', '@aws-sdk/credential-provider-node'];

/** What a function may load from the layer: at its start (init), and only on first use. */
export interface PackagePolicy {
  atStart: readonly string[];
  onFirstUse: readonly string[];
}

/** Every function's packages; a function of the template missing here fails the check. */
export const FUNCTION_PACKAGES: Readonly<Record<string, PackagePolicy>> = {
  AuthorizerFunction: { atStart: [...HANDLER, ...TOKENS], onFirstUse: TRACING },
  HeartbeatFunction: { atStart: [...HANDLER, ...PRESENCE], onFirstUse: [...TRACING, ...SECRET, ...PUSH] },
  DefaultFunction: { atStart: [...HANDLER, ...PRESENCE], onFirstUse: [...TRACING, ...SECRET, ...PUSH] },
  ConnectFunction: { atStart: [...HANDLER, ...PRESENCE, ...POSTGRES], onFirstUse: [...TRACING, ...SECRET, ...PUSH] },
  DisconnectFunction: { atStart: [...HANDLER, ...PRESENCE, ...POSTGRES], onFirstUse: [...TRACING, ...SECRET, ...PUSH] },
  UpdatePresenceFunction: { atStart: [...HANDLER, ...PRESENCE, ...POSTGRES], onFirstUse: [...TRACING, ...SECRET, ...PUSH] },
  SubscribeFunction: { atStart: [...HANDLER, ...PRESENCE, ...POSTGRES], onFirstUse: [...TRACING, ...SECRET, ...PUSH] },
  SweepShardFunction: { atStart: [...HANDLER, ...PRESENCE, ...POSTGRES], onFirstUse: [...TRACING, ...SECRET, ...PUSH] },
  GetPresenceFunction: { atStart: [...HANDLER, ...PRESENCE, ...POSTGRES], onFirstUse: [...TRACING, ...SECRET] },
  GetUserPresenceFunction: { atStart: [...HANDLER, ...PRESENCE, ...POSTGRES], onFirstUse: [...TRACING, ...SECRET] },
};

/**
 * What the template's defaults load on first use (the cold-start proxy's second figure): no tracer, and
 * Secrets Manager only in the functions that query PostgreSQL (its password secret is always set; the
 * Redis secret is not).
 */
export function firstUsePackages(logicalId: string): string[] {
  const { atStart = [], onFirstUse = [] } = FUNCTION_PACKAGES[logicalId] ?? {};
  const readsPasswordSecret = POSTGRES.every((name) => atStart.includes(name));
  return onFirstUse.filter((name) => !TRACING.includes(name) && (readsPasswordSecret || !SECRET.includes(name)));
}

export interface FunctionReport {
  logicalId: string;
  handler: string;
  /** Handler file relative to the build directory. */
  handlerFile?: string;
  bundleBytes: number;
  mapBytes: number;
  bundled: string[];
  /** Every package the bundle may require, at start or on first use. */
  required: string[];
  /** The layer's packages that loading the bundle loaded (when the check loads bundles). */
  loadedAtStart?: string[];
  /** The node_modules of the function's layers, relative to the build directory. */
  layerModules: string[];
}

export interface LayerReport {
  logicalId: string;
  /** nodejs/node_modules relative to the build directory. */
  modulesDir: string;
  /** The packages its nodejs/package.json lists. */
  dependencies: string[];
  packages: number;
  bytes: number;
}

export interface BuildReport {
  buildDir: string;
  functions: FunctionReport[];
  layers: LayerReport[];
  problems: string[];
}

export interface CheckOptions {
  /** The source template, to make sure every function was built. */
  sourceTemplatePath?: string;
  /** Packages no bundle may bundle or require. */
  forbid?: string[];
  /** The dependencies every layer must list, exactly (the CLI passes the root package.json's). */
  runtimeDependencies?: Record<string, string>;
  /** Each function's allowed packages (the CLI passes FUNCTION_PACKAGES): bundles are then loaded to check them. */
  packages?: Readonly<Record<string, PackagePolicy>>;
}

type Props = Record<string, CfnValue>;

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

function treeStats(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = treeStats(path);
      bytes += inner.bytes;
      files += inner.files;
    } else if (entry.isFile()) {
      bytes += statSync(path).size;
      files += 1;
    }
  }
  return { bytes, files };
}

/** Top-level packages of a node_modules directory (`name` and `@scope/name`). */
function installedPackages(modulesDir: string): string[] {
  if (!isDirectory(modulesDir)) return [];
  return readdirSync(modulesDir)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) => (name.startsWith('@') ? readdirSync(join(modulesDir, name)).map((inner) => `${name}/${inner}`) : [name]));
}

/** A path of the built template that must stay inside the build directory: the built artifacts. */
function builtDir(buildDir: string, uri: CfnValue | undefined, what: string, problems: string[]): string | undefined {
  if (typeof uri !== 'string') {
    problems.push(`${what} is ${JSON.stringify(uri)}, not a directory of the build`);
    return undefined;
  }
  const dir = resolve(buildDir, uri);
  if (isAbsolute(uri) || !dir.startsWith(buildDir + sep)) {
    problems.push(`${what} "${uri}" is not a directory inside ${buildDir}: sam deploy would upload the sources`);
    return undefined;
  }
  if (!isDirectory(dir)) {
    problems.push(`${what} "${uri}" does not exist in ${buildDir}`);
    return undefined;
  }
  return dir;
}

/** The files Lambda's Node.js runtime tries for Handler `path/file.export`, in order. */
export function handlerCandidates(codeDir: string, handler: string): string[] {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) return [];
  const modulePath = join(codeDir, handler.slice(0, dot));
  return ['.js', '.mjs', '.cjs'].map((ext) => modulePath + ext);
}

function checkLayer(
  buildDir: string,
  logicalId: string,
  properties: Props,
  runtimeDependencies: Record<string, string> | undefined,
  problems: string[],
): LayerReport | undefined {
  const dir = builtDir(buildDir, properties.ContentUri, `${logicalId}.ContentUri`, problems);
  if (!dir) return undefined;
  const modulesDir = join(dir, 'nodejs', 'node_modules');
  const manifestPath = join(dir, 'nodejs', 'package.json');
  if (!existsSync(manifestPath) || !isDirectory(modulesDir)) {
    problems.push(
      `${logicalId}: no nodejs/package.json and nodejs/node_modules in ${relative(buildDir, dir)} (Lambda loads layer packages from /opt/nodejs/node_modules)`,
    );
    return undefined;
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { dependencies?: Record<string, string> };
  const sorted = (dependencies: Record<string, string>) => JSON.stringify(Object.entries(dependencies).sort());
  if (runtimeDependencies && sorted(manifest.dependencies ?? {}) !== sorted(runtimeDependencies))
    problems.push(`${logicalId}: nodejs/package.json does not list exactly the root package.json's dependencies`);
  for (const [name, wanted] of Object.entries(manifest.dependencies ?? {})) {
    const installedManifest = join(modulesDir, name, 'package.json');
    if (!existsSync(installedManifest)) {
      problems.push(`${logicalId}: dependency ${name} is not installed`);
      continue;
    }
    const { version } = JSON.parse(readFileSync(installedManifest, 'utf8')) as { version?: string };
    if (/^\d+\.\d+\.\d+/.test(wanted) && version !== wanted)
      problems.push(`${logicalId}: ${name} is ${version}, package.json pins ${wanted}`);
  }
  const stats = treeStats(modulesDir);
  return {
    logicalId,
    modulesDir: relative(buildDir, modulesDir),
    dependencies: Object.keys(manifest.dependencies ?? {}).sort(),
    packages: installedPackages(modulesDir).length,
    bytes: stats.bytes,
  };
}

function listOf(value: CfnValue | undefined): CfnValue[] {
  return Array.isArray(value) ? value : [];
}

function layerRefs(value: CfnValue | undefined): string[] {
  return listOf(value).flatMap((item) => {
    const ref = cfnMapping(item).Ref;
    return typeof ref === 'string' ? [ref] : [];
  });
}

function checkFunction(
  buildDir: string,
  template: CfnTemplate,
  logicalId: string,
  layers: Map<string, LayerReport>,
  options: CheckOptions,
  problems: string[],
): FunctionReport {
  const globals = cfnMapping(template.Globals?.Function);
  const own = cfnMapping(template.Resources[logicalId]?.Properties);
  // SAM Globals: a function's own scalar values win; lists such as Layers are added to the global ones.
  const properties: Props = { ...globals, ...own, Layers: [...listOf(globals.Layers), ...listOf(own.Layers)] };
  const handler = typeof properties.Handler === 'string' ? properties.Handler : '';
  const report: FunctionReport = { logicalId, handler, bundleBytes: 0, mapBytes: 0, bundled: [], required: [], layerModules: [] };
  const codeDir = builtDir(buildDir, properties.CodeUri, `${logicalId}.CodeUri`, problems);
  if (!codeDir) return report;
  const candidates = handlerCandidates(codeDir, handler);
  if (candidates.length === 0) {
    problems.push(`${logicalId}: Handler "${handler}" must look like <file>.<export>`);
    return report;
  }
  const file = candidates.find((candidate) => existsSync(candidate));
  if (!file) {
    problems.push(
      `${logicalId}: Handler "${handler}" does not resolve: none of ${candidates.map((c) => relative(buildDir, c)).join(', ')} exists`,
    );
    return report;
  }
  report.handlerFile = relative(buildDir, file);
  report.bundleBytes = fileSize(file);
  report.mapBytes = fileSize(`${file}.map`);
  const bundle = readFileSync(file, 'utf8');
  const exportName = handler.slice(handler.lastIndexOf('.') + 1);
  if (!exportsName(bundle, exportName)) problems.push(`${logicalId}: ${report.handlerFile} does not export "${exportName}"`);

  report.required = requiredPackages(bundle);
  if (!existsSync(`${file}.map`)) {
    problems.push(`${logicalId}: no source map ${report.handlerFile}.map (set Sourcemap: true; stack traces and this check need it)`);
  } else {
    report.bundled = bundledPackages(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as SourceMap);
  }
  if (report.bundled.length > 0) {
    problems.push(
      `${logicalId}: bundles npm code (${report.bundled.join(', ')}); every npm package must come from the layer (Packages: external)`,
    );
  }

  const layerIds = layerRefs(properties.Layers);
  const available = new Set<string>();
  const dependencies = new Set<string>();
  for (const id of layerIds) {
    const layer = layers.get(id);
    if (!layer) {
      problems.push(`${logicalId}: layer ${id} is not a built AWS::Serverless::LayerVersion of this template`);
      continue;
    }
    report.layerModules.push(layer.modulesDir);
    for (const name of layer.dependencies) dependencies.add(name);
    for (const name of installedPackages(join(buildDir, layer.modulesDir))) available.add(name);
  }
  const missing = report.required.filter((name) => !available.has(name));
  if (missing.length > 0) {
    problems.push(
      `${logicalId}: requires ${missing.join(', ')}, which no layer of the function installs (${layerIds.join(', ') || 'no layers'})`,
    );
  }
  for (const name of options.forbid ?? []) {
    if (report.bundled.includes(name) || report.required.includes(name)) problems.push(`${logicalId}: uses forbidden package ${name}`);
  }
  if (options.packages) checkPackages(buildDir, report, options.packages[logicalId], dependencies, problems);
  return report;
}

const listed = (names: readonly string[]): string => names.join(', ') || 'none';

/**
 * Holds a function to its package list: what its bundle requires anywhere must be on the list, and what
 * loading it loads of the layer's dependencies (directly or through another package) must be allowed at
 * start. A package required inside a function body (a lazy `require`) shows in the bundle's text but not
 * in the load, which is how "on first use" is told from "at start".
 */
function checkPackages(
  buildDir: string,
  report: FunctionReport,
  policy: PackagePolicy | undefined,
  dependencies: ReadonlySet<string>,
  problems: string[],
): void {
  const { logicalId } = report;
  if (!policy) {
    problems.push(`${logicalId}: has no package list (FUNCTION_PACKAGES in scripts/check-build.ts)`);
    return;
  }
  const allowed = new Set([...policy.atStart, ...policy.onFirstUse]);
  const unlisted = report.required.filter((required) => !allowed.has(required));
  for (const name of unlisted) problems.push(`${logicalId}: requires ${name}, which is on none of its lists (FUNCTION_PACKAGES)`);
  if (!report.handlerFile || report.layerModules.length === 0) return;
  try {
    const load = loadInFreshProcess(
      { bundle: join(buildDir, report.handlerFile) },
      report.layerModules.map((dir) => join(buildDir, dir)),
    );
    report.loadedAtStart = load.packages.filter((name) => dependencies.has(name));
  } catch (error) {
    problems.push(`${logicalId}: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  for (const name of report.loadedAtStart.filter((loaded) => !policy.atStart.includes(loaded) && !unlisted.includes(loaded))) {
    problems.push(
      policy.onFirstUse.includes(name)
        ? `${logicalId}: loads ${name} at start; it may load it only on first use`
        : `${logicalId}: loads ${name} at start (through another package), which is on none of its lists (FUNCTION_PACKAGES)`,
    );
  }
}

/** Every local artifact path the built template names (CodeUri, ContentUri, DefinitionUri) must exist. */
function checkArtifactPaths(buildDir: string, template: CfnTemplate, problems: string[]): void {
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const properties = cfnMapping(resource.Properties);
    for (const key of ['CodeUri', 'ContentUri', 'DefinitionUri']) {
      const uri = properties[key];
      if (typeof uri !== 'string' || /^s3:\/\//.test(uri)) continue;
      if (!existsSync(resolve(buildDir, uri))) problems.push(`${logicalId}.${key} "${uri}" does not exist relative to ${buildDir}`);
    }
  }
}

export function checkBuild(buildDir: string, options: CheckOptions = {}): BuildReport {
  const dir = resolve(buildDir);
  const problems: string[] = [];
  const report: BuildReport = { buildDir: dir, functions: [], layers: [], problems };
  const templatePath = join(dir, 'template.yaml');
  if (!existsSync(templatePath)) {
    problems.push(`${templatePath} does not exist: run \`npm run build\` (sam build) first`);
    return report;
  }
  const template = loadTemplate(templatePath);
  const ofType = (type: string) => Object.keys(template.Resources).filter((id) => template.Resources[id]?.Type === type);

  if (options.sourceTemplatePath) {
    const source = loadTemplate(options.sourceTemplatePath);
    const built = new Set(ofType('AWS::Serverless::Function'));
    for (const [id, resource] of Object.entries(source.Resources)) {
      if (resource.Type === 'AWS::Serverless::Function' && !built.has(id))
        problems.push(`${id} is in ${options.sourceTemplatePath} but not in the build`);
    }
  }

  const layers = new Map<string, LayerReport>();
  for (const id of ofType('AWS::Serverless::LayerVersion')) {
    const layer = checkLayer(dir, id, cfnMapping(template.Resources[id]?.Properties), options.runtimeDependencies, problems);
    if (layer) {
      layers.set(id, layer);
      report.layers.push(layer);
    }
  }
  for (const id of ofType('AWS::Serverless::Function')) {
    report.functions.push(checkFunction(dir, template, id, layers, options, problems));
  }
  if (report.functions.length === 0) problems.push('the built template has no AWS::Serverless::Function');
  checkArtifactPaths(dir, template, problems);
  return report;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** The size table printed after every build check. */
export function formatReport(report: BuildReport): string {
  const loaded = report.functions.some((fn) => fn.loadedAtStart);
  const header = [
    'function',
    'handler file',
    'bundle',
    'source map',
    loaded ? 'packages from the layer: at start | on first use' : 'packages from the layer',
  ];
  const rows = report.functions.map((fn) => {
    const atStart = fn.loadedAtStart;
    const packages = atStart
      ? `${listed(atStart)} | ${listed(fn.required.filter((name) => !atStart.includes(name)))}`
      : fn.required.join(', ');
    return [fn.logicalId, fn.handlerFile ?? '-', kib(fn.bundleBytes), kib(fn.mapBytes), packages];
  });
  const widths = header.map((title, col) => Math.max(title.length, ...rows.map((row) => row[col]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((cell, col) =>
        col === 2 || col === 3 ? cell.padStart(widths[col] ?? 0) : col === cells.length - 1 ? cell : cell.padEnd(widths[col] ?? 0),
      )
      .join('  ');
  const out = [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
  const total = report.functions.reduce((sum, fn) => sum + fn.bundleBytes, 0);
  out.push('', `${report.functions.length} bundles, ${kib(total)} in total (source maps not counted)`);
  for (const layer of report.layers) {
    out.push(
      `${layer.logicalId}: ${layer.packages} packages in ${layer.modulesDir}, ${(layer.bytes / 1024 / 1024).toFixed(1)} MiB unzipped`,
    );
  }
  return out.join('\n');
}

interface Args {
  buildDir: string;
  forbid: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { buildDir: join(REPO_ROOT, '.aws-sam', 'build'), forbid: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = argv[i + 1];
    if ((arg === '--build-dir' || arg === '--forbid') && value) {
      if (arg === '--build-dir') args.buildDir = resolve(process.cwd(), value);
      else args.forbid.push(value);
      i += 1;
    } else {
      throw new Error(`usage: npm run check:build -- [--build-dir DIR] [--forbid PACKAGE ...] (got "${arg}")`);
    }
  }
  return args;
}

function main(): void {
  try {
    const args = parseArgs(process.argv.slice(2));
    const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const report = checkBuild(args.buildDir, {
      sourceTemplatePath: join(REPO_ROOT, 'template.yaml'),
      forbid: args.forbid,
      runtimeDependencies: root.dependencies ?? {},
      packages: FUNCTION_PACKAGES,
    });
    if (report.functions.length > 0) console.log(formatReport(report));
    if (report.problems.length > 0) {
      console.error(`\nThe build in ${relative(process.cwd(), report.buildDir) || '.'} is not deployable:`);
      for (const problem of report.problems) console.error(`  - ${problem}`);
      process.exitCode = 1;
      return;
    }
    console.log(`\nThe build in ${relative(process.cwd(), report.buildDir) || '.'} is what sam deploy will upload: all checks passed.`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}

if (require.main === module) main();
