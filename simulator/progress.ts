/** The lines the simulator writes on stderr: a progress line every few seconds, and what the run saw at its end. */
import type { LagRecorder, LagSummary } from './clock';
import type { LogTotals, LoggedProblem } from './log-accounting';
import { readCpu, type CpuReading, type StackCpu } from './process-cpu';

const EVERY_MS = 5000;

function hms(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export interface ProgressSource {
  /** Simulated seconds now. */
  now(): number;
  measurementStart: number;
  end: number;
  usersOnline(): number;
  sockets(): number;
  framesSent(): number;
  framesReceived(): number;
  lag: LagRecorder;
  /** The stack's process id, for its CPU. */
  stackPid: number;
}

/** Starts the progress line; returns the function that stops it. */
export function startProgress(source: ProgressSource, write: (line: string) => void): () => void {
  let last: { reading?: CpuReading; at: number } = { reading: readCpu(source.stackPid), at: performance.now() };
  const timer = setInterval(() => {
    const current = { reading: readCpu(source.stackPid), at: performance.now() };
    const cpu =
      current.reading && last.reading
        ? ` | stack CPU ${((current.reading.stack - last.reading.stack) / ((current.at - last.at) / 1000)).toFixed(2)}`
        : '';
    last = current;
    const now = source.now();
    const lag = source.lag.summary();
    write(
      `[simulate] ${hms(now)} / ${hms(source.end)} ${now < source.measurementStart ? 'warm-up' : 'measuring'} | ` +
        `${source.usersOnline()} users online, ${source.sockets()} sockets | frames sent ${source.framesSent()}, received ${source.framesReceived()} | ` +
        `lag p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms${cpu}`,
    );
  }, EVERY_MS);
  return () => clearInterval(timer);
}

/** What the run saw in its measured window, as lines for stderr: lateness, the stack's CPU, what the functions warned about. */
export function endOfRunLines(
  lag: { actions: LagSummary; echoes: LagSummary; rest: LagSummary },
  stackCpu: StackCpu | undefined,
  logs: LogTotals,
  problems: LoggedProblem[],
): string[] {
  const late = (name: string, summary: LagSummary) => `${name} p50 ${summary.p50Ms}, p99 ${summary.p99Ms}, max ${summary.maxMs}`;
  const lines = [
    `[simulate] lateness in the measured window (wall ms): ${late('actions', lag.actions)}; ${late('own page echo', lag.echoes)}; ${late('GET /presence', lag.rest)}`,
  ];
  if (stackCpu) {
    lines.push(
      `[simulate] the stack's CPU in the measured window: ${(stackCpu.stackSeconds / stackCpu.wallSeconds).toFixed(2)} of a core (its process), ` +
        `${(stackCpu.redisServerSeconds / stackCpu.wallSeconds).toFixed(2)} (its redis-server), over ${stackCpu.wallSeconds.toFixed(1)} s`,
    );
  }
  const warnings = Object.entries(logs.byLevel).filter(([level]) => !['INFO', 'DEBUG', 'TRACE'].includes(level));
  if (warnings.length > 0) {
    lines.push(`[simulate] the functions logged ${warnings.map(([level, count]) => `${count} ${level}`).join(', ')} in the measured window; the first:`);
    for (const problem of problems.slice(0, 5)) {
      lines.push(`  ${problem.level} ${problem.functionName}: ${problem.message}${problem.error ? ` (${problem.error.slice(0, 200)})` : ''}`);
    }
  }
  return lines;
}
