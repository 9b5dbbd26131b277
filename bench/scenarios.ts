/**
 * The named scenarios, `npm run bench -- --scenario <name>`: one function per
 * scenario, and the table that names them. A push-bound scenario takes turns,
 * run by run, with the transport floor, so their ratio holds on a noisy machine.
 */
import { load, type Bench } from './fixtures';
import { lambdaShaped } from './lambda';
import { printLambdaReport } from './lambda-report';
import { fmt, type LoadScenarioSpec, type ScenarioResult } from './measure';
import { scenarioJson } from './report';
import { compareSigners, printSignerComparison } from './signers';
import {
  clientAloneSpec,
  getPresence200Spec,
  heartbeatSpec,
  profileAs,
  timeoutSweep,
  update200Spec,
  update20Spec,
  warmFriends,
} from './workloads';

export interface Measured {
  result: ScenarioResult;
  /** The transport floor measured in the same run (push-bound scenarios). */
  floor?: ScenarioResult;
}

export interface ScenarioOutput {
  /** What `--json` prints. */
  json: Record<string, unknown>;
  errors: number;
  /** The scenario printed its own table on the log already. */
  printed?: boolean;
}

export interface Scenario {
  name: string;
  run: (b: Bench) => Promise<ScenarioOutput>;
}

/** A load scenario's output: its figures beside its floor's. */
function measured(name: string, run: (b: Bench) => Promise<Measured>): Scenario {
  return {
    name,
    run: async (b) => {
      const json = scenarioJson(name, await run(b), b);
      return { json, errors: json.errors as number };
    },
  };
}

/** One invocation at a time per function, in environments of their own (bench/lambda.ts). */
async function lambda(b: Bench): Promise<ScenarioOutput> {
  const report = await lambdaShaped(b);
  printLambdaReport(b.log, report);
  return {
    json: { scenario: 'lambda', smoke: b.settings.smoke, ...report },
    errors: report.rows.reduce((n, row) => n + row.errors, 0),
    printed: true,
  };
}

/** A load scenario taking turns with the transport floor, run by run. */
async function withFloor(b: Bench, spec: LoadScenarioSpec): Promise<Measured> {
  await warmFriends(b);
  const [result, floor] = await load(b, [spec, clientAloneSpec(b, 'floor')]);
  return { result: result!, floor };
}

async function loadAlone(b: Bench, spec: LoadScenarioSpec): Promise<Measured> {
  const [result] = await load(b, [spec]);
  return { result: result! };
}

const updatePresence20 = (b: Bench): Promise<Measured> => withFloor(b, update20Spec(b));

const updatePresence200 = (b: Bench): Promise<Measured> => withFloor(b, update200Spec(b));

const heartbeat = (b: Bench): Promise<Measured> => loadAlone(b, heartbeatSpec(b));

const getPresence200 = (b: Bench): Promise<Measured> => loadAlone(b, getPresence200Spec(b));

async function sweep1000(b: Bench): Promise<Measured> {
  const result = await timeoutSweep(b, 'a', b.settings.size.staleSmall);
  const [floor] = await load(b, [clientAloneSpec(b, 'floor')]);
  return { result, floor };
}

/** The clients alone, taking turns: the lean client, the SDK's, the transport floor. */
async function pushClients(b: Bench): Promise<Measured> {
  const lean = { ...clientAloneSpec(b, 'lean'), onProfile: profileAs(b, 'lean client alone', 'lean-client') };
  const [leanResult, sdk, floor] = await load(b, [lean, clientAloneSpec(b, 'sdk'), clientAloneSpec(b, 'floor')]);
  b.log(`  SDK client alone: ${fmt(sdk!.postsPerSec)} posts/s, ${fmt(sdk!.benchCpuUsPerPush, 1)} µs per post in the handler process`);
  return { result: leanResult!, floor };
}

/** Our SigV4 signer against the SDK's, per fan-out and at load (bench/signers.ts). */
async function signers(b: Bench): Promise<ScenarioOutput> {
  const comparison = await compareSigners(b);
  printSignerComparison(b.log, comparison);
  return { json: { scenario: 'signers', smoke: b.settings.smoke, ...comparison }, errors: comparison.errors, printed: true };
}

export const SCENARIOS: readonly Scenario[] = [
  measured('update-20', updatePresence20),
  measured('update-200', updatePresence200),
  measured('heartbeat', heartbeat),
  measured('get-presence-200', getPresence200),
  measured('sweep-1000', sweep1000),
  measured('push-clients', pushClients),
  { name: 'lambda', run: lambda },
  { name: 'signers', run: signers },
];
