/**
 * The top-level folders depend on each other in one direction only (docs/ARCHITECTURE.md): handlers on
 * layers; template/ (reading template.yaml) on nothing of ours; the local runtime on handlers, layers
 * and template; scripts and cost on template (and scripts on layers); the simulator and the bench on
 * the local runtime; tests on anything. A cycle (say local/ importing scripts/ while scripts/ imports
 * local/) means neither can be read or moved alone.
 * Imports are read with TypeScript's own pre-processor: static imports, re-exports, import() and
 * require() of a string literal.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..', '..');
const FOLDERS = ['bench', 'cost', 'handlers', 'layers', 'local', 'scripts', 'simulator', 'template', 'tests'] as const;
type Graph = Map<string, Set<string>>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Top-level folder of a repository path, or undefined outside the folders above. */
function folderOf(path: string): string | undefined {
  const top = relative(ROOT, path).split(sep)[0];
  return (FOLDERS as readonly string[]).includes(top ?? '') ? top : undefined;
}

/** Folder → folders its files import (relative imports only; npm packages are not folders of ours). */
function folderGraph(): { graph: Graph; examples: Map<string, string> } {
  const graph: Graph = new Map(FOLDERS.map((folder) => [folder, new Set<string>()]));
  const examples = new Map<string, string>();
  for (const folder of FOLDERS) {
    for (const file of sourceFiles(join(ROOT, folder))) {
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      for (const { fileName } of importedFiles) {
        if (!fileName.startsWith('.')) continue;
        const target = folderOf(resolve(dirname(file), fileName));
        if (!target || target === folder) continue;
        graph.get(folder)!.add(target);
        const edge = `${folder} -> ${target}`;
        if (!examples.has(edge)) examples.set(edge, `${relative(ROOT, file)} imports ${fileName}`);
      }
    }
  }
  return { graph, examples };
}

/** Every cycle through the graph's edges, each as a path from its smallest node back to it. */
function cyclesOf(graph: Graph): string[][] {
  const cycles: string[][] = [];
  const walk = (start: string, node: string, path: string[]): void => {
    for (const next of graph.get(node) ?? []) {
      if (next === start) cycles.push([...path, start]);
      else if (next > start && !path.includes(next)) walk(start, next, [...path, next]);
    }
  };
  for (const start of [...graph.keys()].sort()) walk(start, start, [start]);
  return cycles;
}

describe('imports between top-level folders', () => {
  const { graph, examples } = folderGraph();
  const describeEdges = (from: string) => [...(graph.get(from) ?? [])].sort().map((to) => examples.get(`${from} -> ${to}`));

  it('form no cycle', () => {
    const cycles = cyclesOf(graph).map((cycle) =>
      cycle
        .slice(1)
        .map((to, i) => examples.get(`${cycle[i]} -> ${to}`))
        .join('; '),
    );
    expect(cycles).toEqual([]);
  });

  it('keep the deployed code (layers, handlers) free of local, scripts, bench and tests', () => {
    expect(describeEdges('layers')).toEqual([]);
    expect([...graph.get('handlers')!]).toEqual(['layers']);
  });

  it('keep the local runtime and the scripts out of tests and the bench', () => {
    for (const folder of ['local', 'scripts', 'bench', 'cost', 'simulator']) {
      expect(describeEdges(folder).filter((line) => /imports [./]+(tests|bench)\//.test(line ?? ''))).toEqual([]);
    }
  });

  it('let everyone read the template through template/, which imports nothing of ours', () => {
    expect(describeEdges('template')).toEqual([]);
    // Checks of the template and the build, and the cost model, need the template and the core, never the local runtime.
    expect(describeEdges('scripts').filter((line) => !/imports [./]+(layers|template)\//.test(line ?? ''))).toEqual([]);
    expect(describeEdges('cost').filter((line) => !/imports [./]+(layers|template)\//.test(line ?? ''))).toEqual([]);
    expect(graph.get('scripts')?.has('template')).toBe(true);
  });

  it('are read for real: the known edges are found', () => {
    expect(graph.get('local')?.has('handlers')).toBe(true);
    expect(graph.get('local')?.has('template')).toBe(true);
    expect(graph.get('simulator')?.has('local')).toBe(true);
    expect(graph.get('tests')?.has('layers')).toBe(true);
  });
});

describe('cyclesOf', () => {
  const graphOf = (edges: Record<string, string[]>): Graph =>
    new Map(Object.entries(edges).map(([from, to]) => [from, new Set(to)]));

  it('finds a two-folder cycle once', () => {
    expect(cyclesOf(graphOf({ local: ['scripts'], scripts: ['local'] }))).toEqual([['local', 'scripts', 'local']]);
  });

  it('finds a longer cycle and ignores a diamond', () => {
    expect(cyclesOf(graphOf({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }))).toEqual([]);
    expect(cyclesOf(graphOf({ a: ['b'], b: ['c'], c: ['a'] }))).toEqual([['a', 'b', 'c', 'a']]);
  });
});
