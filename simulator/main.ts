/**
 * `npm run simulate`: a simulated population on the real local stack (see simulator/run.ts), its
 * summary on stdout (`--json`: exactly one JSON object), progress on stderr, `--record <file>` to keep
 * the result. Expected failures end with one line on stderr and exit code 1 (2 for bad usage, 130
 * after Ctrl-C); the stack's own output is shown only when it failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseError } from './database';
import { ParameterError, parseParams, USAGE } from './params';
import { FellBehind, provenance, simulate, SimulationAborted } from './run';
import { StackError } from './stack';
import { summaryText } from './summary';

async function main(): Promise<number> {
  const params = parseParams(process.argv.slice(2));
  if (!params) {
    console.log(USAGE);
    return 0;
  }
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const result = await simulate(params, { progress: (line) => console.error(line), signal: controller.signal });

  let code = 0;
  if (params.record) {
    // The tree may have changed while the simulation ran: the recorded commit must still be what ran.
    const now = provenance();
    if (result.dirty && !params.allowDirty) {
      console.error(
        `Not recorded: the working tree ${now.commit === result.commit ? 'has uncommitted changes' : 'moved to another commit'} since or during the run; commit and run again, or add --allow-dirty.`,
      );
      code = 1;
    } else {
      const file = path.resolve(params.record);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
      console.error(`[simulate] recorded ${file}`);
    }
  }
  if (params.json) console.log(JSON.stringify(result));
  else console.log(summaryText(result));
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ParameterError) {
      console.error(error.message);
      process.exit(2);
    }
    if (error instanceof StackError) {
      console.error(error.details);
      console.error(error.message);
      process.exit(1);
    }
    if (error instanceof SimulationAborted) {
      console.error(error.message);
      process.exit(130);
    }
    if (error instanceof DatabaseError || error instanceof FellBehind) {
      console.error(error.message);
      process.exit(1);
    }
    console.error((error as Error)?.stack ?? String(error));
    process.exit(1);
  },
);
