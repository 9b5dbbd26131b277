/**
 * What the meter reports from template.yaml beside the counts: each function's memory size and
 * architecture, and the state machines' Type, from the stack the local runtime read, so a change to the
 * template shows in the meter without a second list.
 */
import type { LocalStackSpec } from '../../template';
import type { MeteredFunction } from './meter';

export interface TemplateFacts {
  functions: MeteredFunction[];
  stepFunctionsType: string;
}

export function templateFacts(stack: Pick<LocalStackSpec, 'functions' | 'stateMachines'>): TemplateFacts {
  return {
    functions: [...stack.functions.values()].map(({ logicalId, memoryMb, architecture }) => ({ logicalId, memoryMb, architecture })),
    stepFunctionsType: [...new Set(stack.stateMachines.map((machine) => machine.type))].join(', ') || 'none',
  };
}
