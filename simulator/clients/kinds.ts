/**
 * The client types a population is mixed from (`--mix legacy=0.7,subscribing=0.3`). Only `legacy`
 * (PageNow's extension) is simulated today; `subscribing` and `service-worker` arrive with the
 * protocol they use (subscription levels, keep-alive, negotiated heartbeats) and are refused until then.
 */
export const CLIENT_KINDS = ['legacy', 'subscribing', 'service-worker'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

export const IMPLEMENTED_CLIENT_KINDS: readonly ClientKind[] = ['legacy'];
