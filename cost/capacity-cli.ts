/**
 * npm run capacity: for N users online, the rate each limit sees against its default quota, the
 * reconnect storm after an outage, and which limit binds first, at what N, and what moves it.
 *
 *   npm run capacity -- --online <N> [--shards <StatusShardCount>] [--profile <name>] [--measured <file>] [--assume name=value] [--json]
 *
 * Exit code 0, or 2 with one line on stderr when the options or the measured file are wrong.
 */
import { COMMON_USAGE, parseCommon, UsageError } from './options';
import { formatCapacity } from './report';
import { buildCapacityReport } from './run';

const USAGE = `Usage: npm run capacity -- --online <N> [options]
  --online <N>         users online at once (required)
  --shards <n>         StatusShardCount (default: the template's)
${COMMON_USAGE}`;

function positiveInteger(raw: unknown, flag: string): number {
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(value) || value < 1)
    throw new UsageError(`${flag} needs a whole number >= 1, got "${String(raw)}"`);
  return value;
}

function main(argv: string[]): number {
  const { options, json, help, values } = parseCommon(argv, { online: { type: 'string' }, shards: { type: 'string' } });
  if (help) {
    console.log(USAGE);
    return 0;
  }
  if (values.online === undefined) throw new UsageError('--online <N> is required (users online at once)');
  const online = positiveInteger(values.online, '--online');
  const shards = values.shards === undefined ? undefined : positiveInteger(values.shards, '--shards');
  const report = buildCapacityReport(options, online, shards);
  console.log(json ? JSON.stringify(report, null, 2) : formatCapacity(report));
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  console.error(`capacity: ${(error as Error).message}`);
  process.exitCode = 2;
}
