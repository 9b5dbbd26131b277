/**
 * The measuring tools' command lines, spawned as a user runs them: `--help` prints the usage and exits
 * 0; a wrong option is one line and the usage on stderr with exit code 2, never a stack trace. None of
 * them reaches Redis, PostgreSQL or a build before reading its arguments.
 */
import { commandEnv, runTsx } from './helpers/commands';

const TOOLS = [
  { file: 'bench/run.ts', usage: /^usage: npm run bench -- / },
  { file: 'bench/original/run.ts', usage: /^usage: npm run bench:original -- --original <dir>/ },
  { file: 'bench/sweep-scale.ts', usage: /^usage: npx tsx bench\/sweep-scale\.ts / },
  { file: 'scripts/cold-start.ts', usage: /^usage: npm run cold-start -- / },
];

/** Node's or our own frames of a stack trace. */
const STACK_FRAME = /^\s+at /m;

describe.each(TOOLS)('$file', ({ file, usage }) => {
  it('prints its usage on --help and exits 0', async () => {
    const { code, stdout, stderr } = await runTsx(file, ['--help'], commandEnv());
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(usage);
  });

  it('refuses an unknown option in one line and the usage, with exit code 2', async () => {
    const { code, stdout, stderr } = await runTsx(file, ['--no-such-option'], commandEnv());
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const [reason, ...rest] = stderr.split('\n');
    expect(reason).toMatch(/--no-such-option/);
    expect(rest.join('\n')).toMatch(usage);
    expect(stderr).not.toMatch(STACK_FRAME);
  });
});
