/**
 * What the meter reports from template.yaml beside the counts: each function's memory size and
 * architecture (its own or Globals'), and the state machines' Type. Read from the template itself,
 * so a change there shows in the meter without a second list.
 */
import path from 'node:path';
import { cfnMapping, loadTemplate, type CfnValue } from '../../template/cfn-yaml';
import { REPO_ROOT } from '../../template';
import type { MeteredFunction } from './meter';

export interface TemplateFacts {
  functions: MeteredFunction[];
  stepFunctionsType: string;
}

/** Lambda's default when a function names no architecture. */
const DEFAULT_ARCHITECTURE = 'x86_64';
/** Step Functions' default when a state machine names no Type. */
const DEFAULT_STATE_MACHINE_TYPE = 'STANDARD';

function architectureOf(value: CfnValue | undefined): string | undefined {
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
}

export function readTemplateFacts(templatePath = path.join(REPO_ROOT, 'template.yaml')): TemplateFacts {
  const template = loadTemplate(templatePath);
  const globals = cfnMapping(template.Globals?.Function);
  const functions: MeteredFunction[] = [];
  const machineTypes = new Set<string>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const properties = cfnMapping(resource.Properties);
    if (resource.Type === 'AWS::Serverless::Function') {
      functions.push({
        logicalId,
        memoryMb: Number(properties.MemorySize ?? globals.MemorySize ?? 128),
        architecture: architectureOf(properties.Architectures) ?? architectureOf(globals.Architectures) ?? DEFAULT_ARCHITECTURE,
      });
    } else if (resource.Type === 'AWS::Serverless::StateMachine') {
      machineTypes.add(typeof properties.Type === 'string' ? properties.Type : DEFAULT_STATE_MACHINE_TYPE);
    }
  }
  return { functions, stepFunctionsType: [...machineTypes].join(', ') || 'none' };
}
