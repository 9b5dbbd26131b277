/**
 * `npm run meter [-- --json] [--reset] [--stack <REST port>]`: what the running local stack would be
 * billed for in AWS since it started or was last reset (API Gateway messages and connection-minutes,
 * REST requests, @connections calls, Lambda invocations and billed duration per function, Step
 * Functions executions, Redis commands, PostgreSQL queries). `--json` prints the MeterSnapshot as one
 * JSON object on stdout; `--reset` zeroes the counts.
 */
import { parseArgs } from 'node:util';
import { fetchMeter, meterTable, type MeterSnapshot } from '../meter';
import { CommandError, runCommand, UsageError } from './run';
import { chosenStack, loopback, STACK_OPTION, STACK_USAGE } from './stack-flag';

const USAGE = [
  'usage: npm run meter [-- --json] [--reset] [--stack <REST port>]',
  '  --json   the counts as one JSON object (npm run --silent meter -- --json)',
  '  --reset  zero the counts (with --json: print the zeroed counts)',
  `  ${STACK_USAGE}`,
].join('\n');

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      reset: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ...STACK_OPTION,
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length > 0) throw new UsageError(USAGE);
  const stack = chosenStack(values.stack);
  let snapshot: MeterSnapshot;
  try {
    snapshot = await fetchMeter(loopback(stack).rest, { reset: values.reset, timeoutMs: 3000 });
  } catch (error) {
    throw new CommandError(`The local stack ${stack.name} did not ${values.reset ? 'reset' : 'read'} its meter: ${(error as Error).message}.`);
  }
  if (values.json) {
    console.log(JSON.stringify(snapshot, null, 2));
    return;
  }
  if (values.reset) {
    console.log(`The meter of the local stack ${stack.name} was reset: every count is zero from ${snapshot.since} on.`);
    return;
  }
  console.log(meterTable(snapshot, stack.name));
}

runCommand(main);
