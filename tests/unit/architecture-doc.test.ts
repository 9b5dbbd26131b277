/**
 * docs/ARCHITECTURE.md stays true to the tree: every file git tracks is named on it (a `*.test.ts` may be
 * covered by its folder's line instead), every folder holding tracked files and every top-level folder
 * has its line, every path it names exists, and its Functions table is template.yaml's functions with
 * their handler files. A file added, moved or renamed without its line fails here, and the failure names it.
 *
 * A name in a table is read relative to the folder its section's heading names (### `local/meter/` makes
 * `wire.ts` mean local/meter/wire.ts), or else from the repository root; nothing matches by suffix.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadTemplate } from '../../template/cfn-yaml';
import { readFunctions } from '../../template/functions';

const ROOT = resolve(__dirname, '..', '..');
const PAGE = readFileSync(join(ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');

function git(args: string[], input?: string): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', input, maxBuffer: 16 * 1024 * 1024 });
}

/** Repository paths of `git ls-files` that are present in the working tree (a file deleted but not yet committed is gone). */
function listFiles(args: string[]): string[] {
  return git(['ls-files', '-z', ...args])
    .split('\0')
    .filter((path) => path && existsSync(join(ROOT, path)));
}

/** What the page must name: the tracked files (untracked scratch files do not count). */
const TRACKED = listFiles(['--cached']);
/** What the page may name: every file present and not ignored, so a file still waiting for its commit may already have its line. */
const PRESENT = new Set(listFiles(['--cached', '--others', '--exclude-standard']));

/** Every folder above some file of `files`, without a trailing slash. */
function foldersOf(files: Iterable<string>): Set<string> {
  const folders = new Set<string>();
  for (const file of files) {
    for (let slash = file.indexOf('/'); slash >= 0; slash = file.indexOf('/', slash + 1)) folders.add(file.slice(0, slash));
  }
  return folders;
}

interface Section {
  heading: string;
  /** The folder its heading names (`### \`layers/core/redis/\``), without the trailing slash. */
  folder?: string;
  text: string;
}

function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
}

/** The page cut at every heading, code blocks left out. */
function sectionsOf(page: string): Section[] {
  const sections: Section[] = [{ heading: '', text: '' }];
  for (const line of page.replace(/^```[\s\S]*?^```$/gm, '').split('\n')) {
    if (/^#+ /.test(line)) {
      const folder = codeSpans(line).find((span) => span.endsWith('/'));
      sections.push({ heading: line, folder: folder?.replace(/\/$/, ''), text: '' });
    }
    sections[sections.length - 1]!.text += `${line}\n`;
  }
  return sections;
}

function section(heading: string): Section {
  const found = sectionsOf(PAGE).find((candidate) => candidate.heading === heading);
  if (!found) throw new Error(`docs/ARCHITECTURE.md has no heading "${heading}"`);
  return found;
}

const PATH_LIKE = /^[\w.*-]+(\/[\w.*-]*)*$/;
const FILE_EXTENSION = /\.(ts|js|mjs|cjs|json|md|yaml|yml|toml|sql|html|css|txt)$/;

/** A code span that must be a path: it has a slash, a file extension or a leading dot. */
const looksLikePath = (span: string) => PATH_LIKE.test(span) && (span.includes('/') || FILE_EXTENSION.test(span) || span.startsWith('.'));

/** The paths a span may mean in its section, most specific first, without a trailing slash. */
function candidates(span: string, folder: string | undefined): string[] {
  const path = span.replace(/\/$/, '');
  return folder ? [`${folder}/${path}`, path] : [path];
}

