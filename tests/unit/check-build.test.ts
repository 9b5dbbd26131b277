/**
 * scripts/check-build.ts and scripts/bundle-inspection.ts against real esbuild output: each test builds a
 * small `sam build`-shaped directory (built template, function bundle + source map, layer node_modules)
 * in a temporary folder, with the same esbuild options the template's functions use.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import {
  bundledPackages,
  exportsName,
  loadInFreshProcess,
  packageOf,
  packagesOfFiles,
  requiredPackages,
} from '../../scripts/bundle-inspection';
import { checkBuild, firstUsePackages, formatReport, FUNCTION_PACKAGES, handlerCandidates, REPO_ROOT } from '../../scripts/check-build';
import { loadTemplate } from '../../template/cfn-yaml';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'presence-check-build-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function write(path: string, content: string | object): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
}

interface Fixture {
  /** The function's source (an ES module in TypeScript). */
  source?: string;
  esbuild?: Partial<BuildOptions>;
  handler?: string;
  codeUri?: string;
  layerDependencies?: Record<string, string>;
  installed?: Record<string, string>;
  /** Each installed package's index.js (default: an empty module). */
  packageCode?: Record<string, string>;
}

let counter = 0;

/** A source tree and its `sam build`-shaped output; returns the build directory. */
async function fixture(options: Fixture = {}): Promise<string> {
  const dir = join(root, `case-${(counter += 1)}`);
  write(join(dir, 'src', 'lib.ts'), 'export const greet = (name: string): string => `hello ${name}`;\n');
  write(join(dir, 'src', 'node_modules', 'left-pad-ish', 'index.js'), 'module.exports = (s) => " " + s;\n');
  write(
    join(dir, 'src', 'fn.ts'),
    options.source ??
      "import Redis from 'ioredis';\nimport { createHash } from 'node:crypto';\nimport { greet } from './lib';\n" +
        'export const handler = async () => ({ body: greet(String(Redis)), hash: createHash("sha1").digest("hex") });\n',
  );
  const buildDir = join(dir, 'build');
  await build({
    entryPoints: [join(dir, 'src', 'fn.ts')],
    outdir: join(buildDir, 'Fn'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    packages: 'external',
    logLevel: 'silent',
    ...options.esbuild,
  });
  const dependencies = options.layerDependencies ?? { ioredis: '5.9.3' };
  write(join(buildDir, 'Layer', 'nodejs', 'package.json'), { name: 'layer', dependencies });
  for (const [name, version] of Object.entries(options.installed ?? dependencies)) {
    write(join(buildDir, 'Layer', 'nodejs', 'node_modules', name, 'package.json'), { name, version });
    write(join(buildDir, 'Layer', 'nodejs', 'node_modules', name, 'index.js'), options.packageCode?.[name] ?? 'module.exports = {};\n');
  }
  write(join(buildDir, 'machine.asl.json'), { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } });
  write(join(buildDir, 'template.yaml'), {
    Transform: 'AWS::Serverless-2016-10-31',
    Globals: { Function: { Runtime: 'nodejs24.x', CodeUri: 'src', Layers: [{ Ref: 'Layer' }] } },
    Resources: {
      Layer: { Type: 'AWS::Serverless::LayerVersion', Properties: { ContentUri: 'Layer' } },
      Fn: { Type: 'AWS::Serverless::Function', Properties: { CodeUri: options.codeUri ?? 'Fn', Handler: options.handler ?? 'fn.handler' } },
      Machine: { Type: 'AWS::Serverless::StateMachine', Properties: { DefinitionUri: 'machine.asl.json' } },
    },
  });
  return buildDir;
}

