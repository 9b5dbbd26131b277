/**
 * What every local command shares: expected failures (a wrong argument, no running stack, a file that
 * is not there) end the command with one line on stderr and exit code 1 (2 for bad usage); anything
 * else is a bug and keeps its stack trace.
 */

/** Wrong arguments: the message (with the usage) is printed and the command exits with 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** An expected failure: its message is the one line to print; exit code 1. */
export class CommandError extends Error {
  override name = 'CommandError';
}

const ONE_LINE = new Set(['CommandError', 'StackSelectionError', 'SettingsError', 'ConfigError', 'DependencyError']);

/** Runs a command's main(): its resolved number is the exit code. */
export function runCommand(main: () => Promise<number | void>): void {
  main().then(
    // Exits explicitly: a command's clients (Redis, PostgreSQL, sockets) must not keep it alive.
    (code) => process.exit(code ?? 0),
    (error: unknown) => {
      const err = error as Error & { code?: string };
      if (err?.name === 'UsageError' || err?.code?.startsWith('ERR_PARSE_ARGS')) {
        console.error(err.message);
        process.exit(2);
      }
      console.error(err instanceof Error && ONE_LINE.has(err.name) ? err.message : (err?.stack ?? String(error)));
      process.exit(1);
    },
  );
}
