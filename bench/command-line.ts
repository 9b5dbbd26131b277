/**
 * The benchmarks' command lines, read as the local commands read theirs: `--help` prints the usage, a
 * wrong option is one line and the usage with exit code 2, never a stack trace.
 */

/** `parse()`'s result, after `--help` and Node's argument errors (ERR_PARSE_ARGS_*) are handled. */
export function readCommandLine<T>(usage: string, parse: () => T, args: readonly string[] = process.argv.slice(2)): T {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parse();
  } catch (error) {
    if (!(error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw error;
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}