describe('bundle inspection', () => {
  it.each([
    ['ioredis', 'ioredis'],
    ['@aws-sdk/client-sfn', '@aws-sdk/client-sfn'],
    ['@aws-lambda-powertools/logger/middleware', '@aws-lambda-powertools/logger'],
    ['lodash/fp/map', 'lodash'],
    ['./lib', undefined],
    ['/abs/path', undefined],
    ['@scope', undefined],
  ])('packageOf(%s) = %s', (specifier, name) => {
    expect(packageOf(specifier)).toBe(name);
  });

  it('lists the packages a bundle requires, without Node built-ins or relative files', () => {
    const bundle =
      'var a=require("ioredis"),b=require("node:http"),c=require("fs"),d=require(\'@middy/core\'),e=require("./x");import("pg/lib/x");';
    expect(requiredPackages(bundle)).toEqual(['@middy/core', 'ioredis', 'pg']);
  });

  it('lists the packages whose code a source map says was bundled', () => {
    const map = {
      sources: [
        '../../src/fn.ts',
        '../../node_modules/ioredis/built/index.js',
        '../../node_modules/@smithy/core/dist/x.js',
        'C:\\a\\node_modules\\pg\\lib\\y.js',
      ],
    };
    expect(bundledPackages(map)).toEqual(['@smithy/core', 'ioredis', 'pg']);
  });

  it('recognises the exports of esbuild CommonJS and ESM output', async () => {
    for (const format of ['cjs', 'esm'] as const) {
      for (const minify of [true, false]) {
        const result = await build({
          stdin: { contents: 'const impl = async () => 1; export const handler = impl; export const other = 2;', loader: 'ts' },
          bundle: true,
          platform: 'node',
          format,
          minify,
          write: false,
          logLevel: 'silent',
        });
        const text = result.outputFiles[0]?.text ?? '';
        expect(`${format}/${minify}: ${exportsName(text, 'handler')}`).toBe(`${format}/${minify}: true`);
        expect(`${format}/${minify}: ${exportsName(text, 'handlr')}`).toBe(`${format}/${minify}: false`);
      }
    }
  });

  it('resolves a Handler to the files Lambda tries, in order', () => {
    expect(handlerCandidates('/b/Fn', 'fn.handler')).toEqual(['/b/Fn/fn.js', '/b/Fn/fn.mjs', '/b/Fn/fn.cjs']);
    expect(handlerCandidates('/b/Fn', 'handler')).toEqual([]);
  });
});

describe('checkBuild', () => {
  it('accepts a deployable build and reports sizes and layer packages', async () => {
    const report = checkBuild(await fixture());
    expect(report.problems).toEqual([]);
    expect(report.functions).toEqual([
      expect.objectContaining({ logicalId: 'Fn', handlerFile: 'Fn/fn.js', bundled: [], required: ['ioredis'] }),
    ]);
    expect(report.functions[0]?.bundleBytes).toBeGreaterThan(0);
    expect(report.functions[0]?.mapBytes).toBeGreaterThan(0);
    expect(report.layers).toEqual([expect.objectContaining({ logicalId: 'Layer', modulesDir: 'Layer/nodejs/node_modules', packages: 1 })]);
    expect(formatReport(report)).toMatch(/Fn\s+Fn\/fn\.js\s+[\d.]+ KiB\s+[\d.]+ KiB\s+ioredis/);
  });

  it('fails when the Handler names an export the bundle lacks', async () => {
    expect(checkBuild(await fixture({ handler: 'fn.main' })).problems).toEqual(['Fn: Fn/fn.js does not export "main"']);
  });

  it('fails when the Handler names a file the build lacks', async () => {
    expect(checkBuild(await fixture({ handler: 'connect.handler' })).problems).toEqual([
      'Fn: Handler "connect.handler" does not resolve: none of Fn/connect.js, Fn/connect.mjs, Fn/connect.cjs exists',
    ]);
  });

  it('fails when CodeUri is not a directory of the build (sam deploy would upload the sources)', async () => {
    const buildDir = await fixture({ codeUri: '../src' });
    expect(checkBuild(buildDir).problems).toEqual([
      `Fn.CodeUri "../src" is not a directory inside ${buildDir}: sam deploy would upload the sources`,
    ]);
  });

  it('fails when a required package is in no layer of the function', async () => {
    const problems = checkBuild(await fixture({ layerDependencies: { pg: '8.23.1' } })).problems;
    expect(problems).toEqual(['Fn: requires ioredis, which no layer of the function installs (Layer)']);
  });

  it('fails when a layer does not list exactly the runtime dependencies it is given', async () => {
    const dir = await fixture({ layerDependencies: { ioredis: '5.9.3' } });
    expect(checkBuild(dir, { runtimeDependencies: { ioredis: '5.9.3' } }).problems).toEqual([]);
    expect(checkBuild(dir, { runtimeDependencies: { ioredis: '5.9.3', pg: '8.23.1' } }).problems).toEqual([
      "Layer: nodejs/package.json does not list exactly the root package.json's dependencies",
    ]);
    expect(checkBuild(dir, { runtimeDependencies: { ioredis: '5.9.4' } }).problems).toEqual([
      "Layer: nodejs/package.json does not list exactly the root package.json's dependencies",
    ]);
  });

  it('fails when a layer dependency is missing or not at its pinned version', async () => {
    const problems = checkBuild(
      await fixture({ layerDependencies: { ioredis: '5.9.3', pg: '8.23.1' }, installed: { ioredis: '5.9.2' } }),
    ).problems;
    expect(problems).toEqual(['Layer: ioredis is 5.9.2, package.json pins 5.9.3', 'Layer: dependency pg is not installed']);
  });

  it('fails when a bundle contains npm code', async () => {
    const source = "import pad from 'left-pad-ish';\nexport const handler = async () => pad('x');\n";
    const problems = checkBuild(await fixture({ source, esbuild: { packages: undefined } })).problems;
    expect(problems).toEqual(['Fn: bundles npm code (left-pad-ish); every npm package must come from the layer (Packages: external)']);
  });

  it('fails without a source map', async () => {
    const problems = checkBuild(await fixture({ esbuild: { sourcemap: false } })).problems;
    expect(problems).toEqual(['Fn: no source map Fn/fn.js.map (set Sourcemap: true; stack traces and this check need it)']);
  });

  it('fails when a bundle uses a forbidden package', async () => {
    expect(checkBuild(await fixture(), { forbid: ['ioredis', 'pg'] }).problems).toEqual(['Fn: uses forbidden package ioredis']);
  });

  it('fails when a function of the source template was not built, or nothing was built', async () => {
    const buildDir = await fixture();
    const source = join(buildDir, '..', 'source-template.yaml');
    write(source, { Resources: { Fn: { Type: 'AWS::Serverless::Function' }, Other: { Type: 'AWS::Serverless::Function' } } });
    expect(checkBuild(buildDir, { sourceTemplatePath: source }).problems).toEqual([`Other is in ${source} but not in the build`]);
    expect(checkBuild(join(buildDir, 'nope')).problems).toEqual([
      `${join(buildDir, 'nope', 'template.yaml')} does not exist: run \`npm run build\` (sam build) first`,
    ]);
  });
});

