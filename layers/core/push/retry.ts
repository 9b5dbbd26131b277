import type { PushError } from './push-error';

/**
 * The AWS SDK's standard retry strategy (@smithy/util-retry), for one
 * client: at most `maxAttempts` attempts in all; before retry i (0-based) a
 * full-jitter pause of random() x min(base x 2^i, 20 s), with base 100 ms
 * (500 ms after throttling); and a retry quota shared by all requests of the
 * client (500 tokens, a retry costs 5 and a retry after a timeout 10, a
 * success returns what its retries took or 1), so a failing endpoint stops
 * getting retries instead of getting three times the traffic.
 */
export interface RetryOptions {
  maxAttempts: number;
  baseDelayMs: number;
  throttlingBaseDelayMs: number;
  maxDelayMs: number;
  random: () => number;
}

export const STANDARD_RETRY: RetryOptions = {
  maxAttempts: 3,
  baseDelayMs: 100,
  throttlingBaseDelayMs: 500,
  maxDelayMs: 20_000,
  random: Math.random,
};

const INITIAL_RETRY_TOKENS = 500;
const RETRY_COST = 5;
const TIMEOUT_RETRY_COST = 10;
const NO_RETRY_INCREMENT = 1;

export class RetryStrategy {
  private capacity = INITIAL_RETRY_TOKENS;

  constructor(readonly options: RetryOptions = STANDARD_RETRY) {}

  /**
   * The pause before the next attempt after `attempt` attempts failed with
   * `error`, taking its cost from the quota; undefined when there is no
   * next attempt (not retryable, out of attempts, or out of quota).
   */
  retryDelay(attempt: number, error: PushError): { delayMs: number; cost: number } | undefined {
    if (!error.retryable || attempt >= this.options.maxAttempts) return undefined;
    const cost = error.timeout ? TIMEOUT_RETRY_COST : RETRY_COST;
    if (this.capacity < cost) return undefined;
    this.capacity -= cost;
    const base = error.throttling ? this.options.throttlingBaseDelayMs : this.options.baseDelayMs;
    const delayMs = Math.floor(this.options.random() * Math.min(base * 2 ** (attempt - 1), this.options.maxDelayMs));
    return { delayMs, cost };
  }

  /** A request succeeded: it gives back what its retries took, or 1 when it needed none. */
  recordSuccess(retryCost: number): void {
    this.capacity = Math.min(INITIAL_RETRY_TOKENS, this.capacity + (retryCost > 0 ? retryCost : NO_RETRY_INCREMENT));
  }

  get remainingCapacity(): number {
    return this.capacity;
  }
}
