/**
 * The friend graph: a degree for every user drawn from a distribution given as a parameter, then a
 * configuration-model pairing of the degrees' "stubs" (shuffled and paired two by two). Self-loops and
 * duplicate pairs are refused and their stubs paired again (reshuffled, then by edge swaps); the few
 * that still cannot pair are dropped, so realised degrees can fall slightly short of the drawn ones
 * (a hub with more partners drawn than can be found). The realised figures are reported.
 */
import type { Random } from './random';

export const DEGREE_DISTRIBUTIONS = ['fixed', 'poisson', 'lognormal', 'powerlaw'] as const;
export type DegreeDistributionName = (typeof DEGREE_DISTRIBUTIONS)[number];

export interface DegreeDistribution {
  name: DegreeDistributionName;
  mean: number;
  /** lognormal: sigma of the underlying normal (default 1). */
  sigma?: number;
  /** powerlaw: exponent alpha > 2 of the density ∝ k^-alpha (default 2.5). */
  alpha?: number;
}

export const DEFAULT_LOGNORMAL_SIGMA = 1;
export const DEFAULT_POWERLAW_ALPHA = 2.5;

/** One user's degree, before capping at the number of possible partners. */
export function drawDegree(distribution: DegreeDistribution, random: Random): number {
  const { mean } = distribution;
  switch (distribution.name) {
    case 'fixed':
      return Math.round(mean);
    case 'poisson':
      return random.poisson(mean);
    case 'lognormal':
      return Math.round(random.lognormal(mean, distribution.sigma ?? DEFAULT_LOGNORMAL_SIGMA));
    case 'powerlaw': {
      const alpha = distribution.alpha ?? DEFAULT_POWERLAW_ALPHA;
      // A continuous Pareto with this minimum has the requested mean: mean = minimum (alpha-1)/(alpha-2).
      const minimum = (mean * (alpha - 2)) / (alpha - 1);
      return Math.round(random.pareto(minimum, alpha));
    }
  }
}

/** A degree per user, each at most users - 1, with an even sum (a stub needs a partner). */
export function drawDegrees(users: number, distribution: DegreeDistribution, random: Random): number[] {
  const degrees = Array.from({ length: users }, () => Math.min(users - 1, Math.max(0, drawDegree(distribution, random))));
  const total = degrees.reduce((sum, degree) => sum + degree, 0);
  if (total % 2 === 1) {
    // Take the odd stub from the user with the largest degree (the change that moves the mean least).
    let largest = 0;
    for (let i = 1; i < users; i++) if (degrees[i]! > degrees[largest]!) largest = i;
    degrees[largest]! -= 1;
  }
  return degrees;
}

export interface FriendGraph {
  users: number;
  /** Each accepted friendship once, as [lower index, higher index], sorted. */
  edges: Array<[number, number]>;
  /** Friends of each user, by index. */
  friends: number[][];
}

const PAIRING_ROUNDS = 20;
const SWAP_ATTEMPTS = 100;

/**
 * The configuration model over the given degrees: no self-loops, no duplicate pairs. Stubs that will
 * not pair after the shuffling rounds (mostly a hub's, whose partners are taken) are placed by edge
 * swaps: a leftover pair (u, v) and an existing edge (a, b) become (u, a) and (v, b), which keeps every
 * degree; what still cannot be placed is dropped.
 */
export function pairStubs(degrees: readonly number[], random: Random): FriendGraph {
  const users = degrees.length;
  let stubs: number[] = [];
  degrees.forEach((degree, user) => {
    for (let i = 0; i < degree; i++) stubs.push(user);
  });
  const keyOf = (a: number, b: number) => Math.min(a, b) * users + Math.max(a, b);
  const seen = new Set<number>();
  const edges: Array<[number, number]> = [];
  const add = (a: number, b: number) => {
    seen.add(keyOf(a, b));
    edges.push([Math.min(a, b), Math.max(a, b)]);
  };
  for (let round = 0; round < PAIRING_ROUNDS && stubs.length >= 2; round++) {
    random.shuffle(stubs);
    const refused: number[] = [];
    for (let i = 0; i + 1 < stubs.length; i += 2) {
      const a = stubs[i]!;
      const b = stubs[i + 1]!;
      if (a === b || seen.has(keyOf(a, b))) refused.push(a, b);
      else add(a, b);
    }
    if (stubs.length % 2 === 1) refused.push(stubs[stubs.length - 1]!);
    stubs = refused;
  }
  for (let i = 0; i + 1 < stubs.length && edges.length > 0; i += 2) {
    const u = stubs[i]!;
    const v = stubs[i + 1]!;
    for (let attempt = 0; attempt < SWAP_ATTEMPTS; attempt++) {
      const index = random.int(edges.length);
      const [x, y] = edges[index]!;
      const [a, b] = random.chance(0.5) ? [x, y] : [y, x];
      const first = keyOf(u, a);
      const second = keyOf(v, b);
      if (u === a || v === b || first === second || seen.has(first) || seen.has(second)) continue;
      seen.delete(keyOf(a, b));
      seen.add(first);
      seen.add(second);
      edges[index] = [Math.min(u, a), Math.max(u, a)];
      edges.push([Math.min(v, b), Math.max(v, b)]);
      break;
    }
  }
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const friends: number[][] = Array.from({ length: users }, () => []);
  for (const [a, b] of edges) {
    friends[a]!.push(b);
    friends[b]!.push(a);
  }
  return { users, edges, friends };
}

export interface GraphStats {
  edges: number;
  meanDegree: number;
  maxDegree: number;
  minDegree: number;
  /** Users with no friend at all. */
  isolated: number;
}

export function graphStats(graph: FriendGraph): GraphStats {
  const degrees = graph.friends.map((list) => list.length);
  return {
    edges: graph.edges.length,
    meanDegree: graph.users === 0 ? 0 : (2 * graph.edges.length) / graph.users,
    maxDegree: degrees.length ? Math.max(...degrees) : 0,
    minDegree: degrees.length ? Math.min(...degrees) : 0,
    isolated: degrees.filter((degree) => degree === 0).length,
  };
}
