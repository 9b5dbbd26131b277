/**
 * The code the side-by-side harness runs, built into a temporary directory (never the repository):
 * - ours: each function's esbuild bundle as `sam build` makes it, from the template's
 *   Metadata.BuildProperties (EntryPoints, Format, Target, Minify, Sourcemap, Packages: external);
 * - the original's: each handler file as it is, bundled only so that its `require('/opt/nodejs/...')` of
 *   its own layer's files resolves to the checkout's src/layer/nodejs (Lambda mounts the layer at /opt);
 *   its npm packages stay external and load from the layer's node_modules, as in Lambda. One change to its
 *   code, made here and said in the results: get_presence.js's hard-coded PostgreSQL TLS turned off;
 * - the execution environment (./environment.ts), for plain node.
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { loadTemplate } from '../../template/cfn-yaml';

const REPO_ROOT = resolve(__dirname, '..', '..');

/** Our layer's packages (the template's layer is built from package.json's dependencies). */
export const OUR_NODE_MODULES = join(REPO_ROOT, 'node_modules');

/** The original's layer as its stack deploys it (src/layer, mounted at /opt). */
export function originalLayer(originalDir: string): { dir: string; nodeModules: string } {
  const dir = join(originalDir, 'src', 'layer', 'nodejs');
  return { dir, nodeModules: join(dir, 'node_modules') };
}

/** The one change to the original's code: `get_presence.js` connects to PostgreSQL with `ssl: true`; here without TLS. */
export const ORIGINAL_TLS_CHANGE = { file: 'get_presence.js', from: 'ssl: true', to: 'ssl: false' } as const;

async function bundle(options: Parameters<typeof build>[0]): Promise<void> {
  const result = await build({ bundle: true, platform: 'node', logLevel: 'silent', ...options });
  if (result.errors.length > 0) throw new Error(result.errors.map((e) => e.text).join('\n'));
}

/** Our function's bundle, as `sam build` makes it from the template's BuildProperties; resolves to its file. */
export async function buildOurs(logicalId: string, outDir: string): Promise<string> {
  const template = loadTemplate(join(REPO_ROOT, 'template.yaml'));
  const resource = template.Resources[logicalId];
  const metadata = resource?.Metadata as { BuildProperties?: Record<string, unknown> } | undefined;
  const properties = metadata?.BuildProperties;
  const entry = (properties?.EntryPoints as unknown[] | undefined)?.[0];
  const codeUri = (resource?.Properties as { CodeUri?: unknown } | undefined)?.CodeUri ?? template.Globals?.Function?.CodeUri;
  if (!properties || typeof entry !== 'string' || typeof codeUri !== 'string') {
    throw new Error(`template.yaml: ${logicalId} has no BuildProperties.EntryPoints or literal CodeUri`);
  }
  const format = properties.Format === 'esm' ? 'esm' : 'cjs';
  await bundle({
    entryPoints: [join(REPO_ROOT, codeUri, entry)],
    outdir: join(outDir, 'ours', logicalId),
    format,
    target: typeof properties.Target === 'string' ? properties.Target : undefined,
    minify: properties.Minify === true,
    sourcemap: properties.Sourcemap === true,
    packages: properties.Packages === 'external' ? 'external' : undefined,
  });
  return join(outDir, 'ours', logicalId, entry.replace(/\.ts$/, '.js'));
}

/** `/opt/nodejs/<file>` -> the checkout's layer file. */
function layerPlugin(layerDir: string): Plugin {
  return {
    name: 'original-layer',
    setup(plugin) {
      plugin.onResolve({ filter: /^\/opt\/nodejs\// }, (args) => {
        const relative = args.path.slice('/opt/nodejs/'.length);
        const file = [join(layerDir, relative), join(layerDir, `${relative}.js`)].find((candidate) => existsSync(candidate));
        if (!file) throw new Error(`the original's layer has no ${relative} (looked in ${layerDir})`);
        return { path: file };
      });
      plugin.onLoad({ filter: new RegExp(`/${ORIGINAL_TLS_CHANGE.file.replace('.', '\\.')}$`) }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        const count = text.split(ORIGINAL_TLS_CHANGE.from).length - 1;
        if (count !== 1) throw new Error(`${args.path}: expected "${ORIGINAL_TLS_CHANGE.from}" once, found it ${count} times`);
        return { contents: text.replace(ORIGINAL_TLS_CHANGE.from, ORIGINAL_TLS_CHANGE.to), loader: 'js' };
      });
    },
  };
}

/** The original's function `name` (src/functions/<name>/<name>.js): its handler with its layer's own files; resolves to its file. */
export async function buildOriginal(originalDir: string, name: string, outDir: string): Promise<string> {
  const entry = join(originalDir, 'src', 'functions', name, `${name}.js`);
  if (!existsSync(entry)) throw new Error(`${entry} does not exist: is ${originalDir} a checkout of PageNow/presence-api?`);
  const outfile = join(outDir, 'original', `${name}.js`);
  await bundle({
    entryPoints: [entry],
    outfile,
    format: 'cjs',
    packages: 'external',
    plugins: [layerPlugin(originalLayer(originalDir).dir)],
  });
  return outfile;
}

/** The execution environment, for plain node (no TypeScript loader in the measured process); resolves to its file. */
export async function buildEnvironment(outDir: string): Promise<string> {
  const outfile = join(outDir, 'environment.js');
  await bundle({ entryPoints: [join(__dirname, 'environment.ts')], outfile, format: 'cjs', target: 'node20', packages: 'external' });
  const text = readFileSync(outfile, 'utf8');
  const packages = [...text.matchAll(/\brequire\("([^".][^"]*)"\)/g)].map((m) => m[1]).filter((id) => id && !id.startsWith('node:'));
  const foreign = packages.filter((id) => id && !builtinModules.includes(id));
  // The environment must not bring npm packages of its own into either side's process.
  if (foreign.length > 0) throw new Error(`bench/original/environment.ts must not load npm packages, found ${foreign.join(', ')}`);
  return outfile;
}
