/**
 * Every list price the cost model uses, with the page it comes from and the date it was read.
 *
 * Prices are us-east-1 list prices in USD, without free tiers or discounts (Savings Plans, EDPs).
 * `confirmation` says how firmly each figure is sourced:
 *   - official-page:    the number is in the text of the provider's own page or documentation;
 *   - official-example: the number is in a worked example on the provider's own page or blog;
 *   - transcription:    AWS's pricing pages render their tables from the Price List API, so the stored
 *                       copies show no numbers; the figure is from transcriptions of the Price List API
 *                       (the offer file named in `priceList`) found in public repositories and notes;
 *   - secondary:        a third-party page states it; not seen on the provider's own page;
 *   - unconfirmed:      no source read here states it; it is kept so the model is complete and flagged
 *                       in the output and in docs/COST.md.
 * Pages were read from the stored copies served by the project's search tool on READ_ON; a stored copy
 * may be older than that date. Re-check a price on its page before relying on it.
 */
import type { Tier } from './tiers';

export const READ_ON = '2026-12-07';

export type Confirmation = 'official-page' | 'official-example' | 'transcription' | 'secondary' | 'unconfirmed';

export interface PriceSource {
  url: string;
  readOn: string;
  confirmation: Confirmation;
  /** What was seen where, in a line or two. */
  evidence: string;
  /** The AWS Price List API offer file that holds the figure, where one exists. */
  priceList?: string;
}

export interface Price {
  /** What one unit is (the unit tiers are counted in). */
  unit: string;
  tiers: readonly Tier[];
  source: PriceSource;
  note?: string;
}

const INF = Number.POSITIVE_INFINITY;
const M = 1_000_000;
const OFFER = (service: string) => `https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/${service}/current/us-east-1/index.json`;

function flat(unit: string, usd: number, per: number, source: PriceSource, note?: string): Price {
  return { unit, tiers: [{ upTo: INF, usd, per }], source, ...(note ? { note } : {}) };
}

const apiGatewayPage = 'https://aws.amazon.com/api-gateway/pricing/';

