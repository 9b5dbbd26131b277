/**
 * The thread `npm run invoke` runs its one function in. The thread has a stdout of its own, which the
 * command sends to stderr: the function's log lines (Powertools writes them to stdout) stay apart from
 * the result, which comes back as a message, as JSON text.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FunctionSpec } from '../../template';
import { closeHandlerRuntime, FunctionInvoker } from '../lambda/invoker';

export interface InvokeRequest {
  spec: FunctionSpec;
  event: unknown;
}

export type InvokeReply =
  | { ok: true; resultJson: string; durationMs: number }
  | { ok: false; errorType: string; errorMessage: string; durationMs: number };

async function run({ spec, event }: InvokeRequest): Promise<InvokeReply> {
  const invoker = new FunctionInvoker(new Map([[spec.logicalId, spec]]));
  const started = Date.now();
  try {
    const output = await invoker.invoke(spec, event);
    return { ok: true, resultJson: JSON.stringify(output ?? null, null, 2), durationMs: Date.now() - started };
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    return { ok: false, errorType: err.name, errorMessage: err.message, durationMs: Date.now() - started };
  } finally {
    await closeHandlerRuntime().catch(() => undefined);
  }
}

void run(workerData as InvokeRequest).then((reply) => parentPort?.postMessage(reply));
