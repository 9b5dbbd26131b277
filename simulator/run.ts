/**
 * One simulation, start to end: the population and its database, the stack as a child process, the
 * users on the simulated clock, the meter reset when the warm-up ends, and at the end of the measured
 * window a reading taken once the stack is quiet (nothing sent, nothing in flight, clients and meter
 * agreeing across two readings). Then every client closes, the idle stack's sweep is measured over
 * whole executions (its fixed cost), and the stack and database go. Cleanup also runs on failure and
 * on abort (Ctrl-C).
 */
import { execFileSync } from 'node:child_process';
import type { MeterSnapshot } from '../local/meter';
import { REPO_ROOT } from '../template';
import { clientModelFor } from './clients';
import { SimulatedClock, LagRecorder } from './clock';
import { createRunDatabase, describeDatabase, seedDatabase, type RunDatabase } from './database';
import { ParameterError, stackTimeSettings, type SimulationParams } from './params';
import { buildPopulation } from './population';
import { buildResult, idleSweepBetween, lagViolations, type IdleSweep, type SimulationResult } from './report';
import { planUsers, sessionSecondsIn, type PlanWindow } from './schedule';
import { startStack, StackError, type RunningStack } from './stack';
import { readCpu, type StackCpu } from './process-cpu';
import { endOfRunLines, startProgress } from './progress';
import { FlapDetector, Tally } from './tally';
import { stateMachineFunctions } from './template';
import { TokenMinter } from './tokens';
import { ConnectionLedger, SimulatedUser, type SimulationContext } from './user';

const SETTLE_POLL_MS = 150;
const SETTLE_TIMEOUT_MS = 20_000;
/** Sweep executions measured on the idle stack, between two readings. */
const IDLE_SWEEP_EXECUTIONS = 2;

/** The run stopped before it could report (Ctrl-C, or the stack died): one line. */
export class SimulationAborted extends Error {
  override name = 'SimulationAborted';
}

/** The simulation fell behind: figures are refused. */
export class FellBehind extends Error {
  override name = 'FellBehind';
}

export interface Provenance {
  commit: string;
  dirty: boolean;
}

/** The commit measured and whether the working tree differs from it (read-only git commands). */
export function provenance(): Provenance {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain').length > 0 };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}


/** What a reading must keep equal to count as quiet. */
function activityKey(meter: MeterSnapshot, tally: Tally): string {
  const invocations = Object.values(meter.lambda).reduce((sum, entry) => sum + entry.invocations, 0);
  const api = meter.apiGateway;
  const rest = Object.values(tally.restByStatus).reduce((sum, count) => sum + count, 0);
  return [
    api.messagesIn,
    api.messagesOut,
    api.connects,
    api.disconnects,
    api.restRequests,
    meter.managementApi.posts,
    meter.managementApi.deletes,
    invocations,
    meter.stepFunctions.executions,
    tally.framesSentTotal(),
    tally.framesReceivedTotal(),
    tally.connects,
    rest,
  ].join(',');
}

/** A meter reading taken when two readings in a row, and the clients' counts between them, agree. */
async function quietReading(stack: RunningStack, tally: () => Tally): Promise<{ meter: MeterSnapshot; settled: boolean }> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let previous = '';
  for (;;) {
    await sleep(SETTLE_POLL_MS);
    const before = activityKey(await stack.meter(), tally());
    const meter = await stack.meter();
    const key = activityKey(meter, tally());
    if (key === before && key === previous) return { meter, settled: true };
    previous = key;
    if (Date.now() > deadline) return { meter, settled: false };
  }
}

/** Two readings between sweep executions, IDLE_SWEEP_EXECUTIONS apart. */
async function measureIdleSweep(stack: RunningStack, intervalWallMs: number): Promise<IdleSweep | undefined> {
  const deadline = Date.now() + intervalWallMs * (IDLE_SWEEP_EXECUTIONS + 3) + 10_000;
  // A reading counts as "between executions" when taken well after the last one started.
  const between = async (atLeast: number): Promise<MeterSnapshot | undefined> => {
    let seen = -1;
    let changedAt = Date.now();
    while (Date.now() < deadline) {
      const reading = await stack.meter();
      const executions = reading.stepFunctions.executions;
      if (executions !== seen) {
        seen = executions;
        changedAt = Date.now();
      } else if (executions >= atLeast && Date.now() - changedAt >= Math.min(500, intervalWallMs / 3)) {
        return reading;
      }
      await sleep(50);
    }
    return undefined;
  };
  await stack.resetMeter();
  const first = await between(1);
  if (!first) return undefined;
  const second = await between(first.stepFunctions.executions + IDLE_SWEEP_EXECUTIONS);
  return second ? idleSweepBetween(first, second) : undefined;
}

