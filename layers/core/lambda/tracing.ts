import type middy from '@middy/core';
import type { Context } from 'aws-lambda';

/**
 * X-Ray tracing through Powertools Tracer, only when the stack turns it on (template parameter
 * EnableTracing sets POWERTOOLS_TRACE_ENABLED): the tracer and the X-Ray SDK are loaded only then,
 * so functions without tracing do not pay for them at cold start.
 */
export function withTracing<E, R>(handler: middy.MiddyfiedHandler<E, R, Error, Context>): middy.MiddyfiedHandler<E, R, Error, Context> {
  if (process.env.POWERTOOLS_TRACE_ENABLED !== 'true') return handler;
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand, see above */
  const { Tracer } = require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
  const { captureLambdaHandler } =
    require('@aws-lambda-powertools/tracer/middleware') as typeof import('@aws-lambda-powertools/tracer/middleware');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'presence-api' });
  handler.use(captureLambdaHandler(tracer) as never);
  return handler;
}
