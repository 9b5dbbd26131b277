/** Argument parsing shared by the commands, with Redis's own error messages (clients and tests match on them). */
import type { ScoreBound } from './sorted-set';
import { CommandError } from './store';

export const SYNTAX = 'ERR syntax error';

export function integer(text: string): number {
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new CommandError('ERR value is not an integer or out of range');
  return Number(text);
}

/** A score: a decimal, or inf/+inf/-inf (any case). NaN is refused, as by Redis. */
export function float(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  const value = text.trim() === text && text !== '' ? Number(text) : NaN;
  if (Number.isNaN(value)) throw new CommandError('ERR value is not a valid float');
  return value;
}

/** A ZRANGEBYSCORE bound: a score, `(score` for exclusive. */
export function scoreBound(text: string): ScoreBound {
  const exclusive = text.startsWith('(');
  try {
    return { value: float(exclusive ? text.slice(1) : text), exclusive };
  } catch {
    throw new CommandError('ERR min or max is not a float');
  }
}

/** How Redis prints a score in a bulk reply: integers without a fraction, infinities as inf/-inf. */
export function formatScore(score: number): string {
  if (score === Infinity) return 'inf';
  if (score === -Infinity) return '-inf';
  return String(score);
}

/** Redis glob (KEYS, SCAN MATCH): `*`, `?`, `[abc]`, `[^a-z]`, and `\` escaping the next character. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if (c === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]!);
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      source += `[${negate ? '^' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`;
      i = close;
    } else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
