import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * The one place metrics are configured: CloudWatch embedded metric format (EMF) lines on stdout, which
 * CloudWatch turns into metrics in the PresenceApi namespace (POWERTOOLS_METRICS_NAMESPACE), with the
 * service as their dimension. The handler builder publishes what an invocation recorded when it ends;
 * an invocation that recorded nothing prints nothing. POWERTOOLS_METRICS_DISABLED=true turns them off
 * (the local runtime and the benchmark do).
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'PresenceApi',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'presence-api',
});

/** Every metric the service emits (the template's alarms and dashboard use these names). */
export const Metric = {
  ColdStart: 'ColdStart',
  PushesSent: 'PushesSent',
  PushesGone: 'PushesGone',
  PushesFailed: 'PushesFailed',
  FanOutSize: 'FanOutSize',
  RateLimited: 'RateLimitedMessages',
  FloodClosed: 'FloodClosedConnections',
  DeferredUpdates: 'DeferredUpdates',
  AuthorizerRefusals: 'AuthorizerRefusals',
  DependencyErrors: 'DependencyErrors',
  /** Invocations answered 500: a bug, not an outage. */
  Failures: 'Failures',
  SweepBatches: 'SweepBatches',
  SweepUsersTimedOut: 'SweepUsersTimedOut',
  SweepDeferredFlushed: 'SweepDeferredFlushed',
  SweepBacklog: 'SweepBacklog',
  SweepBatchDuration: 'SweepBatchDuration',
} as const;
export type MetricName = (typeof Metric)[keyof typeof Metric];

export function count(name: MetricName, value = 1): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}

export function milliseconds(name: MetricName, value: number): void {
  metrics.addMetric(name, MetricUnit.Milliseconds, value);
}

/** A count with one extra dimension (a refusal's reason, a failing dependency), emitted at once as its own EMF line. */
export function countBy(name: MetricName, dimension: string, value: string): void {
  const single = metrics.singleMetric();
  single.addDimension(dimension, value);
  single.addMetric(name, MetricUnit.Count, 1);
}

/** A level (not a count) at the end of the invocation, e.g. a backlog. */
export function gauge(name: MetricName, value: number): void {
  metrics.addMetric(name, MetricUnit.Count, value);
}

/** Publishes what the invocation recorded; one that recorded nothing (most heartbeats) prints nothing. */
export function publishMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
