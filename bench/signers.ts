/**
 * Our SigV4 signer (layers/core/push/sigv4.ts) against the AWS SDK's (@smithy/signature-v4), the way
 * Lambda bills them: `npm run bench -- --scenario signers [--invocations N] [--json]`, and a step of the
 * full run. In one Lambda-shaped environment (bench/lambda-environment.ts, the update-presence
 * function's template environment), fan-outs of one update to 200 friends (201 signed posts) run one
 * at a time, taking turns between the two signers and the floor (the same posts over bare undici,
 * unsigned). Cold start: each signer's load time in fresh Node processes, taking turns too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type { Bench } from './fixtures';
import { billedMs, distribution, type Distribution } from './lambda-report';
import { startLambdaEnvironment } from './lambda-process';
import { lambdaEnvironment } from './lambda';
import { templateFunction } from './lambda-template';
import type { FanOutEvent, SignerName } from './signer-fan-out';

export interface SignerFigures {
  billedMs: Distribution;
  cpuMs: Distribution;
}

export interface SignerComparison {
  posts: number;
  invocations: number;
  ours: SignerFigures;
  smithy: SignerFigures;
  floor: SignerFigures;
  /** (SDK's mean billed ms - ours) / ours. */
  billedDifference: number;
  /** Loading each signer's code in a fresh Node process (ours: its esbuild bundle, as a function bundle inlines it). */
  loadMs: { ours: Distribution; smithy: Distribution; processes: number };
  errors: number;
}

/**
 * The one-line script a fresh Node process runs: the time to require `file`, node:crypto loaded first
 * (the client hashes every payload with it, whichever signer it uses).
 */
const loadScript = (file: string): string =>
  `require('node:crypto'); const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;

function loadTimes(processes: number): SignerComparison['loadMs'] {
  const dir = mkdtempSync(join(tmpdir(), 'presence-signers-'));
  try {
    const ours = join(dir, 'sigv4.js');
    const bundle = buildSync({
      entryPoints: [join(__dirname, '..', 'layers', 'core', 'push', 'sigv4.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
    });
    writeFileSync(ours, bundle.outputFiles[0]!.contents);
    const files: Record<SignerName, string> = { ours, smithy: require.resolve('@smithy/signature-v4') };
    const times: Record<SignerName, number[]> = { ours: [], smithy: [] };
    for (let i = 0; i < processes; i++) {
      for (const name of (i % 2 === 0 ? ['ours', 'smithy'] : ['smithy', 'ours']) as SignerName[]) {
        const run = spawnSync(process.execPath, ['-e', loadScript(files[name])], { encoding: 'utf8' });
        if (run.status !== 0) throw new Error(`loading ${files[name]} failed: ${run.stderr}`);
        times[name].push(Number(run.stdout));
      }
    }
    return { ours: distribution(times.ours), smithy: distribution(times.smithy), processes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function compareSigners(b: Bench): Promise<SignerComparison> {
  b.log('signers: fan-outs to 200 friends, one at a time, our SigV4 against @smithy/signature-v4');
  const { invocations, warmups } = b.settings.lambda;
  const posts = 201;
  const fn = templateFunction('UpdatePresenceFunction', {});
  const environment = startLambdaEnvironment(lambdaEnvironment(b, fn, {}));
  const samples: Record<SignerName | 'floor', { wallMs: number; cpuUs: number }[]> = { ours: [], smithy: [], floor: [] };
  let errors = 0;
  try {
    await environment.request(
      {
        type: 'init',
        entryFile: join(__dirname, 'signer-fan-out.ts'),
        exportName: 'handler',
        functionName: fn.logicalId,
        memoryMb: fn.memoryMb,
      },
      'ready',
    );
    for (let i = 0; i < warmups + invocations; i++) {
      // Each signer goes first, second and last equally often.
      const order = (['ours', 'smithy', 'floor'] as const).map((_, k, all) => all[(i + k) % all.length]!);
      for (const step of order) {
        const reply =
          step === 'floor'
            ? (await environment.request({ type: 'floor', id: i, work: { redisRoundTrips: 0, pgQueries: 0, posts, closes: 0 } }, 'floor'))
                .reply
            : (
                await environment.request(
                  {
                    type: 'invoke',
                    id: i,
                    event: { signer: step, posts, seq: i } satisfies FanOutEvent,
                    timeoutMs: fn.timeoutSeconds * 1000,
                  },
                  'invoked',
                )
              ).reply;
        const failed = reply.error !== undefined || (reply.type === 'invoked' && (reply.outcome as { sent?: number }).sent !== posts);
        if (failed) {
          errors++;
          if (errors <= 3) b.log(`  ${step} ${i}: ${reply.error ?? JSON.stringify(reply.type === 'invoked' ? reply.outcome : undefined)}`);
        }
        if (i >= warmups) samples[step].push({ wallMs: reply.wallMs, cpuUs: reply.cpuUs });
      }
    }
  } finally {
    await environment.close();
  }
  const figures = (list: { wallMs: number; cpuUs: number }[]): SignerFigures => ({
    billedMs: distribution(list.map((s) => billedMs(s.wallMs))),
    cpuMs: distribution(list.map((s) => s.cpuUs / 1000)),
  });
  const ours = figures(samples.ours);
  const smithy = figures(samples.smithy);
  const comparison: SignerComparison = {
    posts,
    invocations,
    ours,
    smithy,
    floor: figures(samples.floor),
    billedDifference: (smithy.billedMs.mean - ours.billedMs.mean) / ours.billedMs.mean,
    loadMs: loadTimes(b.settings.smoke ? 2 : 10),
    errors,
  };
  b.signers = comparison;
  return comparison;
}

export function printSignerComparison(log: (line: string) => void, c: SignerComparison): void {
  const row = (name: string, f: SignerFigures, load?: Distribution): string =>
    `| ${name} | ${f.billedMs.median} / ${f.billedMs.p90} / ${f.billedMs.mean.toFixed(2)} | ${f.cpuMs.mean.toFixed(2)} | ${load ? `${load.median.toFixed(1)} ms` : ''} |`;
  log('');
  log(`## Signers: one fan-out of ${c.posts} signed posts per invocation, one at a time (${c.invocations} each, taking turns)`);
  log('');
  log('| Signer | billed ms median / p90 / mean | CPU ms mean | load in a fresh process (median) |');
  log('|---|--:|--:|--:|');
  log(row('layers/core/push/sigv4.ts', c.ours, c.loadMs.ours));
  log(row('@smithy/signature-v4', c.smithy, c.loadMs.smithy));
  log(row('floor: the same posts over bare undici, unsigned', c.floor));
  log('');
  log(
    `The SDK's signer bills ${(100 * c.billedDifference).toFixed(1)} % ${c.billedDifference >= 0 ? 'more' : 'less'} per fan-out (mean); loading it costs ${(c.loadMs.smithy.median - c.loadMs.ours.median).toFixed(1)} ms more at cold start (${c.loadMs.processes} processes each).${c.errors ? ` ${c.errors} ERRORS.` : ''}`,
  );
}
