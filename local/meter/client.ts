/** Reads (or resets and reads) a running local stack's meter over its REST port: `npm run meter` and the simulator. */
import type { MeterSnapshot } from './snapshot';

export async function fetchMeter(restUrl: string, options: { reset?: boolean; timeoutMs: number }): Promise<MeterSnapshot> {
  const url = `${restUrl}/local/meter${options.reset ? '/reset' : ''}`;
  const method = options.reset ? 'POST' : 'GET';
  const response = await fetch(url, {
    method,
    ...(options.reset ? { headers: { 'Content-Type': 'application/json' }, body: '{}' } : {}),
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}${response.status === 404 ? ' (this stack has no meter)' : ''}`);
  return (await response.json()) as MeterSnapshot;
}
