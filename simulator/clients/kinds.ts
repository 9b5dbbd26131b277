/**
 * The client types a population is mixed from (`--mix legacy=0.7,subscribing=0.3`): `legacy` is
 * PageNow's extension as it exists; `subscribing` is a client on the reference client's protocol
 * (subscription levels, snapshots on subscribe, a negotiated heartbeat, renewal before the cap), its
 * socket held by a page or an offscreen document; `service-worker` is the same client held in a
 * Manifest V3 service worker, which needs a keep-alive.
 */
export const CLIENT_KINDS = ['legacy', 'subscribing', 'service-worker'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];
