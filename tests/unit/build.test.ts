/**
 * scripts/build.ts bundles every function the way `sam build` (esbuild) does. The bundles are only
 * inspected, never loaded: loading would start Redis/PostgreSQL clients at module scope.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { buildAll, esbuildOptions, functionSpecs, handlerCandidates, packagesUsed, type BuildAllResult } from '../../scripts/build';
import { loadTemplate } from '../../scripts/cfn-yaml';

const ROOT = resolve(__dirname, '..', '..');
const template = loadTemplate(join(ROOT, 'template.yaml'));
const specs = functionSpecs(template, ROOT);

describe('esbuild options (SAM mapping)', () => {
  it('maps BuildProperties like SAM: bundle, node, outdir, external, cjs/es2022, minify, sourcemap', () => {
    const spec = specs.find((candidate) => candidate.logicalId === 'ConnectFunction');
    expect(spec).toBeDefined();
    if (!spec) return;
    const options = esbuildOptions(spec, '/out/ConnectFunction');
    expect(options).toMatchObject({
      bundle: true,
      platform: 'node',
      outdir: '/out/ConnectFunction',
      format: 'cjs',
      target: 'es2022',
      minify: true,
      sourcemap: true,
      entryPoints: [join(ROOT, 'handlers', 'connect.ts')],
    });
    expect(options.external).toEqual(expect.arrayContaining(['ioredis', 'pg', 'pg-native', '@aws-sdk/*']));
  });

  it('applies SAM defaults when properties are absent', () => {
    const options = esbuildOptions(
      { logicalId: 'X', handler: 'connect.handler', codeDir: ROOT, buildProperties: { EntryPoints: ['handlers/connect'] } },
      '/out/X',
    );
    expect(options).toMatchObject({ target: 'es2020', format: 'cjs', minify: true, sourcemap: false, external: [] });
    expect(options.entryPoints).toEqual([join(ROOT, 'handlers', 'connect.ts')]);
  });

  it('maps the key=value list properties', () => {
    const options = esbuildOptions(
      {
        logicalId: 'X',
        handler: 'connect.handler',
        codeDir: ROOT,
        buildProperties: {
          EntryPoints: ['handlers/connect.ts'],
          Loader: ['.sql=text'],
          OutExtension: ['.js=.mjs'],
          Banner: ['js=// hi'],
          MainFields: 'module,main',
        },
      },
      '/out/X',
    );
    expect(options).toMatchObject({
      loader: { '.sql': 'text' },
      outExtension: { '.js': '.mjs' },
      banner: { js: '// hi' },
      mainFields: ['module', 'main'],
    });
  });

  it('resolves handlers to the files Lambda tries', () => {
    expect(handlerCandidates('/a', 'get-presence.handler')).toEqual(['/a/get-presence.js', '/a/get-presence.mjs', '/a/get-presence.cjs']);
  });
});

describe('npm run build', () => {
  let outDir: string;
  let result: BuildAllResult;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'presence-build-'));
    result = await buildAll({ outDir, logLevel: 'silent' });
  }, 120_000);

  afterAll(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('builds every esbuild function of the template', () => {
    expect(result.functions.map((fn) => fn.logicalId).sort()).toEqual(specs.map((spec) => spec.logicalId).sort());
  });

  it.each(specs.map((spec) => [spec.logicalId, spec.handler]))('%s: bundle for Handler %s exports handler', (logicalId, handler) => {
    const built = result.functions.find((fn) => fn.logicalId === logicalId);
    expect(built).toBeDefined();
    const file = built?.handlerFile ?? '';
    expect(file).toBe(join(outDir, logicalId, `${handler.slice(0, handler.lastIndexOf('.'))}.js`));
    expect(existsSync(file)).toBe(true);
    expect(existsSync(`${file}.map`)).toBe(true);
    const exportName = handler.slice(handler.lastIndexOf('.') + 1);
    const source = readFileSync(file, 'utf8');
    // esbuild's CJS output registers exports as getters: __export(x, { handler: () => y })
    expect(source).toMatch(new RegExp(`[{,]\\s*${exportName}\\s*:\\s*\\(\\)\\s*=>`));
    expect(source).toMatch(/module\.exports\s*=/);
    // Only our own code is bundled; every npm module comes from the layer (External) at runtime.
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
    expect(map.sources.filter((source) => source.includes('node_modules'))).toEqual([]);
  });

  // Pushes go through the lean SigV4 client (aws4 + undici); the SDK's Management API client must be in
  // no bundle, neither bundled nor loaded from the layer.
  it.each(specs.map((spec) => [spec.logicalId]))('%s: no AWS SDK Management API client, bundled or External (esbuild metafile)', (logicalId) => {
    const built = result.functions.find((fn) => fn.logicalId === logicalId);
    expect(built).toBeDefined();
    const metafile = built!.metafile;
    const inputs = Object.keys(metafile.inputs);
    const imports = Object.values(metafile.outputs).flatMap((output) => output.imports.map((imported) => imported.path));
    expect(inputs.filter((input) => input.includes('node_modules/@aws-sdk/client-apigatewaymanagementapi'))).toEqual([]);
    expect(imports.filter((path) => path.startsWith('@aws-sdk/client-apigatewaymanagementapi'))).toEqual([]);
    // The metafile does record External imports and our own sources, so the checks above can fail.
    expect(inputs.some((input) => input.includes('layers/core/'))).toBe(true);
    expect(packagesUsed(metafile).bundled).toEqual([]);
    expect(packagesUsed(metafile).external).toEqual(expect.arrayContaining(['@middy/core']));
  });

  it('pushes through aws4 and undici from the layer in every function that pushes', () => {
    for (const logicalId of ['UpdatePresenceFunction', 'SweepShardFunction', 'DisconnectFunction', 'HeartbeatFunction', 'DefaultFunction']) {
      const built = result.functions.find((fn) => fn.logicalId === logicalId);
      expect(`${logicalId}: ${packagesUsed(built!.metafile).external.join(' ')}`).toMatch(/ aws4 .*undici/);
    }
  });

  it('copies the layer manifest to <layer>/nodejs/package.json', () => {
    const layer = result.layers.find((entry) => entry.logicalId === 'RuntimeDependenciesLayer');
    expect(layer).toBeDefined();
    expect(basename(layer?.dir ?? '')).toBe('nodejs');
    const copied = JSON.parse(readFileSync(join(layer?.dir ?? '', 'package.json'), 'utf8')) as unknown;
    expect(copied).toEqual(JSON.parse(readFileSync(join(ROOT, 'layers', 'runtime', 'package.json'), 'utf8')));
    expect(layer?.installed).toBe(false);
  });

  it('fails when a function is unknown', async () => {
    await expect(buildAll({ outDir, only: ['NoSuchFunction'] })).rejects.toThrow(/NoSuchFunction/);
  });
});
