/**
 * The arithmetic every price needs: volume tiers applied to a month's aggregate quantity, metering in
 * fixed size steps (API Gateway's 32 KB messages, PubNub's 2 KB transactions, AppSync's 5 KB
 * operations), duration rounding, and package pricing (whole packages of N units).
 */

/** One band of a tiered price: units up to `upTo` (cumulative, Infinity for the last) cost `usd` per `per` units. */
export interface Tier {
  upTo: number;
  usd: number;
  per: number;
}

/** Cost of `quantity` units under volume tiers; each tier prices only the units that fall inside it. */
export function tieredCost(quantity: number, tiers: readonly Tier[]): number {
  if (!(quantity >= 0)) throw new RangeError(`tieredCost: quantity must be >= 0, got ${quantity}`);
  let cost = 0;
  let floor = 0;
  for (const tier of tiers) {
    if (quantity <= floor) break;
    const inTier = Math.min(quantity, tier.upTo) - floor;
    cost += (inTier * tier.usd) / tier.per;
    floor = tier.upTo;
  }
  if (quantity > floor) throw new RangeError(`tieredCost: tiers end at ${floor} units, quantity is ${quantity}`);
  return cost;
}

/** The first tier's price per single unit: the marginal price of a small deployment. */
export function firstTierUnitPrice(tiers: readonly Tier[]): number {
  const first = tiers[0];
  if (!first) throw new RangeError('firstTierUnitPrice: no tiers');
  return first.usd / first.per;
}

/** Billed units of one payload metered in `stepBytes` steps: at least one, and a started step counts whole. */
export function meteredUnits(bytes: number, stepBytes: number): number {
  if (!(bytes >= 0) || !(stepBytes > 0)) throw new RangeError(`meteredUnits: bad arguments ${bytes}, ${stepBytes}`);
  return Math.max(1, Math.ceil(bytes / stepBytes));
}

/** API Gateway WebSocket messages are metered in 32 KB steps: a 33 KB frame is two messages. */
export const WEBSOCKET_METERING_BYTES = 32 * 1024;

export function websocketMessages(frameBytes: number): number {
  return meteredUnits(frameBytes, WEBSOCKET_METERING_BYTES);
}

/** A duration rounded up to the billing increment (Lambda: 1 ms; Step Functions Express: 100 ms). */
export function roundUpTo(value: number, increment: number): number {
  if (!(increment > 0)) throw new RangeError(`roundUpTo: increment must be > 0, got ${increment}`);
  return value > 0 ? Math.ceil(value / increment - 1e-9) * increment : 0;
}

/** Package pricing (Supabase): usage above the included quota is billed in whole packages. */
export function packageCost(quantity: number, included: number, packageSize: number, usdPerPackage: number): number {
  const over = Math.max(0, quantity - included);
  return over > 0 ? Math.ceil(over / packageSize - 1e-9) * usdPerPackage : 0;
}
