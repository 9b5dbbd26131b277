/**
 * What template.yaml fixes that the bill depends on: each function's memory and architecture, which
 * functions query PostgreSQL (they may read the password secret), the alarms and their metrics, the
 * dashboards, Lambda's own log level, and the defaults of the parameters that size the sweep and the shards.
 */
import path from 'node:path';
import { cfnMapping, loadTemplate, type CfnTemplate, type CfnValue } from '../template/cfn-yaml';
import { readFunctions } from '../template/functions';
import { resolvedString } from '../template/intrinsics';

export const REPO_ROOT = path.resolve(__dirname, '..');

export interface FunctionInventory {
  memoryMb: number;
  architecture: string;
  /** It may read the PostgreSQL password secret: it queries PostgreSQL. */
  usesPostgres: boolean;
}

export interface AlarmInventory {
  name: string;
  /** Metrics the alarm reads: 1 for a single-metric alarm, one per MetricStat of a metric-math alarm. */
  metrics: number;
}

export interface TemplateInventory {
  functions: Record<string, FunctionInventory>;
  alarms: AlarmInventory[];
  dashboards: number;
  statusShardCount: number;
  logRetentionDays: number;
  sweepScheduleExpression: string;
  /** Lambda's SystemLogLevel: at WARN it writes no START or REPORT line per invocation. */
  platformLogLevel: string;
}

function parameterDefault(template: CfnTemplate, name: string): CfnValue | undefined {
  return template.Parameters?.[name]?.Default;
}

/** A literal, or a Ref to a parameter, as its default. */
function defaultValue(template: CfnTemplate, value: CfnValue | undefined): CfnValue | undefined {
  const ref = cfnMapping(value).Ref;
  return typeof ref === 'string' ? parameterDefault(template, ref) : value;
}

function readsPasswordSecret(policies: CfnValue | undefined): boolean {
  return (
    Array.isArray(policies) && policies.some((policy) => Object.keys(cfnMapping(policy)).includes('AWSSecretsManagerGetSecretValuePolicy'))
  );
}

/** Alarm metrics: CloudWatch bills an alarm per metric it reads; a metric-math alarm reads each MetricStat. */
function alarmMetrics(properties: Record<string, CfnValue>): number {
  const metrics = properties.Metrics;
  if (!Array.isArray(metrics)) return 1;
  return metrics.filter((query) => cfnMapping(query).MetricStat !== undefined).length;
}

export function readInventory(templatePath = path.join(REPO_ROOT, 'template.yaml')): TemplateInventory {
  const template = loadTemplate(templatePath);
  const functions: Record<string, FunctionInventory> = {};
  for (const [logicalId, spec] of readFunctions(template, REPO_ROOT)) {
    functions[logicalId] = {
      memoryMb: spec.memoryMb,
      architecture: spec.architecture,
      usesPostgres: readsPasswordSecret(cfnMapping(template.Resources[logicalId]?.Properties).Policies),
    };
  }
  const alarms: AlarmInventory[] = [];
  let dashboards = 0;
  for (const [name, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::CloudWatch::Alarm') alarms.push({ name, metrics: alarmMetrics(cfnMapping(resource.Properties)) });
    if (resource.Type === 'AWS::CloudWatch::Dashboard') dashboards += 1;
  }
  return {
    functions,
    alarms,
    dashboards,
    statusShardCount: Number(parameterDefault(template, 'StatusShardCount') ?? 16),
    logRetentionDays: Number(parameterDefault(template, 'LogRetentionDays') ?? 30),
    // Lambda's default when the template sets none.
    platformLogLevel: resolvedString(defaultValue(template, cfnMapping(cfnMapping(template.Globals?.Function).LoggingConfig).SystemLogLevel) ?? 'INFO', 'SystemLogLevel'),
    sweepScheduleExpression: resolvedString(
      parameterDefault(template, 'SweepScheduleExpression') ?? 'rate(1 minute)',
      'SweepScheduleExpression Default',
    ),
  };
}

/** Runs a month of a `rate(...)` schedule expression makes; `null` for cron expressions (not modelled). */
export function scheduleRunsPerMonth(expression: string, hoursPerMonth: number): number | null {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!match) return null;
  const every = Number(match[1]);
  const unitHours = match[2]!.startsWith('minute') ? 1 / 60 : match[2]!.startsWith('hour') ? 1 : 24;
  return hoursPerMonth / (every * unitHours);
}
