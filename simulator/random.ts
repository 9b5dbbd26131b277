/**
 * The simulator's only source of randomness: a small seeded PRNG (xoshiro128**, seeded through
 * splitmix32) and the distributions the population is drawn from. Every user and every purpose gets
 * its own stream (`streamFor(seed, ...labels)`), so one user's draws never depend on how another
 * user's events interleave with theirs: the same seed gives the same population, graph and schedule.
 */

/** splitmix32: spreads a 32-bit state into well-mixed 32-bit outputs (used only to seed xoshiro). */
function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a over the labels: turns (seed, "user", 17, "pages") into a 32-bit stream id. */
function hashLabels(labels: ReadonlyArray<string | number>): number {
  let hash = 0x811c9dc5;
  for (const label of labels) {
    for (const char of `${String(label)}\u0000`) {
      hash ^= char.charCodeAt(0);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  }
  return hash >>> 0;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const next = splitmix32(seed);
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
  }

  /** xoshiro128**: a uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1), 53 bits. */
  next(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67_108_864 + low) / 9_007_199_254_740_992;
  }

  /** Uniform in (0, 1]: safe under a logarithm. */
  nextOpen(): number {
    return 1 - this.next();
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** A whole number in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** Fisher-Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  exponential(mean: number): number {
    return -mean * Math.log(this.nextOpen());
  }

  /** Weibull with the given shape and mean (scale = mean / Γ(1 + 1/shape)), by inversion. */
  weibull(shape: number, mean: number): number {
    return weibullScale(shape, mean) * Math.pow(-Math.log(this.nextOpen()), 1 / shape);
  }

  /** Standard normal (Box-Muller; one value per call keeps the stream's use simple to reason about). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(this.nextOpen())) * Math.cos(2 * Math.PI * this.next());
  }

  /** Log-normal with the given mean and sigma of the underlying normal. */
  lognormal(mean: number, sigma: number): number {
    return Math.exp(Math.log(mean) - (sigma * sigma) / 2 + sigma * this.normal());
  }

  /** Pareto (power law, density ∝ x^-alpha for x ≥ minimum), alpha > 1. */
  pareto(minimum: number, alpha: number): number {
    return minimum * Math.pow(this.nextOpen(), -1 / (alpha - 1));
  }

  /** Poisson by inversion; large means are split in halves (a sum of Poissons is Poisson). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 500) return this.poisson(mean / 2) + this.poisson(mean / 2);
    let k = 0;
    let probability = Math.exp(-mean);
    let cumulative = probability;
    const u = this.next();
    while (u > cumulative && probability > 0) {
      k += 1;
      probability *= mean / k;
      cumulative += probability;
    }
    return k;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A stream of its own for each purpose: `streamFor(seed, 'user', 17, 'pages')`. */
export function streamFor(seed: number, ...labels: Array<string | number>): Random {
  return new Random(hashLabels([seed, ...labels]));
}

/** Γ(x) for x > 0 (Lanczos, g = 7): enough for the Weibull scale. */
export function gamma(x: number): number {
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let sum = coefficients[0]!;
  for (let i = 1; i < coefficients.length; i++) sum += coefficients[i]! / (z + i);
  const t = z + 7.5;
  return Math.sqrt(2 * Math.PI) * Math.pow(t, z + 0.5) * Math.exp(-t) * sum;
}

/** The Weibull scale λ that gives the mean: mean = λ Γ(1 + 1/shape). */
export function weibullScale(shape: number, mean: number): number {
  return mean / gamma(1 + 1 / shape);
}