export interface RunOptions {
  progress: (line: string) => void;
  signal?: AbortSignal;
}

export async function simulate(params: SimulationParams, options: RunOptions): Promise<SimulationResult> {
  const started = performance.now();
  const origin = provenance();
  if (params.record && origin.dirty && !params.allowDirty) {
    throw new ParameterError(
      `--record refuses a dirty working tree (the recorded commit ${origin.commit.slice(0, 12)} must be the code measured); commit first, or add --allow-dirty.`,
    );
  }
  const stackSettings = stackTimeSettings(params);
  const population = buildPopulation(params);
  const sweepFunctions = stateMachineFunctions();
  const window: PlanWindow = { start: params.warmupMinutes * 60, end: params.warmupMinutes * 60 + params.hours * 3600 };
  const plans = planUsers(params.users, params, window);

  let database: RunDatabase | undefined;
  let stack: RunningStack | undefined;
  let clock: SimulatedClock | undefined;
  let ledger: ConnectionLedger | undefined;
  let stopProgress = () => undefined as void;
  const aborted = () => new SimulationAborted('Interrupted: the stack is stopped and the run database dropped; nothing is reported.');
  const abortable = <T>(work: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (options.signal?.aborted) return reject(aborted());
      const onAbort = () => reject(aborted());
      options.signal?.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => options.signal?.removeEventListener('abort', onAbort));
    });

  try {
    options.progress(
      `[simulate] ${params.users} users, ${population.stats.edges} friendships (mean degree ${population.stats.meanDegree.toFixed(1)}), ` +
        `${params.warmupMinutes} min warm-up + ${params.hours} h measured at ${params.speed}x: about ${Math.ceil((window.end / params.speed) / 60)} min of wall time`,
    );
    // Not abortable: once created, the database must be known here to be dropped.
    database = await createRunDatabase(params.databaseUrl);
    options.progress(`[simulate] database ${database.name} on ${describeDatabase(params.databaseUrl)} (dropped at the end)`);
    await abortable(seedDatabase(database.url, population));
    // Not abortable either: a stack left starting in the background would outlive us.
    stack = await startStack({ databaseUrl: database.url, settings: stackSettings });
    if (options.signal?.aborted) throw aborted();
    const running = stack;
    const tokens = await TokenMinter.forStack(running.record);
    try {
      await running.meter();
    } catch (error) {
      throw new StackError(`The local stack has no usable meter (${(error as Error).message}).`, running.outputTail());
    }

    clock = new SimulatedClock(params.speed);
    const simClock = clock;
    ledger = new ConnectionLedger(() => window);
    const users = new Map<string, SimulatedUser>();
    const context: SimulationContext = {
      clock: simClock,
      params,
      websocketUrl: running.websocketUrl,
      restUrl: running.restUrl,
      tokens,
      tally: new Tally(),
      flaps: new FlapDetector((count) => (context.tally.flaps += count)),
      echoLag: new LagRecorder(),
      restLag: new LagRecorder(),
      isOnline: (userId) => users.get(userId)?.connected ?? false,
      connections: ledger,
    };
    const simulated = population.users.map((spec, i) => new SimulatedUser(spec, clientModelFor(spec.clientKind, params), plans[i]!, context));
    for (const user of simulated) users.set(user.spec.userId, user);

    let friendsOnline = { sum: 0, samples: 0 };
    let cpuAtStart = readCpu(running.record.pid);
    let wallAtStart = performance.now();
    const startMeasurement = () => {
      cpuAtStart = readCpu(running.record.pid);
      wallAtStart = performance.now();
      context.tally = new Tally();
      context.flaps.reset();
      context.echoLag.reset();
      context.restLag.reset();
      simClock.lag.reset();
      ledger!.reset();
      running.logs.reset();
      friendsOnline = { sum: 0, samples: 0 };
    };
    // Scheduled before the users' events, so it runs first among those due at the same time.
    if (window.start === 0) {
      await running.resetMeter();
      startMeasurement();
    } else {
      simClock.at(window.start, () => {
        startMeasurement();
        running.resetMeter().catch(() => undefined);
      });
    }
    for (let at = window.start; at < window.end; at += 60) {
      simClock.at(at, () => {
        for (const user of simulated) {
          if (!user.online) continue;
          friendsOnline.sum += population.graph.friends[user.spec.index]!.filter((friend) => simulated[friend]!.online).length;
          friendsOnline.samples += 1;
        }
      });
    }
    for (const user of simulated) user.schedule(window.end);
    const finished = new Promise<void>((resolve) => simClock.at(window.end, resolve));

    stopProgress = startProgress(
      {
        now: () => simClock.now(),
        measurementStart: window.start,
        end: window.end,
        usersOnline: () => simulated.filter((user) => user.online).length,
        sockets: () => ledger!.open.size,
        framesSent: () => context.tally.framesSentTotal(),
        framesReceived: () => context.tally.framesReceivedTotal(),
        lag: simClock.lag,
        stackPid: running.record.pid,
      },
      options.progress,
    );

    simClock.start();
    const crashed = running.exited.then((code) => {
      throw new StackError(`The local stack exited (code ${code}) during the simulation.`, running.outputTail());
    });
    // It rejects when the stack stops at the end too: only a race that is still waiting cares.
    crashed.catch(() => undefined);
    await abortable(Promise.race([finished, crashed]));
    simClock.stop();
    stopProgress();

    const measuredEnd = window.end;
    const cpuAtEnd = readCpu(running.record.pid);
    const measuredWall = (performance.now() - wallAtStart) / 1000;
    const stackCpu: StackCpu | undefined =
      cpuAtStart && cpuAtEnd
        ? { stackSeconds: cpuAtEnd.stack - cpuAtStart.stack, redisServerSeconds: cpuAtEnd.children - cpuAtStart.children, wallSeconds: measuredWall }
        : undefined;
    const connectionSeconds = ledger.seconds(measuredEnd);
    const lag = { actions: simClock.lag.summary(), echoes: context.echoLag.summary(), rest: context.restLag.summary() };
    options.progress('[simulate] measured window over: waiting for the stack to go quiet, then reading the meter');
    const reading = await abortable(Promise.race([quietReading(running, () => context.tally), crashed]));
    const logs = running.logs.snapshot();
    const problemsLogged = [...running.logs.problems];
    const tally = context.tally;
    if (!reading.settled) options.progress('[simulate] warning: the stack did not go quiet within 20 s; the reading may miss work still in flight');

    ledger.closeAll();
    await abortable(waitForNoConnections(running));
    options.progress('[simulate] clients closed: measuring the idle sweep (its fixed cost per execution)');
    const idleSweep = await abortable(measureIdleSweep(running, (params.sweepIntervalSeconds * 1000) / params.speed));

    for (const line of endOfRunLines(lag, stackCpu, logs, problemsLogged)) options.progress(line);
    const problems = lagViolations(lag, params);
    if (problems.length > 0) {
      throw new FellBehind(`The simulation fell behind, so its figures are not reported: ${problems.join('; ')}. Lower --users or --speed.`);
    }
    const ending = provenance();
    return buildResult({
      params,
      stackSettings,
      population,
      measuredAt: new Date().toISOString(),
      commit: origin.commit,
      dirty: origin.dirty || ending.dirty || ending.commit !== origin.commit,
      node: process.version,
      wallSeconds: (performance.now() - started) / 1000,
      connectedUserSeconds: sessionSecondsIn(plans, window),
      connectionSeconds,
      tally,
      flaps: context.flaps,
      friendsOnlineAvg: friendsOnline.samples > 0 ? friendsOnline.sum / friendsOnline.samples : 0,
      lag,
      meter: reading.meter,
      logs,
      sweepFunctions,
      idleSweep,
      stackCpu,
    });
  } finally {
    stopProgress();
    clock?.stop();
    ledger?.closeAll();
    await stack?.stop().catch(() => undefined);
    await database?.drop().catch((error: unknown) => options.progress(`[simulate] could not drop ${database!.name}: ${(error as Error).message}`));
  }
}

async function waitForNoConnections(stack: RunningStack): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const meter = await stack.meter();
    if (meter.apiGateway.connectionsOpen === 0) return;
    await sleep(100);
  }
}
