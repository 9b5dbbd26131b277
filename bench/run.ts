/**
 * npm run bench [-- --smoke] [-- --profile] [-- --runs N] [-- --containers N] [-- --skip-sweep-large]
 * npm run bench -- --scenario <update-20|update-200|heartbeat|get-presence-200|sweep-1000|push-clients> [--json] [--profile]
 * npm run bench -- --scenario <lambda|signers> [--invocations N] [--json]
 *
 * Drives the real handlers in-process with API Gateway-shaped events against
 * real Redis and real PostgreSQL (a dedicated database and key prefix), with
 * the API Gateway Management API answered over real HTTP by a sink in a
 * separate process, so every push goes through the real @connections client.
 * The handlers run in worker threads standing in for Lambda containers (one
 * per core by default, each with its own module-scope runtime), sharing each
 * scenario's concurrency. Push-bound scenarios take turns, run by run, with
 * the transport floor (bare undici posts, unsigned, to the same sink).
 *
 * The lambda scenario (bench/lambda.ts) runs each function the way Lambda does instead: one
 * invocation at a time in an execution environment of its own, with the template's settings, and
 * reports billed milliseconds per invocation beside the same I/O's floor.
 *
 * Without --scenario: every scenario (bench/full-run.ts), medians of several
 * runs after a warm-up, tables on stdout and JSON under bench/results/. With
 * --scenario: that one scenario (bench/scenarios.ts) and its floor; --json
 * prints exactly one JSON object on stdout, progress goes to stderr. A
 * benchmark, not a test: a MISS does not fail it; broken calls (non-200
 * answers, miscounted round trips) do.
 */
// First: the core modules read parts of the environment when they load.
import './environment';
import { Cleanup, checkCounters, runWithCleanup, setUpFixtures, type Bench } from './fixtures';
import { fullRun } from './full-run';
import { printProfiles, writeFullReport } from './report';
import { SCENARIOS, type Scenario } from './scenarios';
import { parseSettings } from './settings';

const settings = parseSettings();
const log = (line: string): void => (settings.json ? console.error(line) : console.log(line));
const cleanup = new Cleanup();

function selectedScenario(): Scenario | undefined {
  if (settings.scenario === undefined) return undefined;
  const scenario = SCENARIOS.find((s) => s.name === settings.scenario);
  if (!scenario) {
    console.error(`--scenario must be one of ${SCENARIOS.map((s) => s.name).join(', ')}, got "${settings.scenario}"`);
    process.exit(2);
  }
  return scenario;
}

/** One named scenario: its JSON object, on stdout alone with --json. */
async function runScenario(b: Bench, scenario: Scenario): Promise<number> {
  const { json, errors, printed } = await scenario.run(b);
  if (settings.json) process.stdout.write(`${JSON.stringify(json)}\n`);
  else if (!printed) {
    log(JSON.stringify(json, null, 2));
    printProfiles(b);
  }
  return errors > 0 ? 1 : 0;
}

async function runFull(b: Bench, startedAt: number): Promise<number> {
  await fullRun(b);
  await writeFullReport(b, startedAt);
  const errors = b.results.reduce((total, s) => total + s.errors, 0);
  if (errors > 0) {
    console.error(`${errors} calls failed: the figures above are not valid`);
    return 1;
  }
  return 0;
}

async function main(): Promise<number> {
  const startedAt = Date.now();
  const scenario = selectedScenario();
  const { runs, durationMs, warmupMs, smoke } = settings;
  log(
    `Presence API benchmark${scenario ? ` (scenario ${scenario.name})` : ''}${smoke ? ' (smoke: tiny graph, 1 run; figures not meaningful)' : ''}: ${runs} run(s) x ${durationMs} ms after ${warmupMs} ms warm-up`,
  );
  const b = await setUpFixtures(settings, log, cleanup);
  await checkCounters(b);
  return scenario ? runScenario(b, scenario) : runFull(b, startedAt);
}

runWithCleanup(cleanup, main);
