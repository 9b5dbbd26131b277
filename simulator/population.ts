/**
 * The simulated population: users with Cognito-like ids (UUIDs, so frames and keys have their real
 * size), names, a sharing rule, a client type drawn from the mix, and the friend graph. Everything is
 * drawn from the seed: the same parameters give the same population.
 */
import { createHash } from 'node:crypto';
import type { ClientKind } from './clients/kinds';
import { drawDegrees, graphStats, pairStubs, type FriendGraph, type GraphStats } from './graph';
import { POOL_DOMAINS } from './pages';
import type { SimulationParams } from './params';
import { streamFor, type Random } from './random';

export interface SimulatedUserSpec {
  index: number;
  userId: string;
  email: string;
  firstName: string;
  lastName: string;
  shareMode: 'default_all' | 'default_none';
  allow: string[];
  clientKind: ClientKind;
}

export interface Population {
  users: SimulatedUserSpec[];
  graph: FriendGraph;
  stats: GraphStats;
  /** sha256 of the user ids and edges: equal for equal seeds and parameters. */
  fingerprint: string;
}

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Radia', 'Linus', 'Frances', 'Tim', 'Hedy', 'Guido', 'Sophie', 'Dennis'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Perlman', 'Torvalds', 'Allen', 'Berners-Lee', 'Lamarr', 'van Rossum', 'Wilson', 'Ritchie'];

/** A version-4-shaped UUID from the stream (deterministic, unlike crypto.randomUUID). */
function uuid(random: Random): string {
  const hex = Array.from({ length: 4 }, () => random.nextUint32().toString(16).padStart(8, '0')).join('');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The client type of a user: the mix's shares laid end to end, one uniform draw. */
export function drawClientKind(mix: SimulationParams['mix'], random: Random): ClientKind {
  const draw = random.next();
  let cumulative = 0;
  const entries = Object.entries(mix) as Array<[ClientKind, number]>;
  for (const [kind, share] of entries) {
    cumulative += share;
    if (draw < cumulative) return kind;
  }
  return entries[entries.length - 1]![0];
}

export function buildPopulation(params: Pick<SimulationParams, 'users' | 'seed' | 'degree' | 'privateShare' | 'mix'>): Population {
  const people = streamFor(params.seed, 'population');
  const users: SimulatedUserSpec[] = [];
  for (let index = 0; index < params.users; index++) {
    const firstName = people.pick(FIRST_NAMES);
    const lastName = people.pick(LAST_NAMES);
    const isPrivate = people.chance(params.privateShare);
    users.push({
      index,
      userId: uuid(people),
      email: `${firstName}.${lastName}.${index}@example.test`.toLowerCase().replace(/ /g, ''),
      firstName,
      lastName,
      shareMode: isPrivate ? 'default_none' : 'default_all',
      allow: isPrivate ? [...new Set([people.pick(POOL_DOMAINS), people.pick(POOL_DOMAINS), people.pick(POOL_DOMAINS)])] : [],
      clientKind: drawClientKind(params.mix, people),
    });
  }
  const graphStream = streamFor(params.seed, 'graph');
  const graph = pairStubs(drawDegrees(params.users, params.degree, graphStream), graphStream);
  const hash = createHash('sha256');
  for (const user of users) hash.update(`${user.userId}\n`);
  for (const [a, b] of graph.edges) hash.update(`${a}-${b}\n`);
  return { users, graph, stats: graphStats(graph), fingerprint: hash.digest('hex') };
}
