/** The `--stack <REST port>` option every local command takes, and the stack it selects. */
import { selectStack, type StackRecord } from '../stacks';

export const STACK_OPTION = { stack: { type: 'string' } } as const;

export const STACK_USAGE = '--stack <REST port> picks one of several running stacks (so do PORT / WS_PORT)';

export function chosenStack(stack: string | undefined): StackRecord {
  return selectStack({ stack, env: process.env });
}

/** The stack's servers on 127.0.0.1 (where they listen), whatever host name the banner printed. */
export function loopback(stack: StackRecord): { rest: string; websocket: string } {
  return { rest: `http://127.0.0.1:${stack.ports.rest}`, websocket: `ws://127.0.0.1:${stack.ports.websocket}` };
}
