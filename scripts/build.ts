/**
 * Builds every function of template.yaml the way `sam build` does, without SAM or Docker:
 *
 *   npm run build                                   # all functions -> .aws-sam/build/<LogicalId>/
 *   npm run build -- ConnectFunction HeartbeatFunction
 *   npm run build -- --out /tmp/build --with-layer-deps
 *
 * For each AWS::Serverless::Function with `Metadata.BuildMethod: esbuild`, the esbuild options are
 * derived from `Metadata.BuildProperties` with the same mapping as SAM's esbuild builder
 * (aws-lambda-builders, NodejsNpmEsbuildBuilder): bundle, platform node, outdir = the function's
 * artifact directory, defaults target es2020 / format cjs / minify true, entry points resolved against
 * CodeUri. The output of entry `handlers/x.ts` is `<LogicalId>/x.js`, which is what Handler `x.handler`
 * loads. Layers with a nodejs BuildMethod get their package.json (and lockfile) copied to `nodejs/`;
 * `--with-layer-deps` also runs npm there, like SAM's nodejs builder.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { build, type BuildOptions, type Loader, type Metafile } from 'esbuild';
import { loadTemplate, type CfnTemplate, type CfnValue } from './cfn-yaml';

export const REPO_ROOT = resolve(__dirname, '..');

export interface FunctionSpec {
  logicalId: string;
  handler: string;
  /** Absolute CodeUri directory. */
  codeDir: string;
  buildProperties: Record<string, CfnValue>;
}

export interface LayerSpec {
  logicalId: string;
  contentDir: string;
  buildMethod: string;
}

export interface BuiltFunction {
  logicalId: string;
  handler: string;
  /** The file Lambda loads for the handler. */
  handlerFile: string;
  bytes: number;
  mapBytes: number;
  /** esbuild's metafile: every input bundled, and every import of the output (bundled or External). */
  metafile: Metafile;
}

/** The npm packages a built function bundles (inputs under node_modules) or loads at runtime (External imports). */
export function packagesUsed(metafile: Metafile): { bundled: string[]; external: string[] } {
  const packageOf = (path: string): string => {
    const parts = path.split('/');
    return parts[0]?.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? path);
  };
  const bundled = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const at = input.lastIndexOf('node_modules/');
    if (at >= 0) bundled.add(packageOf(input.slice(at + 'node_modules/'.length)));
  }
  const external = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) if (imported.external && !imported.path.startsWith('node:')) external.add(packageOf(imported.path));
  }
  return { bundled: [...bundled].sort(), external: [...external].sort() };
}

export interface BuiltLayer {
  logicalId: string;
  dir: string;
  installed: boolean;
}

export interface BuildAllOptions {
  templatePath?: string;
  outDir?: string;
  /** Logical ids to build; default all esbuild functions. */
  only?: string[];
  withLayerDeps?: boolean;
  /** Skip the layers. */
  functionsOnly?: boolean;
  /** esbuild log level (default warning). */
  logLevel?: BuildOptions['logLevel'];
}

export interface BuildAllResult {
  outDir: string;
  functions: BuiltFunction[];
  layers: BuiltLayer[];
}

type Props = Record<string, CfnValue>;

