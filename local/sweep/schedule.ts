/** EventBridge `rate(...)` expressions as milliseconds (cron expressions are not emulated). */

const UNITS: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

export function rateToMs(expression: string): number | undefined {
  const match = /^rate\(\s*(\d+)\s+([a-z]+)\s*\)$/.exec(expression.trim());
  if (!match) return undefined;
  const unit = UNITS[match[2]!];
  const value = Number(match[1]);
  return unit && value > 0 ? value * unit : undefined;
}
