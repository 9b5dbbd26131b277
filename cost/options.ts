/**
 * The flags `npm run cost` and `npm run capacity` share, parsed once with one clear line on a mistake.
 */
import { parseArgs } from 'node:util';
import type { Options } from './run';

export class UsageError extends Error {}

export const COMMON_USAGE = `  --profile <name>     usage profile (reference by default; cost/profiles.ts)
  --measured <file>    simulator output to price (default: the profile's cost/measured/<profile>.json)
  --region <region>    price table (us-east-1, the only one sourced)
  --engine <engine>    ElastiCache Serverless engine: valkey (default) or redis-oss
  --assume name=value  override an assumption (repeatable; cost/assumptions.ts)
  --json               print one JSON object`;

export interface Parsed {
  options: Options;
  json: boolean;
  help: boolean;
  values: Record<string, string | boolean | string[] | undefined>;
}

export function parseCommon(argv: string[], extra: Record<string, { type: 'string' | 'boolean' }> = {}): Parsed {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        profile: { type: 'string', default: 'reference' },
        measured: { type: 'string' },
        region: { type: 'string', default: 'us-east-1' },
        engine: { type: 'string', default: 'valkey' },
        assume: { type: 'string', multiple: true, default: [] },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
        ...extra,
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const engine = values.engine as string;
  if (engine !== 'valkey' && engine !== 'redis-oss') throw new UsageError(`--engine must be valkey or redis-oss, got "${engine}"`);
  return {
    options: {
      profile: values.profile as string,
      ...(typeof values.measured === 'string' ? { measured: values.measured } : {}),
      region: values.region as string,
      engine,
      assume: values.assume as string[],
    },
    json: values.json === true,
    help: values.help === true,
    values,
  };
}
