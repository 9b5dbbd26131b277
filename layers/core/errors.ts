/**
 * Typed errors carry the status code they map to. Only `expose`d messages
 * reach clients; anything else becomes a generic 500 with no details.
 */
export class PresenceError extends Error {
  readonly statusCode: number;
  readonly expose: boolean;

  constructor(statusCode: number, message: string, expose = statusCode < 500) {
    super(message);
    this.name = new.target.name;
    this.statusCode = statusCode;
    this.expose = expose;
  }
}

export class BadRequestError extends PresenceError {
  constructor(message: string) {
    super(400, message);
  }
}

export class UnauthorizedError extends PresenceError {
  constructor(message = 'Unauthorized') {
    super(401, message);
  }
}

export class ForbiddenError extends PresenceError {
  constructor(message = 'Forbidden') {
    super(403, message);
  }
}

export class NotFoundError extends PresenceError {
  constructor(message = 'Not found') {
    super(404, message);
  }
}

/** The connection that sent a message is not (or no longer) registered: the client must reconnect. */
export class StaleConnectionError extends PresenceError {
  constructor() {
    super(410, 'Connection is not registered; reconnect');
  }
}

/** What failed: a backing service, or the invocation's own time (it ran out waiting on one). */
export type Dependency = 'redis' | 'postgres' | 'deadline';

/**
 * A dependency failed or did not answer in time (an outage, not a bug): REST answers 503 with
 * Retry-After, WebSocket routes an error frame telling the client to retry. The cause is logged,
 * never sent.
 */
export class ServiceUnavailableError extends PresenceError {
  constructor(
    readonly dependency: Dependency,
    override readonly cause: unknown,
  ) {
    super(503, 'Service temporarily unavailable', true);
  }
}

/** The connection is over its message budget; `close` when it kept flooding and is being closed. */
export class RateLimitedError extends PresenceError {
  constructor(readonly close: boolean) {
    super(429, 'rate-limited');
  }
}

/**
 * Input from a caller that is not an HTTP client (a Step Functions task) is malformed. Not a
 * PresenceError: there is no status code to map it to; Step Functions sees its name.
 */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

export interface PublicError {
  statusCode: number;
  message: string;
}

export function toPublicError(error: unknown): PublicError {
  if (error instanceof PresenceError && error.expose) {
    return { statusCode: error.statusCode, message: error.message };
  }
  return { statusCode: 500, message: 'Internal server error' };
}
