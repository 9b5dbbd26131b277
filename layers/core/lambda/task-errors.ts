import type middy from '@middy/core';
import { ServiceUnavailableError } from '../errors';

/** Middy's own error when the task is about to run out of time. */
function isMiddyTimeout(error: unknown): boolean {
  return (
    error instanceof Error && error.name === 'TimeoutError' && (error.cause as { package?: string } | undefined)?.package === '@middy/core'
  );
}

/**
 * Step Functions tasks: errors stay errors (Step Functions records their name and retries or catches
 * them per the state machine); running out of time becomes an outage like any other, never a
 * different error name for the same condition.
 */
export function taskErrors(): middy.MiddlewareObj {
  return {
    onError: (request) => {
      if (isMiddyTimeout(request.error)) request.error = new ServiceUnavailableError('deadline', request.error);
    },
  };
}