/** AWS prices of the services the stack uses, us-east-1. */
export const AWS_US_EAST_1 = {
  apiGatewayWebSocketMessages: {
    unit: 'message (each 32 KB step of a frame, sent or received; @connections posts count as sent)',
    tiers: [
      { upTo: 1_000 * M, usd: 1.0, per: M },
      { upTo: INF, usd: 0.8, per: M },
    ],
    source: {
      url: apiGatewayPage,
      readOn: READ_ON,
      confirmation: 'transcription',
      evidence:
        '$1.00 per million in the page\'s WebSocket pricing example (harvested verbatim by api-evangelist); "Messages are metered in 32KB increments, so a 33KB message is metered as two messages" in the page\'s text (also in its Chinese edition). The $0.80 tier over 1 billion is from Price List transcriptions (usage type USE1-ApiGatewayMessage).',
      priceList: OFFER('AmazonApiGateway'),
    },
  },
  apiGatewayConnectionMinutes: flat('connection-minute', 0.25, M, {
    url: apiGatewayPage,
    readOn: READ_ON,
    confirmation: 'official-example',
    evidence:
      '"0.25 (cost per million)" connection minutes in the page\'s WebSocket example, as harvested verbatim from the page by api-evangelist (amazon-web-services plans, 2026-09-20); USE1-ApiGatewayMinute in Price List transcriptions.',
    priceList: OFFER('AmazonApiGateway'),
  }),
  apiGatewayRestRequests: {
    unit: 'REST API request',
    tiers: [
      { upTo: 333 * M, usd: 3.5, per: M },
      { upTo: 1_000 * M, usd: 2.8, per: M },
      { upTo: 20_000 * M, usd: 2.38, per: M },
      { upTo: INF, usd: 1.51, per: M },
    ],
    source: {
      url: apiGatewayPage,
      readOn: READ_ON,
      confirmation: 'official-example',
      evidence:
        "The page's REST example, as harvested verbatim by api-evangelist: $3.50/million, then $2.80/million for the next 667 million and $2.38/million for the next 19 billion. The $1.51 tier over 20 billion is from Price List transcriptions (USE1-ApiGatewayRequest).",
      priceList: OFFER('AmazonApiGateway'),
    },
  },
  lambdaRequests: flat('invocation', 0.2, M, {
    url: 'https://aws.amazon.com/lambda/pricing/',
    readOn: READ_ON,
    confirmation: 'transcription',
    evidence: '$0.20 per 1M requests, the same for x86 and Arm, in Price List transcriptions (the page renders its table dynamically).',
    priceList: OFFER('AWSLambda'),
  }),
  lambdaArmGbSeconds: {
    unit: 'GB-second of arm64 duration (billed duration rounded up to 1 ms x memory; INIT included since 2025-08-01)',
    tiers: [
      { upTo: 7_500 * M, usd: 0.0000133334, per: 1 },
      { upTo: 18_750 * M, usd: 0.0000120001, per: 1 },
      { upTo: INF, usd: 0.0000106667, per: 1 },
    ],
    source: {
      url: 'https://aws.amazon.com/lambda/pricing/',
      readOn: READ_ON,
      confirmation: 'transcription',
      evidence:
        'Arm: first 7.5 billion GB-s $0.0000133334, next 11.25 billion $0.0000120001, over 18.75 billion $0.0000106667 (Price List transcriptions); the tier bounds are those of the AWS Compute Blog post "Introducing tiered pricing for AWS Lambda".',
      priceList: OFFER('AWSLambda'),
    },
    note: 'The INIT phase of managed-runtime ZIP functions is billed since 2025-08-01: https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/',
  },
  stepFunctionsExpressRequests: flat('Express execution started', 1.0, M, {
    url: 'https://aws.amazon.com/step-functions/pricing/',
    readOn: READ_ON,
    confirmation: 'official-example',
    evidence: '"The price is $1.00 per million requests" in the page\'s Express pricing example.',
  }),
  stepFunctionsExpressGbSeconds: {
    unit: 'GB-second of Express duration (memory in 64 MB chunks, duration rounded up to 100 ms)',
    tiers: [
      { upTo: 1_000 * 3600, usd: 0.06, per: 3600 },
      { upTo: 5_000 * 3600, usd: 0.03, per: 3600 },
      { upTo: INF, usd: 0.01642, per: 3600 },
    ],
    source: {
      url: 'https://aws.amazon.com/step-functions/pricing/',
      readOn: READ_ON,
      confirmation: 'official-example',
      evidence:
        'The page\'s example: $0.06000 per GB-hour for 1,000 GB-hours, $0.03000 for 4,000 GB-hours, $0.01642 beyond; "rounded up to the nearest 100ms ... billed in 64-MB chunks"; memory = 50 MB + definition + execution data.',
    },
  },
  elastiCacheValkeyEcpu: flat('ECPU (Valkey, serverless)', 0.0023, M, {
    url: 'https://aws.amazon.com/elasticache/pricing/',
    readOn: READ_ON,
    confirmation: 'transcription',
    evidence:
      'ElastiCache Serverless Valkey ECPU $0.0000000023 ($0.0023/M) in an offer-file transcription; the same on third-party pages, which round it.',
    priceList: OFFER('AmazonElastiCache'),
  }),
  elastiCacheValkeyStorage: flat('GB-hour of data stored (Valkey, serverless; at least 100 MB is billed)', 0.084, 1, {
    url: 'https://aws.amazon.com/elasticache/pricing/',
    readOn: READ_ON,
    confirmation: 'transcription',
    evidence: 'Valkey GB-hour $0.084 and minimum billed storage 100 MB in an offer-file transcription; usage.ai states the same.',
    priceList: OFFER('AmazonElastiCache'),
  }),
  elastiCacheRedisEcpu: flat('ECPU (Redis OSS, serverless)', 0.0034, M, {
    url: 'https://aws.amazon.com/elasticache/pricing/',
    readOn: READ_ON,
    confirmation: 'secondary',
    evidence:
      "$0.0034 per million ECPUs (Redis OSS and Memcached) on gomomento.com, c3x.dev and usage.ai, the last citing the AWS Database Blog's worked example (https://aws.amazon.com/blogs/database/unlock-on-demand-cost-optimized-performance-with-amazon-elasticache-serverless/), whose stored excerpt did not show the figure.",
    priceList: OFFER('AmazonElastiCache'),
  }),
  elastiCacheRedisStorage: flat('GB-hour of data stored (Redis OSS, serverless; at least 1 GB is billed)', 0.125, 1, {
    url: 'https://aws.amazon.com/elasticache/pricing/',
    readOn: READ_ON,
    confirmation: 'secondary',
    evidence:
      '$0.125 per GB-hour on gomomento.com, c3x.dev and usage.ai; "ElastiCache Serverless always meters for a minimum of 1 GB storage on every cache" in the AWS Database Blog post\'s text.',
    priceList: OFFER('AmazonElastiCache'),
  }),
  cloudWatchLogsLambdaIngestion: {
    unit: 'GB of Lambda logs ingested into CloudWatch Logs (Standard class)',
    tiers: [
      { upTo: 10_000, usd: 0.5, per: 1 },
      { upTo: 30_000, usd: 0.25, per: 1 },
      { upTo: 50_000, usd: 0.1, per: 1 },
      { upTo: INF, usd: 0.05, per: 1 },
    ],
    source: {
      url: 'https://aws.amazon.com/blogs/compute/aws-lambda-introduces-tiered-pricing-for-amazon-cloudwatch-logs-and-additional-logging-destinations/',
      readOn: READ_ON,
      confirmation: 'secondary',
      evidence:
        "Tiers $0.50 (first 10 TB), $0.25 (next 20 TB), $0.10 (next 20 TB), $0.05 (over 50 TB) per GB, as transcribed from this AWS post; The Duckbill Group's example (60 TB: $30,000 flat becomes $12,500) matches them.",
    },
  },
  cloudWatchLogsStorage: flat('GB-month of logs stored', 0.03, 1, {
    url: 'https://aws.amazon.com/cloudwatch/pricing/',
    readOn: READ_ON,
    confirmation: 'secondary',
    evidence: '"$0.03 per GB per month for this archival storage in us-east-1" (hykell.com); the AWS page renders its table dynamically.',
  }),
  cloudWatchCustomMetrics: {
    unit: 'custom metric-month (prorated by the hour)',
    tiers: [{ upTo: 10_000, usd: 0.3, per: 1 }],
    source: {
      url: 'https://aws.amazon.com/cloudwatch/pricing/',
      readOn: READ_ON,
      confirmation: 'secondary',
      evidence:
        '"$0.30/month for the first 10,000" custom metrics (signoz.io, cloudburn.io). Further tiers are not recorded: the stack emits a few dozen metrics.',
    },
  },
  cloudWatchAlarmMetrics: flat('standard-resolution alarm metric-month', 0.1, 1, {
    url: 'https://aws.amazon.com/cloudwatch/pricing/',
    readOn: READ_ON,
    confirmation: 'secondary',
    evidence:
      '"$0.10/alarm-month for standard resolution" (c3x.dev). That a metric-math alarm is billed per metric it reads is the issue\'s statement; no stored copy confirmed it (unconfirmed rule).',
  }),
  cloudWatchDashboards: flat('dashboard-month', 3.0, 1, {
    url: 'https://aws.amazon.com/cloudwatch/pricing/',
    readOn: READ_ON,
    confirmation: 'secondary',
    evidence: '"dashboards at $3 each" (factualminds.com, 2026).',
  }),
  natGatewayHours: flat('NAT gateway-hour', 0.045, 1, {
    url: 'https://aws.amazon.com/vpc/pricing/',
    readOn: READ_ON,
    confirmation: 'secondary',
    evidence: '$0.045 per NAT gateway-hour in us-east-1 (basavytix.com, cloudburn.io, rajesh.medampudi.com agree).',
  }),
  natGatewayDataProcessed: flat('GB processed by a NAT gateway (either direction)', 0.045, 1, {
    url: 'https://aws.amazon.com/vpc/pricing/',
    readOn: READ_ON,
    confirmation: 'secondary',
    evidence: '$0.045 per GB processed, both directions, in us-east-1 (same pages).',
  }),
  publicIpv4Hours: flat('public IPv4 address-hour (one per NAT gateway)', 0.005, 1, {
    url: 'https://aws.amazon.com/vpc/pricing/',
    readOn: READ_ON,
    confirmation: 'secondary',
    evidence: '"Public IPv4 address costs ($0.005/hour per IP)" (cloudburn.io NAT gateway guide).',
  }),
  dataTransferOut: {
    unit: 'GB out to the internet (API Gateway responses and frames)',
    tiers: [
      { upTo: 10_000, usd: 0.09, per: 1 },
      { upTo: 50_000, usd: 0.085, per: 1 },
      { upTo: 150_000, usd: 0.07, per: 1 },
      { upTo: INF, usd: 0.05, per: 1 },
    ],
    source: {
      url: 'https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer',
      readOn: READ_ON,
      confirmation: 'transcription',
      evidence:
        'First 10 TB $0.09, next 40 TB $0.085, next 100 TB $0.07, over 150 TB $0.05 per GB in two independent Price List transcriptions (AWSDataTransfer). The always-free first 100 GB a month is not applied.',
      priceList: 'https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AWSDataTransfer/current/index.json',
    },
  },
  secretsManagerSecrets: flat('secret-month', 0.4, 1, {
    url: 'https://aws.amazon.com/secrets-manager/pricing/',
    readOn: READ_ON,
    confirmation: 'secondary',
    evidence: '"$0.40 per secret per month + $0.05 per 10k API calls" (hivebook.wiki).',
  }),
  secretsManagerApiCalls: flat('Secrets Manager API call', 0.05, 10_000, {
    url: 'https://aws.amazon.com/secrets-manager/pricing/',
    readOn: READ_ON,
    confirmation: 'secondary',
    evidence: '$0.05 per 10,000 API calls (same page).',
  }),
  eventBridgeSchedulerInvocations: {
    unit: 'scheduled invocation',
    tiers: [
      { upTo: 14 * M, usd: 0, per: M },
      { upTo: INF, usd: 1.0, per: M },
    ],
    source: {
      url: 'https://aws.amazon.com/eventbridge/pricing/',
      readOn: READ_ON,
      confirmation: 'secondary',
      evidence:
        'Scheduler: 14M invocations a month at $0, then $1.00 per million (cloudburn.io, 2026); the Price List rows read "$0 for the first 14 million scheduled invocations".',
      priceList: OFFER('AWSEvents'),
    },
  },
} satisfies Record<string, Price>;

