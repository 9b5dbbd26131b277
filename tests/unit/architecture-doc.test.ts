/**
 * docs/ARCHITECTURE.md stays true: every folder of the repository, of layers/core and of local has its
 * line, every file of layers/core is named, and every path the page names exists (a rename that forgets
 * the page fails here).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const PAGE = readFileSync(join(ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');
/** Not ours, or made by tools and ignored by git (every dot-folder but .ci: .git, .aws-sam, .local, .venv-tools, .tmp*). */
const NOT_OURS = new Set(['node_modules', 'coverage']);
const isOurs = (name: string) => !NOT_OURS.has(name) && (!name.startsWith('.') || name === '.ci');

/** The page's text under a heading, up to the next heading of any level. */
function section(heading: string): string {
  const start = PAGE.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/ARCHITECTURE.md has no heading "${heading}"`);
  const next = PAGE.slice(start + heading.length + 2).search(/\n#+ /);
  return next < 0 ? PAGE.slice(start) : PAGE.slice(start, start + heading.length + 2 + next);
}

function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
}

function entries(dir: string, kind: 'dirs' | 'files'): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => (kind === 'dirs' ? entry.isDirectory() : entry.isFile()) && isOurs(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/** Every path under the repository (files and folders), relative, for suffix lookups. */
function allPaths(dir = ''): string[] {
  return entries(dir || '.', 'dirs').flatMap((name) => {
    const path = dir ? `${dir}/${name}` : name;
    return [path, ...allPaths(path), ...entries(path, 'files').map((file) => `${path}/${file}`)];
  });
}

const PATH_LIKE = /^[\w.*-]+(\/[\w.*-]*)*$/;
const FILE_EXTENSIONS = /\.(ts|json|md|yaml|toml|sql|html|txt|mjs)$/;

describe('docs/ARCHITECTURE.md', () => {
  const folders = section('## Folders');
  const core = section('### Inside `layers/core/`');
  const local = section('### Inside `local/`');

  it('has a line for every top-level folder', () => {
    const named = codeSpans(folders);
    const missing = entries('.', 'dirs').filter((dir) => !named.some((span) => span.startsWith(`${dir}/`)));
    expect(missing).toEqual([]);
  });

  it('has a line for every folder and file of layers/core', () => {
    const named = new Set(codeSpans(core));
    const wanted = [...entries('layers/core', 'dirs').map((dir) => `${dir}/`), ...entries('layers/core', 'files')];
    expect(wanted.filter((name) => !named.has(name))).toEqual([]);
  });

  it('has a line for every folder of local', () => {
    const named = new Set(codeSpans(local));
    expect(entries('local', 'dirs').filter((dir) => !named.has(`${dir}/`))).toEqual([]);
  });

  it('names only paths that exist', () => {
    const paths = allPaths();
    const exists = (span: string): boolean => {
      const path = span.replace(/\/$/, '');
      if (path.includes('*')) {
        const pattern = new RegExp(`(^|/)${path.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`);
        return paths.some((candidate) => pattern.test(candidate));
      }
      return existsSync(join(ROOT, path)) || paths.some((candidate) => candidate.endsWith(`/${path}`));
    };
    const named = codeSpans(PAGE)
      .flatMap((span) => span.split(/,\s*/))
      .filter((span) => PATH_LIKE.test(span) && (span.includes('/') || FILE_EXTENSIONS.test(span)));
    expect(named.length).toBeGreaterThan(40);
    expect(named.filter((span) => !exists(span))).toEqual([]);
  });

  it('checks for real: a made-up path is not found', () => {
    const paths = allPaths();
    expect(paths.some((candidate) => candidate.endsWith('/no-such-module.ts'))).toBe(false);
    expect(paths).toContain('layers/core/ports/presence-store.ts');
  });
});
