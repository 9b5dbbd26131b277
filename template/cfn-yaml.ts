/**
 * A tiny CloudFormation-YAML loader shared by the build, the template validator, the tests and the
 * local runtime. It turns the short-form intrinsic tags (`!Ref`, `!GetAtt`, `!Sub`, ...) into their
 * JSON forms (`{ Ref }`, `{ "Fn::GetAtt": [...] }`, `{ "Fn::Sub": ... }`), exactly as CloudFormation does.
 */
import { readFileSync } from 'node:fs';
import { parse, type Tags, type YAMLMap, type YAMLSeq } from 'yaml';

export type CfnValue = string | number | boolean | null | CfnValue[] | { [key: string]: CfnValue };

/** `value` when it is a mapping, else an empty one: a missing or malformed section reads as empty. */
export function cfnMapping(value: unknown): Record<string, CfnValue> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, CfnValue>) : {};
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, CfnValue>;
  Metadata?: Record<string, CfnValue>;
  DependsOn?: string | string[];
  Condition?: string;
  [key: string]: unknown;
}

export interface CfnTemplate {
  AWSTemplateFormatVersion?: string;
  Transform?: string | string[];
  Description?: string;
  Parameters?: Record<string, Record<string, CfnValue>>;
  Conditions?: Record<string, CfnValue>;
  Mappings?: Record<string, CfnValue>;
  Globals?: Record<string, Record<string, CfnValue>>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, Record<string, CfnValue>>;
  [key: string]: unknown;
}

/** Short tag name -> JSON key. `!Ref` and `!Condition` are not `Fn::` functions. */
const INTRINSICS: Record<string, string> = {
  Ref: 'Ref',
  Condition: 'Condition',
  GetAtt: 'Fn::GetAtt',
  Sub: 'Fn::Sub',
  If: 'Fn::If',
  Equals: 'Fn::Equals',
  Not: 'Fn::Not',
  And: 'Fn::And',
  Or: 'Fn::Or',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  FindInMap: 'Fn::FindInMap',
  ImportValue: 'Fn::ImportValue',
  Base64: 'Fn::Base64',
  Cidr: 'Fn::Cidr',
  GetAZs: 'Fn::GetAZs',
  Length: 'Fn::Length',
  ToJsonString: 'Fn::ToJsonString',
  Transform: 'Fn::Transform',
};

/** `!GetAtt Resource.Attr.Sub` -> `["Resource", "Attr.Sub"]` (the first dot separates the resource). */
function splitGetAtt(value: string): string[] {
  const dot = value.indexOf('.');
  return dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
}

function buildTags(): Tags {
  const tags: Tags = [];
  for (const [short, key] of Object.entries(INTRINSICS)) {
    const tag = `!${short}`;
    tags.push({
      tag,
      identify: () => false,
      resolve: (value: string) => ({ [key]: short === 'GetAtt' ? splitGetAtt(value) : value }),
    });
    tags.push({
      tag,
      collection: 'seq',
      identify: () => false,
      resolve: (seq) => ({ [key]: (seq as YAMLSeq).toJSON() }),
    });
    tags.push({
      tag,
      collection: 'map',
      identify: () => false,
      resolve: (map) => ({ [key]: (map as YAMLMap).toJSON() as Record<string, CfnValue> }),
    });
  }
  return tags;
}

/** The `yaml` custom tags for CloudFormation intrinsics (usable with `parse(text, { customTags })`). */
export const cfnTags: Tags = buildTags();

/** Parses CloudFormation YAML text into its JSON form. */
export function parseCfnYaml(text: string): unknown {
  return parse(text, { customTags: cfnTags, maxAliasCount: -1, prettyErrors: true, uniqueKeys: true });
}

/** Loads a CloudFormation/SAM template from disk (YAML or JSON). */
export function loadTemplate(path: string): CfnTemplate {
  const text = readFileSync(path, 'utf8');
  const doc = parseCfnYaml(text);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error(`${path}: expected a YAML mapping at the top level`);
  }
  const template = doc as CfnTemplate;
  if (template.Resources === null || typeof template.Resources !== 'object') {
    throw new Error(`${path}: the template has no Resources section`);
  }
  return template;
}
