/**
 * npm run cost: dollars per user-month by component, fixed monthly costs, the bill at 1,000, 100,000
 * and 1,000,000 monthly users, and the same profile at the peers' list prices.
 *
 *   npm run cost [-- --profile <name>] [--measured <file>] [--engine valkey|redis-oss] [--assume name=value] [--json]
 *
 * Exit code 0, or 2 with one line on stderr when the options or the measured file are wrong.
 */
import { COMMON_USAGE, parseCommon } from './options';
import { formatCost } from './report';
import { buildCostReport } from './run';

const USAGE = `Usage: npm run cost [-- options]\n${COMMON_USAGE}`;

function main(argv: string[]): number {
  const { options, json, help } = parseCommon(argv);
  if (help) {
    console.log(USAGE);
    return 0;
  }
  const report = buildCostReport(options);
  console.log(json ? JSON.stringify(report, null, 2) : formatCost(report));
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  console.error(`cost: ${(error as Error).message}`);
  process.exitCode = 2;
}
