/** What the simulator reads from template.yaml: the functions the scheduled state machines run (a fixed cost). */
import path from 'node:path';
import { REPO_ROOT } from '../template';
import { loadTemplate } from '../template/cfn-yaml';

/** Logical ids of the functions a state machine of the template names (the sweep's task). */
export function stateMachineFunctions(templatePath = path.join(REPO_ROOT, 'template.yaml')): string[] {
  const template = loadTemplate(templatePath);
  const resources = Object.entries(template.Resources);
  const functions = resources.filter(([, resource]) => resource.Type === 'AWS::Serverless::Function').map(([logicalId]) => logicalId);
  const machines = resources.filter(([, resource]) => resource.Type === 'AWS::Serverless::StateMachine').map(([, resource]) => JSON.stringify(resource.Properties ?? {}));
  return functions.filter((logicalId) => machines.some((text) => new RegExp(`\\b${logicalId}\\b`).test(text)));
}
