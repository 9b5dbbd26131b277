/**
 * Builds the cost report and the capacity plan from the command-line options: reads the measured
 * file(s), template.yaml and the price table, applies the assumptions, and returns the objects the
 * commands print.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { assumptionValues, describeAssumptions, type Assumption } from './assumptions';
import { computeCapacity, type CapacityResult } from './capacity';
import { loadMeasured, type MeasuredRun } from './measured';
import { customMetricCount } from './metric-inventory';
import { computeCost, SCALES, type CostResult, type Engine, type ModelInput } from './model';
import { pricePeers, type PeerResult } from './peers';
import { awsPricesFor } from './prices';
import { connectedHoursPerMonth, profileNamed, PROFILES, type Profile } from './profiles';
import { readInventory, REPO_ROOT, type TemplateInventory } from './template-inventory';

export interface Options {
  profile: string;
  /** Overrides the profile's own measured file. */
  measured?: string;
  region: string;
  engine: Engine;
  assume: string[];
}

export interface MeasuredRef {
  file: string;
  date: string;
  commit: string;
  dirty: boolean;
}

export interface ProfileSummary {
  measured: MeasuredRef;
  perUserMonth: { total: number; components: CostResult['perUserMonth']['components'] };
  messagesPerUserMonth: CostResult['messagesPerUserMonth'];
  flapsPerUserMonth: number | null;
}

export interface CostReport extends CostResult {
  region: string;
  engine: Engine;
  profile: Profile & { connectedHoursPerMonth: number };
  measured: MeasuredRef;
  flapsPerUserMonth: number | null;
  peers: PeerResult[];
  assumptions: Record<string, Assumption & { default: number }>;
  /** Every profile with a recorded measurement (the selected one included), for the comparisons of the subscription-level issue. */
  profiles: Record<string, ProfileSummary>;
  /** The total per user at the largest scale with each ElastiCache engine. */
  engineComparison: { monthlyUsers: number; perUser: Record<Engine, number> };
}

function simulateHint(profile: Profile): string {
  return `record one with \`npm run simulate -- --record ${profile.measuredFile}\` (the profile's parameters) or pass --measured <file>`;
}

function resolve(file: string): string {
  return path.isAbsolute(file) ? file : path.join(REPO_ROOT, file);
}

function displayPath(file: string): string {
  const relative = path.relative(REPO_ROOT, file);
  return relative.startsWith('..') ? file : relative;
}

function ref(measured: MeasuredRun): MeasuredRef {
  return { file: displayPath(measured.file), date: measured.measuredAt, commit: measured.commit, dirty: measured.dirty };
}

/** Flaps per user-month: times a user's friends were told they went offline when they had only reconnected. */
function flaps(measured: MeasuredRun, profile: Profile): number | null {
  const events = measured.summary.flapEvents ?? measured.summary.flaps;
  if (events === undefined || measured.simulated.connectedUserHours <= 0) return null;
  return (events / measured.simulated.connectedUserHours) * connectedHoursPerMonth(profile);
}

interface Context {
  inventory: TemplateInventory;
  customMetrics: number;
}

function modelInput(options: Options, profile: Profile, measured: MeasuredRun, context: Context, engine = options.engine): ModelInput {
  return {
    measured,
    profile,
    prices: awsPricesFor(options.region),
    assumptions: assumptionValues(options.assume),
    inventory: context.inventory,
    engine,
    customMetrics: context.customMetrics,
  };
}

function context(): Context {
  return { inventory: readInventory(), customMetrics: customMetricCount() };
}

export function buildCostReport(options: Options): CostReport {
  const profile = profileNamed(options.profile);
  const ctx = context();
  const measured = loadMeasured(resolve(options.measured ?? profile.measuredFile), simulateHint(profile));
  const input = modelInput(options, profile, measured, ctx);
  const result = computeCost(input);
  const otherEngine: Engine = options.engine === 'valkey' ? 'redis-oss' : 'valkey';
  const perUserAtLargest = (r: CostResult) => r.atScale[r.atScale.length - 1]?.perUser ?? 0;
  const profiles: Record<string, ProfileSummary> = {};
  for (const candidate of Object.values(PROFILES)) {
    const isSelected = candidate.name === profile.name;
    const file = resolve(candidate.measuredFile);
    if (!isSelected && !existsSync(file)) continue;
    const run = isSelected ? measured : loadMeasured(file, simulateHint(candidate));
    const r = isSelected ? result : computeCost(modelInput(options, candidate, run, ctx));
    profiles[candidate.name] = {
      measured: ref(run),
      perUserMonth: { total: r.perUserMonth.total, components: r.perUserMonth.components },
      messagesPerUserMonth: r.messagesPerUserMonth,
      flapsPerUserMonth: flaps(run, candidate),
    };
  }
  const assumptions = assumptionValues(options.assume);
  return {
    region: options.region,
    engine: options.engine,
    profile: { ...profile, connectedHoursPerMonth: connectedHoursPerMonth(profile) },
    measured: ref(measured),
    ...result,
    flapsPerUserMonth: flaps(measured, profile),
    peers: pricePeers(measured, profile, assumptions, SCALES),
    assumptions: describeAssumptions(assumptions),
    profiles,
    engineComparison: {
      monthlyUsers: SCALES[SCALES.length - 1] as number,
      perUser: {
        [options.engine]: perUserAtLargest(result),
        [otherEngine]: perUserAtLargest(computeCost(modelInput(options, profile, measured, ctx, otherEngine))),
      } as Record<Engine, number>,
    },
  };
}

export interface CapacityReport extends CapacityResult {
  profile: string;
  measured: MeasuredRef;
  assumptions: Record<string, Assumption & { default: number }>;
}

export function buildCapacityReport(options: Options, online: number, shards?: number): CapacityReport {
  const profile = profileNamed(options.profile);
  const ctx = context();
  const measured = loadMeasured(resolve(options.measured ?? profile.measuredFile), simulateHint(profile));
  const input = modelInput(options, profile, measured, ctx);
  const result = computeCapacity(input, online, shards ?? ctx.inventory.statusShardCount);
  return { profile: profile.name, measured: ref(measured), ...result, assumptions: describeAssumptions(input.assumptions) };
}