/** Billing rules that go with the prices above (their sources are those prices'). */
export const BILLING_RULES = {
  /** ElastiCache Serverless bills at least this much data stored per cache, by engine. */
  elastiCacheMinimumGb: { valkey: 0.1, 'redis-oss': 1 },
  /** Step Functions Express: memory in 64 MB chunks, duration rounded up to 100 ms. */
  expressMemoryChunkMb: 64,
  expressDurationStepMs: 100,
} as const;

export type AwsPrices = typeof AWS_US_EAST_1;
export type AwsPriceName = keyof AwsPrices;

/** Prices of the managed realtime services the model compares with, as their pages state them. */
export const PEER_PRICES = {
  pubnubReplicatedTransaction: flat('replicated transaction (a publish), per 2 KB of payload', 0.000123, 1, {
    url: 'https://www.pubnub.com/docs/general/resources/pricing',
    readOn: READ_ON,
    confirmation: 'official-page',
    evidence:
      'Transaction-based pricing table: Replicated Transaction $0.000123, Edge Transaction $0.000033; each transaction carries up to 2048 bytes, larger payloads count per 2 KB part.',
  }),
  pubnubEdgeTransaction: flat('edge transaction (a delivery to a subscriber, a presence heartbeat), per 2 KB', 0.000033, 1, {
    url: 'https://www.pubnub.com/docs/general/resources/pricing',
    readOn: READ_ON,
    confirmation: 'official-page',
    evidence: 'Edge Transaction $0.000033 ("receiving a published message via a Subscribe API call", pubnub.com/pricing).',
  }),
  pubnubMonthlyPrepay: flat('month (prepaid towards transactions)', 49, 1, {
    url: 'https://www.pubnub.com/pricing/',
    readOn: READ_ON,
    confirmation: 'official-page',
    evidence:
      '"$49/mo: $49 is a prepay toward your Transaction usage" (Launch and Grow); volume discounts above 20M transactions are by contract and not modelled.',
  }),
  ablyStandardPackage: flat('month (Standard package, up to 10,000 concurrent connections)', 29, 1, {
    url: 'https://ably.com/docs/platform/pricing/resource-based',
    readOn: READ_ON,
    confirmation: 'official-page',
    evidence: 'Standard $29, Pro $399 base package price; Standard 10,000 and Pro 50,000 concurrent connections and channels.',
  }),
  ablyProPackage: flat('month (Pro package, up to 50,000 concurrent connections)', 399, 1, {
    url: 'https://ably.com/docs/platform/pricing/resource-based',
    readOn: READ_ON,
    confirmation: 'official-page',
    evidence: 'Pro $399 base package price, 50,000 concurrent connections.',
  }),
  ablyMessages: flat('message (each publish and each delivery)', 2.5, M, {
    url: 'https://ably.com/pricing/calculator',
    readOn: READ_ON,
    confirmation: 'official-page',
    evidence:
      '"Over usage charges at $2.50 p/million messages"; "if a user publishes a message and 10 users receive it, that counts as 11 messages" (ably.com/docs/pricing).',
  }),
  ablyConnectionMinutes: flat('connection-minute', 1.0, M, {
    url: 'https://ably.com/pricing',
    readOn: READ_ON,
    confirmation: 'unconfirmed',
    evidence:
      '"$1.00 per million connection / channel minutes" only in api-evangelist/ably plans (a generated sweep, not harvested from Ably). Ably\'s own pages name the unit (per million minutes) without a figure in the stored copies.',
  }),
  ablyChannelMinutes: flat('channel-minute', 1.0, M, {
    url: 'https://ably.com/pricing',
    readOn: READ_ON,
    confirmation: 'unconfirmed',
    evidence: 'As for connection minutes.',
  }),
  supabaseProPlan: flat('month (Pro plan, includes 5M realtime messages and 500 peak connections)', 25, 1, {
    url: 'https://supabase.com/docs/guides/platform/manage-your-usage/realtime-messages',
    readOn: READ_ON,
    confirmation: 'official-example',
    evidence: 'Billing example: "Pro Plan $25"; Realtime Messages quota Pro 5 million, then $2.50 per 1 million (package pricing).',
  }),
  supabaseMessagesPackage: flat('package of 1,000,000 realtime messages over the quota', 2.5, 1, {
    url: 'https://supabase.com/docs/guides/platform/manage-your-usage/realtime-messages',
    readOn: READ_ON,
    confirmation: 'official-page',
    evidence:
      '"$2.50 per 1 million messages. You are only charged for usage exceeding your subscription plan\'s quota"; a broadcast counts 1 sent + 1 per receiving client.',
  }),
  supabasePeakConnectionsPackage: flat('package of 1,000 peak connections over the quota', 10, 1, {
    url: 'https://supabase.com/docs/guides/platform/manage-your-usage/realtime-peak-connections',
    readOn: READ_ON,
    confirmation: 'official-example',
    evidence:
      "Packages of 1,000 peak connections; the page's own example charges $10 per package (its price partial did not render in the stored copy). Pro includes 500 concurrent clients (realtime quotas page).",
  }),
  appsyncEventOperations: flat('Event API operation (connect, subscribe, each publish and each delivery)', 1.0, M, {
    url: 'https://aws.amazon.com/appsync/pricing/',
    readOn: READ_ON,
    confirmation: 'transcription',
    evidence:
      '"$1 per million Event API operations" in AWS Price List rows (the row seen is eu-west-1; us-east-1 is assumed the same). Metering in 5 KB steps is unconfirmed.',
    priceList: OFFER('AWSAppSync'),
  }),
  appsyncConnectionMinutes: flat('connection-minute', 0.08, M, {
    url: 'https://aws.amazon.com/appsync/pricing/',
    readOn: READ_ON,
    confirmation: 'unconfirmed',
    evidence:
      '"$0.08 per million connection-minutes" is in the page\'s real-time example for GraphQL APIs; that Event APIs are billed the same is not confirmed by a stored source.',
  }),
  pusherPlans: {
    unit: 'month (Channels plan chosen by peak concurrent connections and messages a day)',
    tiers: [{ upTo: INF, usd: 0, per: 1 }],
    source: {
      url: 'https://pusher.com/channels/pricing',
      readOn: READ_ON,
      confirmation: 'unconfirmed',
      evidence:
        "Sandbox (free, 100 connections, 200,000 messages a day) is in Pusher's support articles; the paid ladder (PUSHER_CHANNELS_PLANS) is from api-evangelist/pusher (a generated sweep, not harvested from Pusher). Messages = API requests + deliveries (pusher.com/legal/quotas).",
    },
  },
} satisfies Record<string, Price>;

