/**
 * The readable tables of `npm run cost` and `npm run capacity` (their --json output is the objects
 * themselves).
 */
import type { CapacityResult } from './capacity';
import type { CostReport } from './run';

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function usd(value: number | null, digits = 4): string {
  if (value === null) return 'n/a';
  if (value !== 0 && Math.abs(value) < 10 ** -digits) return `$${value.toExponential(2)}`;
  return `$${value.toFixed(digits)}`;
}

export function count(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function formatCost(report: CostReport): string {
  const out: string[] = [];
  const r = report;
  out.push(`Cost per user-month, profile "${r.profile.name}" (${r.region}, ElastiCache ${r.engine}, list prices, no free tiers)`);
  out.push(
    `measured: ${r.measured.file}, ${r.measured.date}, commit ${r.measured.commit.slice(0, 12)}${r.measured.dirty ? ' (dirty tree)' : ''}`,
  );
  out.push(`${r.profile.connectedHoursPerMonth} connected hours a month per user\n`);
  const total = r.perUserMonth.total;
  out.push(
    table(
      ['component', '$/user-month', 'share'],
      [
        ...Object.entries(r.perUserMonth.components).map(([name, dollars]) => [
          name,
          usd(dollars, 5),
          total > 0 ? `${((100 * dollars) / total).toFixed(1)} %` : '',
        ]),
        ['total (variable, first-tier prices)', usd(total, 5), ''],
      ],
    ),
  );
  out.push(
    `\nmessages per user-month: in ${count(r.messagesPerUserMonth.in)}, out ${count(r.messagesPerUserMonth.out)}, total ${count(r.messagesPerUserMonth.total)}\n`,
  );
  out.push('Lambda per invocation: billed ms measured here and estimated in AWS (CPU share + round trips)');
  out.push(
    table(
      ['function', 'MB', 'invocations/user-month', 'local ms', 'AWS ms', '+cpu', '+redis', '+pg', '+@conn'],
      Object.entries(r.lambda).map(([fn, t]) => [
        fn,
        String(t.memoryMb),
        fn === 'SweepShardFunction' ? '(fixed)' : count(t.invocationsPerUserMonth, 1),
        t.local.billedMs.toFixed(1),
        t.aws.billedMs.toFixed(1),
        t.aws.added.cpu.toFixed(1),
        t.aws.added.redis.toFixed(1),
        t.aws.added.postgres.toFixed(1),
        t.aws.added.management.toFixed(1),
      ]),
    ),
  );
  out.push(
    `GB-s per user-month: measured ${r.lambdaTotals.localGbSeconds.toFixed(3)}, AWS ${r.lambdaTotals.awsGbSeconds.toFixed(3)} + INIT ${r.lambdaTotals.initGbSeconds.toFixed(3)}\n`,
  );
  out.push('Fixed monthly costs (whatever the number of users)');
  out.push(
    table(
      ['item', '$/month', 'quantity', 'note'],
      [
        ...Object.entries(r.fixedMonthly.items).map(([name, item]) => [
          name,
          usd(item.dollars, 2),
          `${count(item.quantity, 2)} ${item.unit}`,
          item.note,
        ]),
        ['total', usd(r.fixedMonthly.total, 2), '', ''],
      ],
    ),
  );
  out.push("\nAt scale (volume tiers on the month's aggregate, fixed costs shared)");
  out.push(
    table(
      ['monthly users', '$/month', '$/user-month'],
      r.atScale.map((s) => [count(s.monthlyUsers), usd(s.totalMonthly, 2), usd(s.perUser, 4)]),
    ),
  );
  out.push('\nThe same profile on managed realtime services (transport only; see each formula in --json)');
  out.push(
    table(
      ['service', ...r.atScale.map((s) => `${count(s.monthlyUsers)} users`), 'sourced'],
      [
        ['this stack', ...r.atScale.map((s) => usd(s.perUser, 4)), 'see prices'],
        ...r.peers.map((p) => [
          p.name,
          ...p.atScale.map((s) => (s.perUser === null ? s.plan.split(' (')[0]! : usd(s.perUser, 4))),
          p.confirmation,
        ]),
      ],
    ),
  );
  const overridden = Object.entries(r.assumptions).filter(([, a]) => a.value !== a.default);
  out.push(
    `\nAssumptions: ${Object.keys(r.assumptions).length} (cost/assumptions.ts)${overridden.length ? `; overridden: ${overridden.map(([n, a]) => `${n}=${a.value}`).join(', ')}` : ''}`,
  );
  const others = Object.entries(r.profiles).filter(([name]) => name !== r.profile.name);
  if (others.length)
    out.push(`Other profiles: ${others.map(([name, p]) => `${name} ${usd(p.perUserMonth.total, 5)}/user-month`).join(', ')}`);
  for (const warning of r.warnings) out.push(`warning: ${warning}`);
  return out.join('\n');
}

export function formatCapacity(c: CapacityResult & { measured: { file: string; date: string; commit: string } }): string {
  const out: string[] = [];
  out.push(`Capacity for ${count(c.online)} users online (${count(c.connections)} connections, ${c.shards} status shards)`);
  out.push(`measured: ${c.measured.file}, ${c.measured.date}, commit ${c.measured.commit.slice(0, 12)}\n`);
  out.push(
    table(
      ['limit', 'rate', 'quota', 'used', 'binds at (online)'],
      c.limits.map((l) => [
        `${l.name}${l.assumed ? ' (assumed)' : ''}`,
        `${count(l.rate, 1)} ${l.unit}`,
        count(l.quota),
        `${(100 * l.utilization).toFixed(1)} %`,
        Number.isFinite(l.bindsAtOnline) ? count(l.bindsAtOnline) : 'never',
      ]),
    ),
  );
  out.push(`\nsteady new connections: ${count(c.steadyNewConnectionsPerSecond, 2)}/s`);
  out.push(
    `Lambda: ${count(c.lambda.environments)} environments (one serves at most 10 invocations/s), ${c.lambda.secondsToScaleFromZero} s to scale to them from none at 1,000 per function every 10 s`,
  );
  out.push(
    `Redis: ${count(c.redis.commandsPerSecond)} commands/s, ${count(c.redis.ecpuPerSecond)} ECPU/s; per shard ${count(c.redis.perShard.commandsPerSecond)} commands/s, ${count(c.redis.perShard.ecpuPerSecond)} ECPU/s`,
  );
  out.push(
    `PostgreSQL: ${count(c.postgres.queriesPerSecondMeasured, 1)} queries/s as measured, up to ${count(c.postgres.queriesPerSecondUpperBound, 1)}/s if every lookup misses the friend cache; ${count(c.postgres.connections)} pooled connections (${c.postgres.note})`,
  );
  const s = c.reconnectStorm;
  out.push(
    `Reconnect storm after an outage: ${count(s.connections)} connections back in ${count(s.secondsUntilAllBack)} s (${count(s.secondsAtNewConnectionQuota)} s at 500 new connections/s, ${count(s.secondsAtThrottle)} s of ${count(s.requests)} requests at the 10,000/s throttle; ${s.bindingLimit} binds); Lambda needs ${count(s.lambdaEnvironmentsAtFullRate)} environments at the full connection rate, ${s.secondsToScaleLambda} s to scale to them`,
  );
  out.push(
    `\nBinds first: ${c.binding.first.name} at ${count(c.binding.first.bindsAtOnline)} users online. Moves it: ${c.binding.first.moves.join('; ')}`,
  );
  if (c.binding.next)
    out.push(
      `Then: ${c.binding.next.name} at ${count(c.binding.next.bindsAtOnline)} users online. Moves it: ${c.binding.next.moves.join('; ')}`,
    );
  for (const warning of c.warnings) out.push(`warning: ${warning}`);
  return out.join('\n');
}
