/** Wall and CPU time of one piece of work in a benchmark environment (bench/lambda-environment.ts, bench/original/environment.ts). */
import { performance } from 'node:perf_hooks';

export interface Timed {
  wallMs: number;
  cpuUs: number;
}

/** An error as one line: its name and message. */
export const errorText = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** Runs `work`, catching what it throws, and says how long it took on the wall and on the CPU. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value?: T; error?: string } & Timed> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let value: T | undefined;
  let error: string | undefined;
  try {
    value = await work();
  } catch (caught) {
    error = errorText(caught);
  }
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { value, error, wallMs, cpuUs: used.user + used.system };
}
