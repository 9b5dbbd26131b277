/** The simulator's PRNG and distributions: reproducible streams, and the means the population is drawn with. */
import { gamma, Random, streamFor, weibullScale } from '../../simulator/random';

const SAMPLES = 200_000;

function mean(draw: () => number, n = SAMPLES): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += draw();
  return sum / n;
}

describe('Random streams', () => {
  it('gives the same sequence for the same seed and labels, and another for other labels', () => {
    const a = streamFor(7, 'user', 3, 'pages');
    const b = streamFor(7, 'user', 3, 'pages');
    const c = streamFor(7, 'user', 4, 'pages');
    const d = streamFor(8, 'user', 3, 'pages');
    const first = Array.from({ length: 20 }, () => a.nextUint32());
    expect(Array.from({ length: 20 }, () => b.nextUint32())).toEqual(first);
    expect(Array.from({ length: 20 }, () => c.nextUint32())).not.toEqual(first);
    expect(Array.from({ length: 20 }, () => d.nextUint32())).not.toEqual(first);
  });

  it('keeps ("user", 12) and ("user1", 2) apart', () => {
    expect(streamFor(1, 'user', 12).nextUint32()).not.toBe(streamFor(1, 'user1', 2).nextUint32());
  });

  it('draws uniforms in [0, 1) with mean 1/2 and whole numbers in range', () => {
    const random = new Random(42);
    let low = 1;
    let high = 0;
    const m = mean(() => {
      const u = random.next();
      low = Math.min(low, u);
      high = Math.max(high, u);
      return u;
    });
    expect(low).toBeGreaterThanOrEqual(0);
    expect(high).toBeLessThan(1);
    expect(m).toBeCloseTo(0.5, 2);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[random.int(3)]! += 1;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('shuffles into a permutation', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = new Random(3).shuffle([...items]);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
  });
});

describe('distributions', () => {
  it('computes Γ', () => {
    expect(gamma(5)).toBeCloseTo(24, 8);
    expect(gamma(0.5)).toBeCloseTo(Math.sqrt(Math.PI), 8);
    expect(gamma(2.25)).toBeCloseTo(1.1330030963193471, 8);
  });

  it('gives the Weibull dwell time its mean: shape 0.8, mean 144 s', () => {
    expect(weibullScale(0.8, 144)).toBeCloseTo(144 / 1.1330030963193471, 6);
    const random = new Random(11);
    // The standard error of the mean is about 0.4 s here: 2 % is many of them.
    expect(Math.abs(mean(() => random.weibull(0.8, 144)) - 144)).toBeLessThan(144 * 0.02);
  });

  it('draws exponentials, log-normals and Paretos with their means', () => {
    const random = new Random(5);
    expect(Math.abs(mean(() => random.exponential(4)) - 4)).toBeLessThan(0.08);
    expect(Math.abs(mean(() => random.lognormal(50, 1)) - 50)).toBeLessThan(50 * 0.03);
    // alpha 3.5: finite variance, so the sample mean settles; mean = minimum (alpha-1)/(alpha-2).
    expect(Math.abs(mean(() => random.pareto(30, 3.5)) - 50)).toBeLessThan(50 * 0.03);
  });

  it('draws Poisson counts with mean and variance λ, small and large', () => {
    const random = new Random(9);
    for (const lambda of [0.5, 50, 1200]) {
      const draws = Array.from({ length: 50_000 }, () => random.poisson(lambda));
      const m = draws.reduce((sum, k) => sum + k, 0) / draws.length;
      const variance = draws.reduce((sum, k) => sum + (k - m) ** 2, 0) / draws.length;
      expect(draws.every((k) => Number.isInteger(k) && k >= 0)).toBe(true);
      expect(Math.abs(m - lambda)).toBeLessThan(Math.max(0.02, lambda * 0.01));
      expect(Math.abs(variance - lambda)).toBeLessThan(Math.max(0.05, lambda * 0.05));
    }
    expect(random.poisson(0)).toBe(0);
  });
});
