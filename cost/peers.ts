/**
 * The same profile priced at the list prices of managed realtime services. Each peer is priced on the
 * traffic the measurement counted (publishes, deliveries, heartbeats where the peer needs them,
 * connection minutes, peak connections, monthly users), with the formula stated beside the figure.
 * Only the transport is priced: the friend graph, the privacy rule and the timeouts would still need a
 * backend of their own on every peer.
 */
import type { AssumptionValues } from './assumptions';
import type { MeasuredRun } from './measured';
import { PEER_PRICES, PUSHER_CHANNELS_PLANS, type Confirmation, type Price } from './prices';
import { connectedHoursPerMonth, type Profile } from './profiles';
import { firstTierUnitPrice, meteredUnits, packageCost } from './tiers';

export interface PeerTraffic {
  /** Page changes a user publishes in a month. */
  publishes: number;
  /** Presence heartbeats a user's connections send in a month. */
  heartbeats: number;
  /** Pushes the user's connections receive in a month (every kind but error frames and the gateway's replies). */
  deliveries: number;
  connects: number;
  connectionMinutes: number;
  /** Minutes the user is online (one channel per online user). */
  onlineMinutes: number;
  publishBytes: number;
  deliveryBytes: number;
  bytesOutGib: number;
}

export interface PeerScale {
  monthlyUsers: number;
  /** `null` when the volume needs a contract plan with no public price. */
  totalMonthly: number | null;
  perUser: number | null;
  plan: string;
}

export interface PeerResult {
  name: string;
  pricingPage: string;
  readOn: string;
  confirmation: Confirmation;
  formula: string;
  atScale: PeerScale[];
  notes: string[];
}

function rate(price: Price): number {
  return firstTierUnitPrice(price.tiers);
}

/** Conservative confirmation of several prices: the weakest one. */
function weakest(...prices: Price[]): Confirmation {
  const order: Confirmation[] = ['unconfirmed', 'secondary', 'transcription', 'official-example', 'official-page'];
  return order[Math.min(...prices.map((p) => order.indexOf(p.source.confirmation)))] ?? 'unconfirmed';
}

export function peerTraffic(measured: MeasuredRun, profile: Profile): PeerTraffic {
  const hours = connectedHoursPerMonth(profile);
  const perHour = (total: number) =>
    measured.simulated.connectedUserHours > 0 ? (total / measured.simulated.connectedUserHours) * hours : 0;
  const api = measured.perConnectedUserHour.apiGateway;
  const deliveriesTotal = Object.entries(measured.summary.pushesReceived)
    .filter(([type]) => type !== 'error' && type !== 'reply')
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    publishes: perHour(measured.summary.pageChanges),
    heartbeats: perHour(measured.summary.heartbeats),
    deliveries: perHour(deliveriesTotal),
    connects: api.connects * hours,
    connectionMinutes: api.connectionMinutes * hours,
    onlineMinutes: hours * 60,
    publishBytes: api.messagesIn > 0 ? api.bytesIn / api.messagesIn : 0,
    deliveryBytes: api.messagesOut > 0 ? api.bytesOut / api.messagesOut : 0,
    bytesOutGib: (api.bytesOut * hours) / 1024 ** 3,
  };
}

const round = (value: number, digits = 6) => Number(value.toFixed(digits));

function scale(users: number, totalMonthly: number | null, plan: string): PeerScale {
  return {
    monthlyUsers: users,
    totalMonthly: totalMonthly === null ? null : round(totalMonthly, 2),
    perUser: totalMonthly === null ? null : round(totalMonthly / users),
    plan,
  };
}

