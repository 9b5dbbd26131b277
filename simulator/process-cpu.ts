/**
 * CPU time used by the stack's process and its children (the private redis-server), from Linux's
 * /proc: the simulator reports how busy the stack was while it measured, so a saturated stack shows.
 * Elsewhere (no /proc) it reports nothing.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU seconds of one process, or undefined when it cannot be read. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: the fields after it start past its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

export interface CpuReading {
  stack: number;
  children: number;
}

/** CPU seconds of the process and of its live children, or undefined without /proc. */
export function readCpu(pid: number): CpuReading | undefined {
  const stack = processCpuSeconds(pid);
  if (stack === undefined) return undefined;
  const children = childrenOf(pid).reduce((sum, child) => sum + (processCpuSeconds(child) ?? 0), 0);
  return { stack, children };
}

/** CPU the stack used over a wall-clock span: its own process, and its redis-server. */
export interface StackCpu {
  stackSeconds: number;
  redisServerSeconds: number;
  wallSeconds: number;
}