/** Pusher Channels plans: monthly price, concurrent connections, messages a day (see pusherPlans.source). */
export const PUSHER_CHANNELS_PLANS: ReadonlyArray<{ name: string; usd: number; connections: number; messagesPerDay: number }> = [
  { name: 'Sandbox', usd: 0, connections: 100, messagesPerDay: 200_000 },
  { name: 'Startup', usd: 49, connections: 500, messagesPerDay: 1_000_000 },
  { name: 'Pro', usd: 99, connections: 2_000, messagesPerDay: 4_000_000 },
  { name: 'Business', usd: 299, connections: 5_000, messagesPerDay: 10_000_000 },
  { name: 'Premium', usd: 499, connections: 10_000, messagesPerDay: 20_000_000 },
  { name: 'Growth', usd: 699, connections: 15_000, messagesPerDay: 40_000_000 },
  { name: 'Plus', usd: 899, connections: 20_000, messagesPerDay: 60_000_000 },
  { name: 'Growth Plus', usd: 1_199, connections: 30_000, messagesPerDay: 90_000_000 },
];

export class UnsupportedRegionError extends Error {}

/** The AWS price table of a region, or one clear line saying why there is none. */
export function awsPricesFor(region: string): AwsPrices {
  if (region === 'us-east-1') return AWS_US_EAST_1;
  throw new UnsupportedRegionError(
    `no sourced prices for region "${region}": cost/prices.ts holds us-east-1 only (add the region's prices there, each with its page and date)`,
  );
}

/** Every price of the file, named, for listings and the sourcing test. */
export function allPrices(): Array<[string, Price]> {
  return [...Object.entries(AWS_US_EAST_1), ...Object.entries(PEER_PRICES)];
}
