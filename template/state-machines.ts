/**
 * The scheduled state machines of template.yaml: the ASL definition with DefinitionSubstitutions
 * applied (local values, local function ARNs) and the schedule expression of its Schedule event.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CfnTemplate, CfnValue } from './cfn-yaml';
import type { TemplateResolver } from './intrinsics';

export interface StateMachineSpec {
  logicalId: string;
  /** The ASL definition, substitutions applied. */
  definition: Record<string, unknown>;
  /** e.g. `rate(1 minute)`; undefined when the machine has no schedule. */
  scheduleExpression?: string;
  /** EXPRESS or STANDARD (Step Functions' default when the template names none). */
  type: string;
}

function substitute(text: string, substitutions: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => substitutions[name] ?? whole);
}

export function readStateMachines(template: CfnTemplate, resolver: TemplateResolver, rootDir: string): StateMachineSpec[] {
  const machines: StateMachineSpec[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Serverless::StateMachine') continue;
    const props = resource.Properties ?? {};
    const substitutions = Object.fromEntries(
      Object.entries((props.DefinitionSubstitutions ?? {}) as Record<string, CfnValue>).map(([name, value]) => [
        name,
        resolver.string(value, `${logicalId}.DefinitionSubstitutions.${name}`),
      ]),
    );
    const raw =
      typeof props.DefinitionUri === 'string'
        ? readFileSync(path.resolve(rootDir, props.DefinitionUri), 'utf8')
        : JSON.stringify(props.Definition ?? {});
    const definition = JSON.parse(substitute(raw, substitutions)) as Record<string, unknown>;
    let scheduleExpression: string | undefined;
    const events = (props.Events ?? {}) as Record<string, { Type?: string; Properties?: Record<string, CfnValue> }>;
    for (const event of Object.values(events)) {
      if (event.Type === 'Schedule' || event.Type === 'ScheduleV2') {
        scheduleExpression = resolver.string(event.Properties?.Schedule ?? event.Properties?.ScheduleExpression, `${logicalId} schedule`);
      }
    }
    machines.push({ logicalId, definition, scheduleExpression, type: typeof props.Type === 'string' ? props.Type : 'STANDARD' });
  }
  return machines;
}
