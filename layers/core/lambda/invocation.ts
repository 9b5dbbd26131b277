import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ServiceUnavailableError, toPublicError } from '../errors';
import { logger } from '../logger';
import { count, countBy, Metric, publishMetrics } from '../metrics';

/** Fields a handler adds to its invocation's log line (pushes sent, a refusal's reason, …). */
export type InvocationFields = Record<string, unknown>;

/** What the log line of one kind of function says about its event and its answer. */
export interface InvocationDescriber<E, R> {
  /** The line's message, e.g. "websocket route". */
  message: string;
  describe(event: E, response: R | undefined): InvocationFields;
  /** Lines that say nothing worth reading at INFO (an idle sweep batch) go out at DEBUG. */
  quiet?(fields: InvocationFields): boolean;
}

/** Where an event carries its invocation's fields (a symbol: never part of what API Gateway sent). */
const FIELDS = Symbol('invocation fields');

interface Instrumented {
  [FIELDS]?: InvocationFields;
}

/** What the middleware keeps in middy's per-request `internal` object. */
interface Timing {
  startedAt?: number;
}

/** The fields of the invocation handling this event (a handler adds to them). */
export function invocationFields(event: unknown): InvocationFields {
  const carrier = event as Instrumented;
  return (carrier[FIELDS] ??= {});
}

/** Provisioned containers start before their first request: that request is no cold start. */
const PROVISIONED = process.env.AWS_LAMBDA_INITIALIZATION_TYPE === 'provisioned-concurrency';

/**
 * The one per-invocation middleware every function uses, inside Powertools' injectLambdaContext (which
 * puts the invocation's Lambda context on every log line and removes the keys added here when it ends):
 * this function's own cold start on every line, one log line per invocation (what it was, how it ended,
 * how long it took, and the handler's fields), the ColdStart and DependencyErrors metrics, and the
 * invocation's metrics published at its end.
 */
export function invocationLog<E, R>(describer: InvocationDescriber<E, R>): middy.MiddlewareObj<E, R, Error, Context> {
  let coldStart = !PROVISIONED;
  const finish = (request: middy.Request<E, R, Error, Context>): void => {
    const error = request.error;
    const startedAt = (request.internal as Timing).startedAt ?? performance.now();
    const durationMs = Math.round((performance.now() - startedAt) * 100) / 100;
    const line = {
      ...describer.describe(request.event, request.response ?? undefined),
      ...(request.event as Instrumented)[FIELDS],
      durationMs,
    };
    if (error instanceof ServiceUnavailableError) {
      countBy(Metric.DependencyErrors, 'Dependency', error.dependency);
      logger.warn(describer.message, { ...line, outcome: 'unavailable', dependency: error.dependency });
    } else if (error) {
      const { statusCode } = toPublicError(error);
      if (statusCode >= 500) {
        count(Metric.Failures);
        logger.error(describer.message, { ...line, outcome: 'failed', error });
      }
      // The handler's own reason (e.g. why a token was refused) says more than the error's message.
      else logger.info(describer.message, { outcome: 'refused', reason: error.message, ...line });
    } else if (describer.quiet?.(line)) logger.debug(describer.message, line);
    else logger.info(describer.message, line);
    publishMetrics();
  };
  return {
    before: (request) => {
      (request.internal as Timing).startedAt = performance.now();
      // Powertools counts one cold start per process; this is the function's own, also where one
      // process runs every function (the local runtime, tests).
      logger.appendKeys({ cold_start: coldStart });
      if (coldStart) count(Metric.ColdStart);
      coldStart = false;
    },
    after: finish,
    onError: finish,
  };
}