function globPattern(path: string): RegExp {
  return new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`);
}

/** Every code span of the page with what it may mean (a row may name `a.ts, b.ts` in one span). */
function namedSpans(page: string): { span: string; folder?: string; paths: string[] }[] {
  return sectionsOf(page).flatMap(({ folder, text }) =>
    codeSpans(text)
      .flatMap((span) => span.split(/,\s*/))
      .filter((span) => PATH_LIKE.test(span))
      .map((span) => ({ span, folder, paths: candidates(span, folder) })),
  );
}

/** The files of `files` the page does not name: by path, or for a `*.test.ts`, by its folder. */
function unnamedFiles(page: string, files: readonly string[]): string[] {
  const folders = foldersOf(files);
  const named = new Set(namedSpans(page).flatMap(({ paths }) => paths));
  return files.filter((file) => {
    if (named.has(file)) return false;
    const folder = file.slice(0, file.lastIndexOf('/'));
    return !(file.endsWith('.test.ts') && folders.has(folder) && named.has(folder));
  });
}

/** The folders holding files of `files` that the page names nowhere. */
function unnamedFolders(page: string, files: readonly string[]): string[] {
  const named = new Set(namedSpans(page).flatMap(({ paths }) => paths));
  return [...foldersOf(files)].filter((folder) => !named.has(folder)).sort();
}

/** The spans that look like paths and mean no file or folder in `present`, nor a path git ignores (with the folder they were read in). */
function namesOfNothing(page: string, present: ReadonlySet<string>): string[] {
  const folders = foldersOf(present);
  const exists = (path: string) =>
    path.includes('*')
      ? [...present, ...folders].some((candidate) => globPattern(path).test(candidate))
      : present.has(path) || folders.has(path);
  const unresolved = namedSpans(page).filter(({ span, paths }) => looksLikePath(span) && !paths.some(exists));
  if (unresolved.length === 0) return [];
  // Paths the tools make (.aws-sam/, .local/stacks/, bench/results/smoke.json) are named as git ignores them.
  const asWritten = (span: string, path: string) => (span.endsWith('/') ? `${path}/` : path);
  const ignored = new Set(gitIgnored(unresolved.flatMap(({ span, paths }) => paths.map((path) => asWritten(span, path)))));
  return unresolved
    .filter(({ span, paths }) => !paths.some((path) => ignored.has(asWritten(span, path))))
    .map(({ span, folder }) => (folder ? `${span} (under ${folder}/)` : span));
}

function gitIgnored(paths: string[]): string[] {
  try {
    return git(['check-ignore', '--no-index', '--stdin'], `${paths.join('\n')}\n`)
      .split('\n')
      .filter(Boolean);
  } catch (error) {
    // Exit status 1: none of them is ignored.
    if ((error as { status?: number }).status === 1) return [];
    throw error;
  }
}

describe('docs/ARCHITECTURE.md', () => {
  it('names every tracked file (a test file at least by its folder)', () => {
    expect(TRACKED.length).toBeGreaterThan(300);
    expect(unnamedFiles(PAGE, TRACKED)).toEqual([]);
  });

  it('has a line for every folder that holds tracked files', () => {
    expect(unnamedFolders(PAGE, TRACKED)).toEqual([]);
  });

  it('has a line in Folders for every top-level folder', () => {
    const named = codeSpans(section('## Folders').text);
    const topLevel = [...new Set(TRACKED.filter((file) => file.includes('/')).map((file) => file.split('/')[0]!))].sort();
    expect(topLevel.filter((folder) => !named.includes(`${folder}/`))).toEqual([]);
  });

  it('names only paths that exist', () => {
    expect(namedSpans(PAGE).filter(({ span }) => looksLikePath(span)).length).toBeGreaterThan(300);
    expect(namesOfNothing(PAGE, PRESENT)).toEqual([]);
  });

  it("lists template.yaml's functions with their handler files, and nothing else", () => {
    const functions = readFunctions(loadTemplate(join(ROOT, 'template.yaml')), ROOT);
    const rows = new Map(
      section('## Functions (logical id → file)')
        .text.split('\n')
        .map((line) => line.split('|').map((cell) => cell.trim()))
        .filter((cells) => /^\w+Function$/.test(cells[1] ?? ''))
        .map((cells) => [cells[1]!, codeSpans(cells.join('|'))]),
    );
    expect([...rows.keys()].sort()).toEqual([...functions.keys()].sort());
    const handlerFile = (entryFile: string) => relative(ROOT, entryFile);
    const wrong = [...functions.values()]
      .filter(({ logicalId, entryFile }) => !rows.get(logicalId)?.includes(handlerFile(entryFile)))
      .map(({ logicalId, entryFile }) => `${logicalId} should name ${handlerFile(entryFile)}`);
    expect(wrong).toEqual([]);
  });
});

describe('the checks of docs/ARCHITECTURE.md', () => {
  const page = [
    '## Folders',
    '| `a/` | a | ',
    '### `a/b/`',
    '| `x.ts`, `y.ts` | x and y |',
    '| `tests/` | tests by folder |',
    '## Elsewhere',
    '| `a/z.ts` | by its full path |',
  ].join('\n');

  it('read a name relative to its heading, or from the root, never by suffix', () => {
    expect(unnamedFiles(page, ['a/b/x.ts', 'a/b/y.ts', 'a/z.ts'])).toEqual([]);
    expect(unnamedFiles(page, ['a/b/z.ts', 'c/x.ts'])).toEqual(['a/b/z.ts', 'c/x.ts']);
  });

  it('let a folder line cover its test files, and only those', () => {
    expect(unnamedFiles(page, ['tests/foo.test.ts', 'tests/helper.ts', 'tests/deeper/bar.test.ts'])).toEqual([
      'tests/helper.ts',
      'tests/deeper/bar.test.ts',
    ]);
  });

  it('find a renamed file and a folder without a line', () => {
    expect(unnamedFiles(page, ['a/b/x.ts', 'a/b/renamed.ts'])).toEqual(['a/b/renamed.ts']);
    expect(unnamedFolders(page, ['a/b/x.ts', 'a/c/w.ts'])).toEqual(['a/c']);
  });

  it('find a name of nothing, but accept a path git ignores', () => {
    const present = new Set(['a/b/x.ts']);
    expect(namesOfNothing('### `a/b/`\n`x.ts`, `gone.ts`, `.aws-sam/build/`, `bench/results/smoke.json`', present)).toEqual([
      'gone.ts (under a/b/)',
    ]);
    expect(namesOfNothing('`b/x.ts` `a/*/x.ts` `a/*/y.ts`', present)).toEqual(['b/x.ts', 'a/*/y.ts']);
  });
});
