/**
 * What a failed @connections call tells its caller: the HTTP status (when
 * API Gateway answered), the error code (API Gateway's x-amzn-ErrorType, or
 * the Node.js network error code), and whether retrying can help. The
 * classification follows the AWS SDK's standard retry strategy: throttling
 * (429 or a throttling code), transient statuses (500, 502, 503, 504), other
 * 5xx, timeouts and connection resets are retryable; every other 4xx is not.
 */
export class PushError extends Error {
  readonly status: number | undefined;
  readonly code: string;
  readonly retryable: boolean;
  /** Throttled: the SDK backs off from a larger base for these. */
  readonly throttling: boolean;
  /** No answer in time: the SDK charges a retry of these double against its retry quota. */
  readonly timeout: boolean;
  /** Attempts made before giving up (set by the client). */
  attempts = 1;

  constructor(
    message: string,
    options: { status?: number; code: string; retryable: boolean; throttling?: boolean; timeout?: boolean; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PushError';
    this.status = options.status;
    this.code = options.code;
    this.retryable = options.retryable;
    this.throttling = options.throttling ?? false;
    this.timeout = options.timeout ?? false;
  }
}

// The SDK's lists (@smithy/service-error-classification).
const THROTTLING_CODES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const TRANSIENT_CODES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// undici's own codes for a reset, closed or timed-out socket.
const UNDICI_TRANSIENT = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const TIMEOUTS = new Set(['TimeoutError', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** API Gateway answered with an error status; `errorType` is its x-amzn-ErrorType header (the part before any ':'). */
export function errorFromResponse(operation: string, status: number, errorType: string | undefined): PushError {
  const code = errorType?.split(':')[0]?.trim() || `Http${status}`;
  const throttling = status === 429 || THROTTLING_CODES.has(code);
  const retryable = throttling || status >= 500 || TRANSIENT_CODES.has(code);
  return new PushError(`${operation} failed: ${status} ${code}`, {
    status,
    code,
    retryable,
    throttling,
    timeout: TRANSIENT_CODES.has(code),
  });
}

/** The request never got an answer: reset, refused, timed out. */
export function errorFromTransport(operation: string, error: unknown): PushError {
  if (error instanceof PushError) return error;
  // A system or undici error's code, else the error's name (an AbortSignal's DOMException has a numeric code).
  const { code: rawCode, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  const code = typeof rawCode === 'string' ? rawCode : typeof name === 'string' ? name : 'Error';
  const retryable = NETWORK_CODES.has(code) || UNDICI_TRANSIENT.has(code) || TRANSIENT_CODES.has(code);
  const message = error instanceof Error ? error.message : String(error);
  return new PushError(`${operation} failed: ${code} ${message}`, { code, retryable, timeout: TIMEOUTS.has(code), cause: error });
}