describe('each function loads only what it uses', () => {
  /** ioredis at start, undici only inside the handler (a lazy require). */
  const lazySource =
    "import Redis from 'ioredis';\n" + "export const handler = async () => [Redis, (require('undici') as { Pool?: unknown }).Pool];\n";
  const layer = { ioredis: '5.9.3', undici: '7.30.2', pg: '8.23.1' };
  const policy = { atStart: ['ioredis'], onFirstUse: ['undici'] };

  it('tells what a bundle loads at start from what it loads on first use, by loading it', async () => {
    const report = checkBuild(await fixture({ source: lazySource, layerDependencies: layer }), { packages: { Fn: policy } });
    expect(report.problems).toEqual([]);
    expect(report.functions[0]).toMatchObject({ required: ['ioredis', 'undici'], loadedAtStart: ['ioredis'] });
    expect(formatReport(report)).toContain('ioredis | undici');
  });

  it('fails when a package allowed only on first use loads at start', async () => {
    const source = "import Redis from 'ioredis';\nimport { Pool } from 'undici';\nexport const handler = async () => [Redis, Pool];\n";
    const problems = checkBuild(await fixture({ source, layerDependencies: layer }), { packages: { Fn: policy } }).problems;
    expect(problems).toEqual(['Fn: loads undici at start; it may load it only on first use']);
  });

  it('fails when a package loads at start through another package', async () => {
    const buildDir = await fixture({ source: lazySource, layerDependencies: layer, packageCode: { ioredis: "require('pg');\n" } });
    expect(checkBuild(buildDir, { packages: { Fn: policy } }).problems).toEqual([
      'Fn: loads pg at start (through another package), which is on none of its lists (FUNCTION_PACKAGES)',
    ]);
  });

  it('fails when a bundle requires a package on none of its lists, even on first use', async () => {
    const problems = checkBuild(await fixture({ source: lazySource, layerDependencies: layer }), {
      packages: { Fn: { atStart: ['ioredis'], onFirstUse: [] } },
    }).problems;
    expect(problems).toEqual(['Fn: requires undici, which is on none of its lists (FUNCTION_PACKAGES)']);
  });

  it('fails when a function has no list, or its bundle does not load', async () => {
    expect(checkBuild(await fixture(), { packages: {} }).problems).toEqual([
      'Fn: has no package list (FUNCTION_PACKAGES in scripts/check-build.ts)',
    ]);
    const source = "import Redis from 'ioredis';\nexport const handler = Redis;\nthrow new Error('no REDIS_HOST');\n";
    const problems = checkBuild(await fixture({ source }), { packages: { Fn: { atStart: ['ioredis'], onFirstUse: [] } } }).problems;
    expect(problems).toEqual([expect.stringMatching(/^Fn: loading .*fn\.js failed \(exit 1\): .*no REDIS_HOST/)]);
  });

  it('has a list for every function of template.yaml, and keeps the heartbeat to Redis at start', () => {
    const functions = Object.entries(loadTemplate(join(REPO_ROOT, 'template.yaml')).Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Serverless::Function')
      .map(([id]) => id);
    expect(Object.keys(FUNCTION_PACKAGES).sort()).toEqual(functions.sort());
    for (const id of ['HeartbeatFunction', 'DefaultFunction']) {
      const { atStart, onFirstUse } = FUNCTION_PACKAGES[id]!;
      expect([...atStart, ...onFirstUse].filter((name) => name === 'pg' || name.startsWith('@aws-sdk/client-'))).toEqual([
        '@aws-sdk/client-secrets-manager', // the Redis credentials, only with REDIS_AUTH_SECRET_ARN
      ]);
      expect(atStart.filter((name) => name === 'undici' || name.startsWith('@aws-sdk/') || name.includes('tracer'))).toEqual([]);
    }
    expect(FUNCTION_PACKAGES.AuthorizerFunction?.atStart).not.toContain('ioredis');
  });

  it('lets every function that uses Redis load Secrets Manager on first use (its credentials), the authorizer never', () => {
    for (const [id, { atStart, onFirstUse }] of Object.entries(FUNCTION_PACKAGES)) {
      const expected = atStart.includes('ioredis') ? ['@aws-sdk/client-secrets-manager'] : [];
      expect(`${id}: ${onFirstUse.filter((name) => name === '@aws-sdk/client-secrets-manager').join()}`).toBe(`${id}: ${expected.join()}`);
    }
  });

  it("times on first use what the template's defaults load: Secrets Manager only where the database password needs it", () => {
    expect(firstUsePackages('HeartbeatFunction')).toEqual(['undici', '@aws-sdk/credential-provider-node']);
    expect(firstUsePackages('GetPresenceFunction')).toEqual(['@aws-sdk/client-secrets-manager']);
    expect(firstUsePackages('ConnectFunction')).toEqual(['@aws-sdk/client-secrets-manager', 'undici', '@aws-sdk/credential-provider-node']);
    expect(firstUsePackages('AuthorizerFunction')).toEqual([]);
  });
});

describe('loading in a fresh process', () => {
  it('names the packages of loaded files, the innermost node_modules winning', () => {
    expect(
      packagesOfFiles([
        '/opt/nodejs/node_modules/ioredis/built/index.js',
        '/opt/nodejs/node_modules/@aws-sdk/client-x/node_modules/@smithy/core/dist/index.js',
        '/var/task/fn.js',
      ]),
    ).toEqual(['@smithy/core', 'ioredis']);
  });

  it('resolves packages from the layer only, and times what loads on first use apart', async () => {
    const buildDir = await fixture({ layerDependencies: { ioredis: '5.9.3', undici: '7.30.2' } });
    const modules = join(buildDir, 'Layer', 'nodejs', 'node_modules');
    const load = loadInFreshProcess({ bundle: join(buildDir, 'Fn', 'fn.js') }, [modules], { firstUse: ['undici'] });
    expect(load.packages).toEqual(['ioredis']);
    expect(load.ms).toBeGreaterThan(0);
    expect(load.cpuMs).toBeGreaterThan(0);
    expect(load.firstUseMs).toBeGreaterThan(0);
    expect(load.rssBytes).toBeGreaterThan(load.heapUsedBytes);
    // The repository's own node_modules holds pg, but the layer does not: a lookup that escaped would find it.
    expect(() => loadInFreshProcess({ package: 'pg' }, [modules])).toThrow(/Cannot find module 'pg'/);
  });
});
