/**
 * The default quotas the capacity plan measures load against, each with the AWS page that states it.
 * A quota an account can raise names how (Service Quotas code or the setting that moves it).
 */
import { READ_ON } from './prices';

export interface Quota {
  value: number;
  unit: string;
  url: string;
  readOn: string;
  /** How to move it: a quota increase (with its Service Quotas code) or a setting; `null` when it cannot be raised. */
  raise: string | null;
  evidence: string;
}

export const QUOTAS = {
  apiGatewayAccountRps: {
    value: 10_000,
    unit: 'requests/s per account and Region, shared by REST, HTTP, WebSocket APIs and @connections callbacks',
    url: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html',
    readOn: READ_ON,
    raise: 'request an increase of "Throttle quota per account, per Region" (Service Quotas L-8A5B8E43)',
    evidence:
      '"Throttle quota per account, per Region across HTTP APIs, REST APIs, WebSocket APIs, and WebSocket callback APIs: 10,000 requests per second (RPS)... maximum bucket capacity of 5,000 requests". Can be increased: yes.',
  },
  apiGatewayAccountBurst: {
    value: 5_000,
    unit: 'requests (token bucket capacity)',
    url: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html',
    readOn: READ_ON,
    raise: null,
    evidence:
      '"The burst quota is determined by the API Gateway service team based on the overall RPS quota... not a quota that a customer can control".',
  },
  websocketNewConnectionsPerSecond: {
    value: 500,
    unit: 'new WebSocket connections/s per account and Region (all WebSocket APIs)',
    url: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html',
    readOn: READ_ON,
    raise: 'request an increase of "New connections per second" (Service Quotas L-9ED1E49A)',
    evidence: '"New connections per second per account (across all WebSocket APIs) per Region: 500. Can be increased: Yes".',
  },
  websocketConnectionDurationSeconds: {
    value: 7_200,
    unit: 'seconds a WebSocket connection may last',
    url: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html',
    readOn: READ_ON,
    raise: null,
    evidence: '"Connection duration for WebSocket API: 2 hours. No"; "Idle Connection Timeout: 10 minutes"; "WebSocket frame size: 32 KB".',
  },
  lambdaConcurrentExecutions: {
    value: 1_000,
    unit: 'concurrent executions per account and Region (all functions)',
    url: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
    readOn: READ_ON,
    raise: 'request an increase of "Concurrent executions" in Service Quotas (new accounts start lower)',
    evidence: '"Concurrent executions: 1,000. Can be increased up to: Tens of thousands".',
  },
  lambdaRequestsPerSecondPerEnvironment: {
    value: 10,
    unit: 'invocations/s one execution environment serves (so the account serves 10 x its concurrency quota)',
    url: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
    readOn: READ_ON,
    raise: 'raises with the concurrency quota (10 x concurrent executions)',
    evidence:
      '"Each instance of your execution environment can serve up to 10 requests per second" (quota page, as transcribed); the concurrency guide: the account RPS limit is 10 times its concurrency.',
  },
  lambdaScalingPerTenSeconds: {
    value: 1_000,
    unit: 'additional execution environments per function every 10 s',
    url: 'https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html',
    readOn: READ_ON,
    raise: null,
    evidence:
      '"For each function, your concurrency scaling rate is 1,000 execution environment instances every 10 seconds (or 10,000 requests per second every 10 seconds)".',
  },
  elastiCacheServerlessMaxEcpuPerSecond: {
    value: 15_000_000,
    unit: 'ECPU/s, the highest ECPUPerSecond maximum a serverless cache accepts',
    url: 'https://docs.aws.amazon.com/cdk/api/v2/docs/@aws-cdk_aws-elasticache-alpha.CacheUsageLimitsProperty.html',
    readOn: READ_ON,
    raise: null,
    evidence:
      '"Maximum request rate limit (15000000 ECPUs per second)"; ElastiCache Serverless scales out by adding shards and moving slots.',
  },
  elastiCacheServerlessMaxClients: {
    value: 65_000,
    unit: 'client connections to one serverless cache',
    url: 'https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/RedisConfiguration.html',
    readOn: READ_ON,
    raise: null,
    evidence:
      'Serverless caches: "maxclients 65000: The maximum number of clients that can be connected at one time". One Lambda environment holds one Redis connection.',
  },
} satisfies Record<string, Quota>;
