/**
 * The functions of template.yaml as the local runtime needs them: which file to load (the esbuild
 * EntryPoints sam build uses), which export to call (Handler), and the Lambda timeout.
 */
import path from 'node:path';
import { cfnMapping, type CfnTemplate, type CfnValue } from './cfn-yaml';
import { localFunctionArn } from './intrinsics';

export interface FunctionSpec {
  logicalId: string;
  arn: string;
  /** Absolute path of the handler's source file. */
  entryFile: string;
  /** The exported function name (the part of Handler after the last dot). */
  exportName: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** Its own Architectures, else Globals', else Lambda's default (x86_64). */
  architecture: string;
}

function architectureOf(value: CfnValue | undefined): string | undefined {
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
}

export function readFunctions(template: CfnTemplate, rootDir: string): Map<string, FunctionSpec> {
  const globals = cfnMapping(template.Globals?.Function);
  const functions = new Map<string, FunctionSpec>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const properties = cfnMapping(resource.Properties);
    const build = cfnMapping(cfnMapping(resource.Metadata).BuildProperties);
    const entryPoints = build.EntryPoints;
    const entry = Array.isArray(entryPoints) ? entryPoints[0] : undefined;
    const handler = properties.Handler;
    if (typeof entry !== 'string' || typeof handler !== 'string') {
      throw new Error(`template.yaml: ${logicalId} needs Metadata.BuildProperties.EntryPoints[0] and Properties.Handler`);
    }
    const codeUri = properties.CodeUri ?? globals.CodeUri ?? '.';
    if (typeof codeUri !== 'string') throw new Error(`template.yaml: ${logicalId} needs a literal CodeUri (its own or Globals.Function)`);
    functions.set(logicalId, {
      logicalId,
      arn: localFunctionArn(logicalId),
      entryFile: path.resolve(rootDir, codeUri, entry),
      exportName: handler.slice(handler.lastIndexOf('.') + 1),
      timeoutSeconds: Number(properties.Timeout ?? globals.Timeout ?? 3),
      memoryMb: Number(properties.MemorySize ?? globals.MemorySize ?? 128),
      architecture: architectureOf(properties.Architectures) ?? architectureOf(globals.Architectures) ?? 'x86_64',
    });
  }
  return functions;
}

/** `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations` -> the function. */
export function functionForIntegrationUri(uri: string, functions: Map<string, FunctionSpec>): FunctionSpec {
  const match = /\/functions\/(.+)\/invocations$/.exec(uri);
  const arn = match?.[1] ?? uri;
  for (const spec of functions.values()) if (spec.arn === arn) return spec;
  throw new Error(`template.yaml: no function matches integration ${uri}`);
}