function isRecord(value: unknown): value is Props {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asString(value: CfnValue | undefined, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} must be a literal string, got ${JSON.stringify(value)}`);
  return value;
}

function asStringList(value: CfnValue | undefined, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new Error(`${what} must be a list of strings, got ${JSON.stringify(value)}`);
  }
  return value as string[];
}

/** `KEY=VALUE` list entries (SAM's multi-value flags such as `--loader:.png=file`) -> object. */
function keyValueList(value: CfnValue | undefined, what: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of asStringList(value, what)) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new Error(`${what} entries must look like key=value, got "${entry}"`);
    result[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return result;
}

function truthy(value: CfnValue | undefined): boolean {
  return value === true || value === 'true' || value === 'True';
}

/** Every esbuild function of the template, with Globals.Function applied (function values win). */
export function functionSpecs(template: CfnTemplate, templateDir: string): FunctionSpec[] {
  const globals = isRecord(template.Globals?.Function) ? template.Globals.Function : {};
  const specs: FunctionSpec[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const metadata = isRecord(resource.Metadata) ? resource.Metadata : {};
    if (metadata.BuildMethod !== 'esbuild') continue;
    const properties = { ...globals, ...(resource.Properties ?? {}) };
    const codeUri = asString(properties.CodeUri, `${logicalId}.CodeUri`);
    specs.push({
      logicalId,
      handler: asString(properties.Handler, `${logicalId}.Handler`),
      codeDir: resolve(templateDir, codeUri),
      buildProperties: isRecord(metadata.BuildProperties) ? metadata.BuildProperties : {},
    });
  }
  return specs;
}

/** Every layer with a nodejs BuildMethod. */
export function layerSpecs(template: CfnTemplate, templateDir: string): LayerSpec[] {
  const specs: LayerSpec[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Serverless::LayerVersion') continue;
    const buildMethod = isRecord(resource.Metadata) ? resource.Metadata.BuildMethod : undefined;
    if (typeof buildMethod !== 'string' || !buildMethod.startsWith('nodejs')) continue;
    const contentUri = asString(resource.Properties?.ContentUri, `${logicalId}.ContentUri`);
    specs.push({ logicalId, contentDir: resolve(templateDir, contentUri), buildMethod });
  }
  return specs;
}

/** SAM accepts entry points without an extension and tries .ts, then .js. */
export function resolveEntryPoint(codeDir: string, entry: string): string {
  const full = resolve(codeDir, entry);
  if (extname(entry)) {
    if (existsSync(full)) return full;
    throw new Error(`entry point ${full} does not exist`);
  }
  for (const ext of ['.ts', '.js']) if (existsSync(full + ext)) return full + ext;
  throw new Error(`entry point ${full} does not exist`);
}

/** The esbuild options SAM's esbuild builder would use for this function. */
export function esbuildOptions(spec: FunctionSpec, artifactsDir: string): BuildOptions {
  const props = spec.buildProperties;
  const entries = props.EntryPoints === undefined ? [] : asStringList(props.EntryPoints, `${spec.logicalId} EntryPoints`);
  if (entries.length === 0) throw new Error(`${spec.logicalId}: Metadata.BuildProperties.EntryPoints must not be empty`);

  const options: BuildOptions = {
    entryPoints: entries.map((entry) => resolveEntryPoint(spec.codeDir, entry)),
    absWorkingDir: spec.codeDir,
    bundle: true,
    platform: 'node',
    outdir: artifactsDir,
    target: props.Target === undefined ? 'es2020' : asString(props.Target, `${spec.logicalId} Target`),
    format: (props.Format === undefined ? 'cjs' : asString(props.Format, `${spec.logicalId} Format`)) as BuildOptions['format'],
    // SAM passes --minify when Minify is absent or true, --sourcemap only when Sourcemap is true.
    minify: props.Minify === undefined ? true : truthy(props.Minify),
    sourcemap: truthy(props.Sourcemap),
    external: asStringList(props.External, `${spec.logicalId} External`),
    write: true,
  };
  if (props.MainFields !== undefined) {
    const mainFields = Array.isArray(props.MainFields) ? props.MainFields.map(String) : String(props.MainFields).split(',');
    options.mainFields = mainFields.map((field) => field.trim()).filter(Boolean);
  }
  if (props.SourcesContent !== undefined) options.sourcesContent = truthy(props.SourcesContent);
  if (props.Loader !== undefined) options.loader = keyValueList(props.Loader, `${spec.logicalId} Loader`) as Record<string, Loader>;
  if (props.OutExtension !== undefined) options.outExtension = keyValueList(props.OutExtension, `${spec.logicalId} OutExtension`);
  if (props.Banner !== undefined) options.banner = keyValueList(props.Banner, `${spec.logicalId} Banner`);
  return options;
}

/** `dir/file.handler` -> the files Lambda's Node.js runtime would try for it. */
export function handlerCandidates(artifactsDir: string, handler: string): string[] {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new Error(`Handler "${handler}" must look like <file>.<export>`);
  const modulePath = join(artifactsDir, handler.slice(0, dot));
  return ['.js', '.mjs', '.cjs'].map((ext) => modulePath + ext);
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

export async function buildFunction(spec: FunctionSpec, outDir: string, logLevel: BuildOptions['logLevel'] = 'warning'): Promise<BuiltFunction> {
  const artifactsDir = join(outDir, spec.logicalId);
  rmSync(artifactsDir, { recursive: true, force: true });
  mkdirSync(artifactsDir, { recursive: true });
  const options = esbuildOptions(spec, artifactsDir);
  const { metafile } = await build({ ...options, logLevel, metafile: true });
  const handlerFile = handlerCandidates(artifactsDir, spec.handler).find((candidate) => existsSync(candidate));
  if (!handlerFile) {
    throw new Error(
      `${spec.logicalId}: Handler "${spec.handler}" does not resolve: esbuild produced no ` +
        `${handlerCandidates(artifactsDir, spec.handler).map((file) => relative(outDir, file)).join(' / ')}`,
    );
  }
  return {
    logicalId: spec.logicalId,
    handler: spec.handler,
    handlerFile,
    bytes: fileSize(handlerFile),
    mapBytes: fileSize(`${handlerFile}.map`),
    metafile,
  };
}

export function buildLayer(spec: LayerSpec, outDir: string, install: boolean): BuiltLayer {
  const manifest = join(spec.contentDir, 'package.json');
  if (!existsSync(manifest)) throw new Error(`${spec.logicalId}: ${manifest} does not exist`);
  const dir = join(outDir, spec.logicalId, 'nodejs');
  rmSync(join(outDir, spec.logicalId), { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  copyFileSync(manifest, join(dir, 'package.json'));
  const lockfile = join(spec.contentDir, 'package-lock.json');
  if (existsSync(lockfile)) copyFileSync(lockfile, join(dir, 'package-lock.json'));
  if (install) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const args = existsSync(lockfile) ? ['ci', '--omit=dev'] : ['install', '--omit=dev'];
    execFileSync(npm, [...args, '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir, stdio: 'inherit' });
  }
  return { logicalId: spec.logicalId, dir, installed: install };
}

export async function buildAll(options: BuildAllOptions = {}): Promise<BuildAllResult> {
  const templatePath = resolve(options.templatePath ?? join(REPO_ROOT, 'template.yaml'));
  const templateDir = dirname(templatePath);
  const outDir = resolve(options.outDir ?? join(templateDir, '.aws-sam', 'build'));
  const template = loadTemplate(templatePath);

  let specs = functionSpecs(template, templateDir);
  if (options.only && options.only.length > 0) {
    const unknown = options.only.filter((id) => !specs.some((spec) => spec.logicalId === id));
    if (unknown.length > 0) throw new Error(`Unknown esbuild function(s): ${unknown.join(', ')}`);
    specs = specs.filter((spec) => options.only?.includes(spec.logicalId));
  }
  mkdirSync(outDir, { recursive: true });

  const settled = await Promise.allSettled(specs.map((spec) => buildFunction(spec, outDir, options.logLevel)));
  const failures = settled.flatMap((result, index) =>
    result.status === 'rejected' ? [`${specs[index]?.logicalId}: ${(result.reason as Error)?.message ?? String(result.reason)}`] : [],
  );
  if (failures.length > 0) throw new Error(`Build failed:\n  ${failures.join('\n  ')}`);
  const functions = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));

  const layers =
    options.functionsOnly || (options.only && options.only.length > 0)
      ? []
      : layerSpecs(template, templateDir).map((spec) => buildLayer(spec, outDir, options.withLayerDeps ?? false));
  return { outDir, functions, layers };
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export function summary(result: BuildAllResult): string {
  const rows = result.functions.map((fn) => [fn.logicalId, relative(result.outDir, fn.handlerFile), kib(fn.bytes), kib(fn.mapBytes)]);
  const header = ['function', 'handler file', 'bundle', 'source map'];
  const widths = header.map((title, col) => Math.max(title.length, ...rows.map((row) => row[col]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((cell, col) => (col >= 2 ? cell.padStart(widths[col] ?? 0) : cell.padEnd(widths[col] ?? 0))).join('  ');
  const out = [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
  for (const layer of result.layers) {
    out.push('', `${layer.logicalId}: ${relative(result.outDir, layer.dir)}/package.json${layer.installed ? ' (+ node_modules)' : ' (dependencies not installed; use --with-layer-deps)'}`);
  }
  return out.join('\n');
}

function parseArgs(argv: string[]): BuildAllOptions {
  const options: BuildAllOptions = { only: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--with-layer-deps') options.withLayerDeps = true;
    else if (arg === '--out' || arg === '--template') {
      const value = argv[(i += 1)];
      if (!value) throw new Error(`${arg} needs a value`);
      const path = isAbsolute(value) ? value : resolve(process.cwd(), value);
      if (arg === '--out') options.outDir = path;
      else options.templatePath = path;
    } else if (arg === '--help' || arg === '-h') {
      console.log('usage: npm run build -- [--out DIR] [--template FILE] [--with-layer-deps] [LogicalId ...]');
      process.exit(0);
    } else if (arg.startsWith('-')) throw new Error(`Unknown option ${arg}`);
    else options.only?.push(arg);
  }
  return options;
}

async function main(): Promise<void> {
  try {
    const started = Date.now();
    const result = await buildAll(parseArgs(process.argv.slice(2)));
    console.log(summary(result));
    console.log(`\nBuilt ${result.functions.length} function(s) into ${relative(process.cwd(), result.outDir) || '.'} in ${Date.now() - started} ms`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
