/**
 * The README and docs/ work in a plain clone: every relative link points at a file of the repository
 * (and an anchor at a heading of it), and the README shows the two commands a fresh machine needs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const documents = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '');
  return new Set(
    [...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1]!
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

describe.each(documents)('%s', (document) => {
  const text = readFileSync(join(ROOT, document), 'utf8');
  const links = [...text.replace(/```[\s\S]*?```/g, '').matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((href) => !/^[a-z]+:/i.test(href));

  it('links only to files and headings that exist', () => {
    const broken = links.filter((href) => {
      const [path, anchor] = href.split('#') as [string, string | undefined];
      const target = path ? resolve(dirname(join(ROOT, document)), path) : join(ROOT, document);
      if (!existsSync(target)) return true;
      return anchor !== undefined && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor);
    });
    expect(broken).toEqual([]);
  });
});

it('README shows how to run the service and the tests on a fresh machine', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  expect(readme).toMatch(/```bash\nnpm ci\nnpm start\n```/);
  expect(readme).toMatch(/```bash\nnpm ci\nnpm test\n```/);
});
