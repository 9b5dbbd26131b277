/**
 * What template.yaml deploys a function with, at the parameters' defaults: its memory size, its
 * handler file and its environment (Globals plus its own variables). The Lambda-shaped benchmark
 * runs each function with exactly that environment, less the variables that name AWS
 * infrastructure, which it replaces with local stand-ins and lists as differences.
 */
import { join } from 'node:path';
import { loadTemplate, type CfnValue } from '../template/cfn-yaml';
import { INFRASTRUCTURE_VARIABLES } from '../template/environment';
import { readFunctions } from '../template/functions';
import { TemplateResolver } from '../template/intrinsics';

const TEMPLATE_PATH = join(__dirname, '..', 'template.yaml');

export interface TemplateFunction {
  logicalId: string;
  entryFile: string;
  exportName: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** The non-infrastructure variables at the parameters' defaults. */
  environment: Record<string, string>;
}

function variables(environment: unknown): Record<string, CfnValue> {
  return (environment as { Variables?: Record<string, CfnValue> } | undefined)?.Variables ?? {};
}

/** `parameters`: values for the template parameters that have no default and that a non-infrastructure variable reads. */
export function templateFunction(logicalId: string, parameters: Record<string, string | string[]>): TemplateFunction {
  const template = loadTemplate(TEMPLATE_PATH);
  const spec = readFunctions(template, join(TEMPLATE_PATH, '..')).get(logicalId);
  const resource = template.Resources[logicalId];
  if (!spec || !resource) throw new Error(`template.yaml has no function ${logicalId}`);
  const resolver = new TemplateResolver(template, parameters);
  const declared = { ...variables(template.Globals?.Function?.Environment), ...variables(resource.Properties?.Environment) };
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(declared)) {
    if (!INFRASTRUCTURE_VARIABLES.has(name)) environment[name] = resolver.string(value, `environment variable ${name}`);
  }
  return {
    logicalId,
    entryFile: spec.entryFile,
    exportName: spec.exportName,
    memoryMb: spec.memoryMb,
    timeoutSeconds: spec.timeoutSeconds,
    environment,
  };
}

/**
 * `NAME=actual (template: default)` for each variable the template sets that `actual` sets otherwise,
 * and `NAME=actual (template: unset)` for each of `extra` that `actual` sets though the template does not.
 */
export function differencesFromTemplate(
  template: Record<string, string>,
  actual: Record<string, string | undefined>,
  extra: readonly string[] = [],
): string[] {
  const differences: string[] = [];
  for (const [name, value] of Object.entries(template)) {
    if (name in actual && actual[name] !== value) differences.push(`${name}=${actual[name] ?? '(unset)'} (template: ${value})`);
  }
  for (const name of extra) {
    if (!(name in template) && actual[name] !== undefined) differences.push(`${name}=${actual[name]} (template: unset)`);
  }
  return differences;
}

/** The template's default number of status shards (StatusShardCount): where the benchmark seeds one sweep batch. */
export function templateStatusShards(): number {
  const shards = Number(templateFunction('SweepShardFunction', {}).environment.STATUS_SHARDS);
  if (!Number.isInteger(shards) || shards < 1) throw new Error('template.yaml: STATUS_SHARDS does not resolve to a positive integer');
  return shards;
}
