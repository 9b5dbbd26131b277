/** The friend graph: degree distributions with their means, and a configuration-model pairing without self-loops or duplicates. */
import { drawDegree, drawDegrees, graphStats, pairStubs, type DegreeDistribution } from '../../simulator/graph';
import { buildPopulation } from '../../simulator/population';
import { Random, streamFor } from '../../simulator/random';

function meanDegree(distribution: DegreeDistribution, n = 100_000): number {
  const random = new Random(17);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += drawDegree(distribution, random);
  return sum / n;
}

function expectSimple(graph: ReturnType<typeof pairStubs>): void {
  const keys = new Set<string>();
  for (const [a, b] of graph.edges) {
    expect(a).toBeLessThan(b);
    keys.add(`${a}-${b}`);
  }
  expect(keys.size).toBe(graph.edges.length);
  graph.friends.forEach((friends, user) => {
    expect(friends).not.toContain(user);
    expect(new Set(friends).size).toBe(friends.length);
    for (const friend of friends) expect(graph.friends[friend]).toContain(user);
  });
}

describe('degree distributions', () => {
  it.each([
    ['fixed', { name: 'fixed', mean: 50 }, 0],
    ['poisson', { name: 'poisson', mean: 50 }, 0.01],
    ['lognormal', { name: 'lognormal', mean: 50, sigma: 1 }, 0.03],
    ['powerlaw', { name: 'powerlaw', mean: 50, alpha: 3.5 }, 0.03],
  ] as Array<[string, DegreeDistribution, number]>)('%s draws degrees with the requested mean', (_name, distribution, tolerance) => {
    expect(Math.abs(meanDegree(distribution) - 50)).toBeLessThanOrEqual(50 * tolerance + 0.5);
  });

  it('gives the heavy-tailed distributions a tail the others lack', () => {
    const largest = (distribution: DegreeDistribution) => {
      const random = new Random(2);
      return Math.max(...Array.from({ length: 10_000 }, () => drawDegree(distribution, random)));
    };
    expect(largest({ name: 'fixed', mean: 20 })).toBe(20);
    expect(largest({ name: 'poisson', mean: 20 })).toBeLessThan(45);
    expect(largest({ name: 'lognormal', mean: 20, sigma: 1 })).toBeGreaterThan(150);
    expect(largest({ name: 'powerlaw', mean: 20, alpha: 2.5 })).toBeGreaterThan(300);
  });

  it('caps each degree at the other users there are and keeps the sum even', () => {
    const degrees = drawDegrees(30, { name: 'powerlaw', mean: 12, alpha: 2.2 }, new Random(4));
    expect(Math.max(...degrees)).toBeLessThanOrEqual(29);
    expect(degrees.reduce((sum, degree) => sum + degree, 0) % 2).toBe(0);
  });
});

describe('configuration model', () => {
  it('pairs a fixed degree of 50 among 200 users into a simple graph with every stub used', () => {
    const random = streamFor(1, 'graph');
    const graph = pairStubs(drawDegrees(200, { name: 'fixed', mean: 50 }, random), random);
    expectSimple(graph);
    const stats = graphStats(graph);
    expect(stats).toEqual({ edges: 5000, meanDegree: 50, maxDegree: 50, minDegree: 50, isolated: 0 });
  });

  it.each(['poisson', 'lognormal', 'powerlaw'] as const)('keeps a %s graph simple and close to its drawn degrees', (name) => {
    const random = streamFor(3, name);
    const degrees = drawDegrees(500, { name, mean: 20 }, random);
    const graph = pairStubs(degrees, random);
    expectSimple(graph);
    const drawn = degrees.reduce((sum, degree) => sum + degree, 0) / degrees.length;
    graph.friends.forEach((friends, user) => expect(friends.length).toBeLessThanOrEqual(degrees[user]!));
    expect(graphStats(graph).meanDegree).toBeGreaterThan(drawn * 0.99);
  });

  it('draws the same population and graph from the same seed, and another from another seed', () => {
    const params = { users: 100, seed: 5, degree: { name: 'poisson', mean: 10 } as DegreeDistribution, privateShare: 0.2, mix: { legacy: 1 } };
    const one = buildPopulation(params);
    const two = buildPopulation(params);
    expect(two.fingerprint).toBe(one.fingerprint);
    expect(two.graph.edges).toEqual(one.graph.edges);
    expect(two.users).toEqual(one.users);
    expect(buildPopulation({ ...params, seed: 6 }).fingerprint).not.toBe(one.fingerprint);
    expect(new Set(one.users.map((user) => user.userId)).size).toBe(100);
    for (const user of one.users) expect(user.userId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const privateUsers = one.users.filter((user) => user.shareMode === 'default_none');
    expect(privateUsers.length).toBeGreaterThan(5);
    for (const user of privateUsers) expect(user.allow.length).toBeGreaterThan(0);
  });
});
