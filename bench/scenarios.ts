/**
 * The named scenarios, `npm run bench -- --scenario <name>`: one function per
 * scenario, and the table that names them. A push-bound scenario takes turns,
 * run by run, with the transport floor, so their ratio holds on a noisy machine.
 */
import { load, type Bench } from './fixtures';
import { fmt, type LoadScenarioSpec, type ScenarioResult } from './measure';
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

export interface Scenario {
  name: string;
  run: (b: Bench) => Promise<Measured>;
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

export const SCENARIOS: readonly Scenario[] = [
  { name: 'update-20', run: updatePresence20 },
  { name: 'update-200', run: updatePresence200 },
  { name: 'heartbeat', run: heartbeat },
  { name: 'get-presence-200', run: getPresence200 },
  { name: 'sweep-1000', run: sweep1000 },
  { name: 'push-clients', run: pushClients },
];
