/**
 * How many custom metrics the functions emit in a month: each metric name with the service dimension,
 * and the two metrics emitted with an extra dimension counted once per value they take.
 */
import { Metric } from '../layers/core/metrics';

/** Metrics emitted only with an extra dimension (layers/core/metrics.ts countBy), and the values counted for each. */
export const DIMENSIONED_METRICS: Readonly<Record<string, readonly string[]>> = {
  // Dependency: the two dependencies that report errors.
  [Metric.DependencyErrors]: ['redis', 'postgres'],
  // Reason: the refusals the dashboard charts; the other reasons are published only in a month they occur.
  [Metric.AuthorizerRefusals]: ['expired', 'bad-signature', 'missing', 'wrong-audience'],
};

export function customMetricCount(): number {
  const names = Object.values(Metric);
  return names.reduce((count, name) => count + (DIMENSIONED_METRICS[name]?.length ?? 1), 0);
}