function pubnub(t: PeerTraffic, scales: readonly number[]): PeerResult {
  const p = PEER_PRICES;
  const replicated = t.publishes * meteredUnits(t.publishBytes, 2048);
  const edge = t.deliveries * meteredUnits(t.deliveryBytes, 2048) + t.heartbeats;
  const perUser = replicated * rate(p.pubnubReplicatedTransaction) + edge * rate(p.pubnubEdgeTransaction);
  return {
    name: 'PubNub (transaction pricing)',
    pricingPage: p.pubnubReplicatedTransaction.source.url,
    readOn: p.pubnubReplicatedTransaction.source.readOn,
    confirmation: weakest(p.pubnubReplicatedTransaction, p.pubnubEdgeTransaction, p.pubnubMonthlyPrepay),
    formula:
      'max($49 prepay, users x (publishes x ceil(publish bytes / 2 KB) x $0.000123 + (deliveries x ceil(push bytes / 2 KB) + presence heartbeats) x $0.000033))',
    atScale: scales.map((users) => scale(users, Math.max(rate(p.pubnubMonthlyPrepay), users * perUser), 'Launch and Grow ($49 prepay)')),
    notes: [
      "Subscribe long-polls that return no message are edge transactions too; they are not counted (in PubNub's favour).",
      "MAU-based plans exist; their prices were not confirmed from PubNub's own page, so they are not modelled.",
      'Volume discounts above 20M transactions are by contract and not applied.',
    ],
  };
}

function ably(t: PeerTraffic, a: AssumptionValues, profile: Profile, scales: readonly number[]): PeerResult {
  const p = PEER_PRICES;
  const perUser =
    (t.publishes + t.deliveries) * rate(p.ablyMessages) +
    t.connectionMinutes * rate(p.ablyConnectionMinutes) +
    t.onlineMinutes * rate(p.ablyChannelMinutes);
  return {
    name: 'Ably (resource-based: Standard/Pro package)',
    pricingPage: 'https://ably.com/pricing',
    readOn: p.ablyMessages.source.readOn,
    confirmation: weakest(p.ablyMessages, p.ablyConnectionMinutes, p.ablyChannelMinutes, p.ablyStandardPackage),
    formula:
      'package ($29 Standard up to 10,000 peak connections, $399 Pro up to 50,000) + users x ((publishes + deliveries) x $2.50/M + connection minutes x $1.00/M + channel minutes (one channel per online user) x $1.00/M)',
    atScale: scales.map((users) => {
      const peak = users * a.peakOnlineFraction * profile.connectionsPerOnlineUser;
      if (peak > 50_000) return scale(users, null, `Enterprise (over 50,000 peak connections: ${Math.round(peak)})`);
      const pkg = peak > 10_000 ? p.ablyProPackage : p.ablyStandardPackage;
      return scale(users, rate(pkg) + users * perUser, peak > 10_000 ? 'Pro' : 'Standard');
    }),
    notes: [
      'Presence is carried by the connection, so heartbeats are not messages on Ably.',
      'New Ably accounts are priced per monthly active user; those rates were not found in the stored pages, so only the resource-based packages are priced.',
      'Connection and channel minute rates are unconfirmed (see cost/prices.ts).',
    ],
  };
}

function pusher(t: PeerTraffic, a: AssumptionValues, profile: Profile, scales: readonly number[]): PeerResult {
  return {
    name: 'Pusher Channels',
    pricingPage: PEER_PRICES.pusherPlans.source.url,
    readOn: PEER_PRICES.pusherPlans.source.readOn,
    confirmation: PEER_PRICES.pusherPlans.source.confirmation,
    formula:
      'the cheapest plan whose concurrent connections >= peak connections and messages a day >= users x (publishes + deliveries) / 30',
    atScale: scales.map((users) => {
      const peak = users * a.peakOnlineFraction * profile.connectionsPerOnlineUser;
      const perDay = (users * (t.publishes + t.deliveries)) / profile.daysPerMonth;
      const plan = PUSHER_CHANNELS_PLANS.find((candidate) => candidate.connections >= peak && candidate.messagesPerDay >= perDay);
      if (!plan) return scale(users, null, `Enterprise (${Math.round(peak)} peak connections, ${Math.round(perDay)} messages a day)`);
      return scale(users, plan.usd, plan.name);
    }),
    notes: ['Presence channels carry presence; heartbeats are not messages.', 'The paid plan ladder is unconfirmed (see cost/prices.ts).'],
  };
}

