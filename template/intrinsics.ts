/**
 * Resolves the CloudFormation intrinsics the local runtime meets in template.yaml (Ref, Fn::GetAtt,
 * Fn::Sub, Fn::Join) against local stand-ins: parameter values chosen for a laptop, a fake account
 * and region, and local ARNs for the functions. Anything else fails loudly, so a template change the
 * local runtime cannot follow is noticed at start-up rather than misrouted.
 */
import type { CfnTemplate, CfnValue } from './cfn-yaml';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_STACK_NAME = 'presence-local';

/** The ARN a function gets locally; integration URIs and state machine substitutions resolve to it. */
export function localFunctionArn(logicalId: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${logicalId}`;
}

const PSEUDO: Record<string, string> = {
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT_ID,
  'AWS::StackName': LOCAL_STACK_NAME,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

export type Resolved = string | number | boolean | null | Resolved[] | { [key: string]: Resolved };

export class TemplateResolver {
  constructor(
    private readonly template: CfnTemplate,
    /** Local values for template parameters; parameters not listed fall back to their Default. */
    private readonly parameters: Record<string, string | string[]> = {},
  ) {}

  parameter(name: string): string | string[] {
    const local = this.parameters[name];
    if (local !== undefined) return local;
    const declared = this.template.Parameters?.[name];
    if (!declared) throw new Error(`template.yaml: unknown parameter ${name}`);
    const fallback = declared.Default;
    if (fallback === undefined || fallback === null) {
      throw new Error(`template.yaml: parameter ${name} has no Default and no local value`);
    }
    const text = resolvedString(fallback, `parameter ${name} Default`);
    return declared.Type === 'CommaDelimitedList' ? text.split(',').map((item) => item.trim()) : text;
  }

  private ref(name: string): string | string[] {
    if (name in PSEUDO) return PSEUDO[name]!;
    if (this.template.Parameters && name in this.template.Parameters) return this.parameter(name);
    const resource = this.template.Resources[name];
    if (!resource) throw new Error(`template.yaml: Ref to unknown name ${name}`);
    // A function's Ref is its name; other resources are identified locally by their logical id.
    return name;
  }

  private getAtt(resourceName: string, attribute: string): string {
    const resource = this.template.Resources[resourceName];
    if (!resource) throw new Error(`template.yaml: GetAtt of unknown resource ${resourceName}`);
    if (attribute === 'Arn' && resource.Type === 'AWS::Serverless::Function') return localFunctionArn(resourceName);
    if (attribute === 'Arn') return `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${resourceName}`;
    throw new Error(`template.yaml: GetAtt ${resourceName}.${attribute} is not supported locally`);
  }

  private sub(text: string, variables: Record<string, Resolved>): string {
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_, expression: string) => {
      if (expression in variables) return resolvedString(variables[expression], `Fn::Sub variable ${expression}`);
      const dot = expression.indexOf('.');
      if (dot > 0 && !expression.startsWith('AWS::')) return this.getAtt(expression.slice(0, dot), expression.slice(dot + 1));
      const value = this.ref(expression);
      return Array.isArray(value) ? value.join(',') : value;
    });
  }

  resolve(value: CfnValue | undefined): Resolved {
    if (value === undefined) return null;
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = value[key] as CfnValue;
      switch (key) {
        case 'Ref':
          return this.ref(resolvedString(arg, 'Ref'));
        case 'Fn::GetAtt': {
          const [name, attribute] = Array.isArray(arg) ? arg.map(String) : resolvedString(arg, 'Fn::GetAtt').split(/\.(.*)/);
          return this.getAtt(name ?? '', attribute ?? '');
        }
        case 'Fn::Sub': {
          if (typeof arg === 'string') return this.sub(arg, {});
          const [text, vars] = arg as [string, Record<string, CfnValue>];
          const resolvedVars = Object.fromEntries(Object.entries(vars ?? {}).map(([k, v]) => [k, this.resolve(v)]));
          return this.sub(text, resolvedVars);
        }
        case 'Fn::Join': {
          const [separator, items] = arg as [string, CfnValue];
          const resolvedItems = this.resolve(items);
          return (Array.isArray(resolvedItems) ? resolvedItems : [resolvedItems]).flat().map(String).join(separator);
        }
        default:
          if (key.startsWith('Fn::') || key === 'Condition') throw new Error(`template.yaml: ${key} is not supported by the local runtime`);
      }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
  }

  /** Resolves to a string, or throws naming what was expected. */
  string(value: CfnValue | undefined, what: string): string {
    return resolvedString(this.resolve(value), what);
  }
}

/** A resolved scalar as text, or throws naming what was expected (a list or mapping is no string). */
export function resolvedString(resolved: Resolved | undefined, what: string): string {
  if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
  if (typeof resolved !== 'string') throw new Error(`template.yaml: ${what} must resolve to a string`);
  return resolved;
}
