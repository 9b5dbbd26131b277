/**
 * Validates template.yaml against the published AWS SAM JSON schema (draft-04).
 *
 *   npm run validate:template            # template.yaml of this repository
 *   SAM_SCHEMA_PATH=/x/sam.schema.json npm run validate:template
 *
 * The schema is the repository's copy (schemas/sam.schema.json, see schemas/README.md), or wherever
 * SAM_SCHEMA_PATH points. It runs without Python, in `npm test` too, and catches misspelled properties
 * of SAM resources that neither cfn-lint nor the SAM transform reports (e.g. inside an Api `Auth`
 * authorizer); cfn-lint and `sam validate` cover the rest (README "Template checks").
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv-draft-04';
import { loadTemplate, type CfnTemplate } from '../template/cfn-yaml';

export const REPO_ROOT = resolve(__dirname, '..');
export const DEFAULT_TEMPLATE_PATH = resolve(REPO_ROOT, 'template.yaml');

/** SAM_SCHEMA_PATH if set, else the repository's `schemas/sam.schema.json`. Never checks existence. */
export function schemaPath(env: Record<string, string | undefined> = process.env, repoRoot = REPO_ROOT): string {
  const override = env.SAM_SCHEMA_PATH?.trim();
  return override ? resolve(override) : resolve(repoRoot, 'schemas', 'sam.schema.json');
}

/** The schema path when the file exists, otherwise undefined. */
export function findSchema(env: Record<string, string | undefined> = process.env, repoRoot = REPO_ROOT): string | undefined {
  const path = schemaPath(env, repoRoot);
  return existsSync(path) ? path : undefined;
}

export class SchemaNotFoundError extends Error {
  constructor(path: string) {
    super(`SAM schema not found at ${path} (the repository ships schemas/sam.schema.json; SAM_SCHEMA_PATH overrides it).`);
    this.name = 'SchemaNotFoundError';
  }
}

export interface ValidationResult {
  valid: boolean;
  /** Readable messages, one per problem, prefixed with the template location. */
  errors: string[];
}

type JsonSchema = { definitions?: Record<string, { properties?: { Type?: { enum?: string[] } } }> };

const SCHEMA_KEY = 'sam';

function location(base: string, instancePath: string): string {
  const pointer = instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [base, ...pointer].filter(Boolean).join('.') || '(template)';
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return `unknown property "${String(params.additionalProperty)}"`;
  if (error.keyword === 'enum') return `${error.message} (${JSON.stringify(params.allowedValues)})`;
  if (error.keyword === 'required') return `missing required property "${String(params.missingProperty)}"`;
  return error.message ?? error.keyword;
}

function format(errors: ErrorObject[] | null | undefined, base: string): string[] {
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    // anyOf/oneOf summaries repeat what the branch errors already say.
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf' || error.keyword === 'if') continue;
    seen.add(`${location(base, error.instancePath)}: ${describe(error)}`);
  }
  return [...seen];
}

/** The schema definition of one AWS::Serverless::* resource type (found by its `Type` enum). */
function definitionFor(schema: JsonSchema, type: string): string | undefined {
  return Object.entries(schema.definitions ?? {}).find(
    ([name, definition]) => name.endsWith('__Resource') && definition.properties?.Type?.enum?.includes(type),
  )?.[0];
}

export interface TemplateValidator {
  (template: unknown): ValidationResult;
}

/** Compiles the SAM schema once; the returned function validates any number of templates. */
export function createValidator(schema: object): TemplateValidator {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(schema, SCHEMA_KEY);
  const whole = ajv.getSchema(SCHEMA_KEY) as ValidateFunction;
  const partial = new Map<string, ValidateFunction | undefined>();
  const part = (pointer: string): ValidateFunction | undefined => {
    if (!partial.has(pointer)) partial.set(pointer, ajv.getSchema(`${SCHEMA_KEY}#${pointer}`));
    return partial.get(pointer);
  };

  return (template: unknown): ValidationResult => {
    if (whole(template)) return { valid: true, errors: [] };

    // The top-level error list is an anyOf over every resource kind for every bad resource; re-validate
    // the parts against their own definitions so each message points at the real problem.
    const errors: string[] = [];
    const doc = (template ?? {}) as CfnTemplate;
    const globals = part('/definitions/__main____Globals');
    if (doc.Globals !== undefined && globals && !globals(doc.Globals)) errors.push(...format(globals.errors, 'Globals'));
    for (const [logicalId, resource] of Object.entries(doc.Resources ?? {})) {
      const type = typeof resource?.Type === 'string' ? resource.Type : '';
      const definition = type.startsWith('AWS::Serverless::') ? definitionFor(schema, type) : undefined;
      if (type.startsWith('AWS::Serverless::') && !definition) {
        errors.push(`Resources.${logicalId}.Type: unknown SAM resource type "${type}"`);
        continue;
      }
      const validate = part(
        `/definitions/${definition ?? 'samtranslator__internal__schema_source__any_cfn_resource__Resource'}`,
      );
      if (validate && !validate(resource)) errors.push(...format(validate.errors, `Resources.${logicalId}`));
    }
    if (errors.length === 0) {
      // Something outside Globals/Resources (e.g. a top-level key) is wrong: report the raw errors.
      errors.push(...format(whole.errors, ''));
    }
    return { valid: false, errors };
  };
}

/** Validates a parsed template against a SAM schema object. */
export function validateTemplate(template: unknown, schema: object): ValidationResult {
  return createValidator(schema)(template);
}

/** Loads the template (CloudFormation YAML) and the schema from disk and validates. */
export function validateTemplateFile(
  templatePath = DEFAULT_TEMPLATE_PATH,
  samSchemaPath = schemaPath(),
): ValidationResult {
  if (!existsSync(samSchemaPath)) throw new SchemaNotFoundError(samSchemaPath);
  const schema = JSON.parse(readFileSync(samSchemaPath, 'utf8')) as object;
  return validateTemplate(loadTemplate(templatePath), schema);
}

function main(): void {
  const templatePath = resolve(process.argv[2] ?? DEFAULT_TEMPLATE_PATH);
  const samSchemaPath = schemaPath();
  try {
    const result = validateTemplateFile(templatePath, samSchemaPath);
    if (result.valid) {
      console.log(`${templatePath} is valid against the SAM schema`);
      return;
    }
    console.error(`${templatePath} is NOT valid against the SAM schema (${samSchemaPath}):`);
    for (const message of result.errors) console.error(`  - ${message}`);
    process.exitCode = 1;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}

if (require.main === module) main();
