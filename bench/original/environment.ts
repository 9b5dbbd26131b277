/**
 * One execution environment of the side-by-side harness (bench/original/run.ts), for either side: a
 * process of its own, forked with the function's environment, that loads one handler bundle and runs
 * one invocation at a time when told to, as Lambda runs them (or, for the throughput runs, keeps a
 * number of invocations in flight for a while). It is bundled by bench/original/build.ts and runs under
 * plain node: npm packages come only from the side's layer (NODE_PATH), as Lambda's /opt/nodejs does.
 *
 * After each request it writes END_OF_INVOCATION to stdout and stderr, then answers, so that the parent
 * counts what the handler wrote for that request (CloudWatch Logs ingestion in AWS).
 */
import { createRequire } from 'node:module';
import type { Context } from 'aws-lambda';
import { lambdaContext } from '../../local/lambda/context';
import { END_OF_INVOCATION } from '../lambda-protocol';
import { runLoad } from '../support';
import { eventFor, succeeded } from './events';
import { errorText, timed } from '../timed';
import type { EnvironmentReply, EnvironmentRequest } from './protocol';

type Handler = (event: unknown, context: Context) => Promise<unknown>;
type Init = Extract<EnvironmentRequest, { type: 'init' }>;

/** The outcome without a REST body (GET /presence's is kilobytes): its length instead. */
function outcomeOf(result: unknown): unknown {
  if (result && typeof result === 'object' && 'body' in result && typeof result.body === 'string') {
    const { body, ...rest } = result;
    return { ...rest, bodyBytes: Buffer.byteLength(body), ...(body.length <= 200 ? { body } : {}) };
  }
  return result;
}

function main(): void {
  let init: Init | undefined;
  let handler: Handler | undefined;
  const context = (): Context => {
    const { functionName, memoryMb, timeoutMs } = init!;
    return lambdaContext({ functionName, memoryMb, deadline: Date.now() + timeoutMs, logStreamName: 'bench' });
  };
  const endOfRequest = (reply: EnvironmentReply): void => {
    process.stdout.write(END_OF_INVOCATION);
    process.stderr.write(END_OF_INVOCATION);
    process.send?.(reply);
  };

  const handle = async (request: EnvironmentRequest): Promise<void> => {
    switch (request.type) {
      case 'init': {
        init = request;
        // Resolved as the handler resolves its own packages: next to it, then the layer (NODE_PATH).
        const requireFromHandler = createRequire(request.handlerFile);
        if (request.awsSdkConfig) {
          const sdk = requireFromHandler('aws-sdk') as { config: { update(options: Record<string, unknown>): void } };
          sdk.config.update(request.awsSdkConfig);
        }
        const t0 = performance.now();
        const loaded = requireFromHandler(request.handlerFile) as Record<string, Handler | undefined>;
        const loadMs = performance.now() - t0;
        handler = loaded[request.exportName];
        if (!handler) throw new Error(`${request.handlerFile} exports no ${request.exportName}`);
        endOfRequest({ type: 'ready', loadMs });
        return;
      }
      case 'invoke': {
        const { side, path, kit, sweep } = init!;
        const event = eventFor(path, side, kit, request.subject, request.seq, sweep);
        const run = await timed(() => handler!(event, context()));
        endOfRequest({ type: 'invoked', outcome: outcomeOf(run.value), error: run.error, wallMs: run.wallMs, cpuUs: run.cpuUs });
        return;
      }
      case 'load': {
        const { side, path, kit } = init!;
        const { subjects, offset, concurrency, durationMs } = request;
        let firstError: string | undefined;
        const run = await timed(() =>
          runLoad({ concurrency, durationMs }, async (_worker, seq) => {
            const subject = subjects[(offset + seq) % subjects.length]!;
            try {
              const outcome = await handler!(eventFor(path, side, kit, subject, offset + seq), context());
              const ok = succeeded(path, side, outcome);
              if (!ok) firstError ??= `answered ${JSON.stringify(outcomeOf(outcome)).slice(0, 300)}`;
              return ok;
            } catch (error) {
              firstError ??= `threw ${errorText(error)}`;
              return false;
            }
          }),
        );
        const result = run.value?.run;
        endOfRequest({
          type: 'loaded',
          ops: result?.ops ?? 0,
          errors: result?.errors ?? 0,
          firstError: firstError ?? run.error,
          wallMs: run.wallMs,
          cpuUs: run.cpuUs,
        });
        return;
      }
      case 'close':
        process.exit(0);
    }
  };

  process.on('message', (request: EnvironmentRequest) => {
    handle(request).catch((error: unknown) =>
      process.send?.({
        type: 'failed',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies EnvironmentReply),
    );
  });
  // The parent died or was interrupted: never outlive it.
  process.on('disconnect', () => process.exit(0));
}

main();
