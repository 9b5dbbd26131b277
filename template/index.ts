import path from 'node:path';
import { loadTemplate } from './cfn-yaml';
import { readEnvironment, type TemplateEnvironment } from './environment';
import { readFunctions, type FunctionSpec } from './functions';
import { TemplateResolver } from './intrinsics';
import { readRestApi, type RestApiSpec } from './rest-api';
import { readStateMachines, type StateMachineSpec } from './state-machines';
import { readWebSocketApi, type WebSocketApiSpec } from './websocket-api';

export const REPO_ROOT = path.resolve(__dirname, '..');

/** Everything the local runtime takes from template.yaml. */
export interface LocalStackSpec {
  functions: Map<string, FunctionSpec>;
  websocket: WebSocketApiSpec;
  rest: RestApiSpec;
  stateMachines: StateMachineSpec[];
  environment: TemplateEnvironment;
}

export function readStack(parameters: Record<string, string | string[]>, templatePath = path.join(REPO_ROOT, 'template.yaml')): LocalStackSpec {
  const template = loadTemplate(templatePath);
  const rootDir = path.dirname(templatePath);
  const resolver = new TemplateResolver(template, parameters);
  const functions = readFunctions(template, rootDir);
  return {
    functions,
    websocket: readWebSocketApi(template, resolver, functions),
    rest: readRestApi(template, resolver, functions),
    stateMachines: readStateMachines(template, resolver, rootDir),
    environment: readEnvironment(template, resolver),
  };
}

export type { FunctionSpec, StateMachineSpec };
export type { RestApiSpec, RestRoute } from './rest-api';
export type { WebSocketApiSpec, WebSocketIntegration, WebSocketRoute } from './websocket-api';