function supabase(t: PeerTraffic, a: AssumptionValues, profile: Profile, scales: readonly number[]): PeerResult {
  const p = PEER_PRICES;
  return {
    name: 'Supabase Realtime (Pro plan)',
    pricingPage: p.supabaseMessagesPackage.source.url,
    readOn: p.supabaseMessagesPackage.source.readOn,
    confirmation: weakest(p.supabaseProPlan, p.supabaseMessagesPackage, p.supabasePeakConnectionsPackage),
    formula: '$25 + ceil((users x (publishes + deliveries) - 5M) / 1M) x $2.50 + ceil((peak connections - 500) / 1,000) x $10',
    atScale: scales.map((users) => {
      const peak = users * a.peakOnlineFraction * profile.connectionsPerOnlineUser;
      const messages = users * (t.publishes + t.deliveries);
      const total =
        rate(p.supabaseProPlan) +
        packageCost(messages, 5_000_000, 1_000_000, rate(p.supabaseMessagesPackage)) +
        packageCost(peak, 500, 1_000, rate(p.supabasePeakConnectionsPackage));
      return scale(users, total, peak > 10_000 ? 'Pro (needs a quota raise: 10,000 concurrent clients without spend cap)' : 'Pro');
    }),
    notes: [
      'A broadcast counts one message sent plus one per receiving client; Presence is built in, so heartbeats are not messages.',
      'Realtime quotas (Pro): 500 concurrent clients with the spend cap, 10,000 without; 2,500 messages/s; beyond, by support request.',
    ],
  };
}

function appsync(t: PeerTraffic, profile: Profile, scales: readonly number[]): PeerResult {
  const p = PEER_PRICES;
  const units = meteredUnits(t.deliveryBytes, 5 * 1024);
  // Per connect: the connection and one subscription to the user's inbox channel. The backend publishes
  // each push to the friend's inbox (one publish per friend, received on each of their connections).
  const operations =
    2 * t.connects +
    t.heartbeats +
    t.publishes * meteredUnits(t.publishBytes, 5 * 1024) +
    t.deliveries * units * (1 + 1 / profile.connectionsPerOnlineUser);
  const perUser =
    operations * rate(p.appsyncEventOperations) + t.connectionMinutes * rate(p.appsyncConnectionMinutes) + t.bytesOutGib * 0.09;
  return {
    name: 'AWS AppSync Events',
    pricingPage: p.appsyncEventOperations.source.url,
    readOn: p.appsyncEventOperations.source.readOn,
    confirmation: weakest(p.appsyncEventOperations, p.appsyncConnectionMinutes),
    formula:
      'users x ((2 x connects + heartbeats + publishes + deliveries x (1 + 1/connections per user)) x ceil(bytes / 5 KB) x $1.00/M + connection minutes x $0.08/M + GB out x $0.09)',
    atScale: scales.map((users) => scale(users, users * perUser, 'pay per use')),
    notes: [
      'AppSync Events has no presence: heartbeats are publishes, and the fan-out per friend graph stays in our backend (not priced here).',
      '5 KB metering and the us-east-1 operation price are unconfirmed (see cost/prices.ts).',
    ],
  };
}

export function pricePeers(
  measured: MeasuredRun,
  profile: Profile,
  assumptions: AssumptionValues,
  scales: readonly number[],
): PeerResult[] {
  const traffic = peerTraffic(measured, profile);
  return [
    pubnub(traffic, scales),
    ably(traffic, assumptions, profile, scales),
    pusher(traffic, assumptions, profile, scales),
    supabase(traffic, assumptions, profile, scales),
    appsync(traffic, profile, scales),
  ];
}
