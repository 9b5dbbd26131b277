/**
 * PostgreSQL for the local stack: DATABASE_URL when given (used as is, nothing created); otherwise an
 * embedded PostgreSQL (PGlite, in memory) with db/schema.sql and the demo users, served over the wire
 * protocol by pglite-socket on a free loopback port, so the handlers' `pg` pool works unchanged. It runs
 * in a worker thread (pglite-worker.mjs), like a database server of its own.
 *
 * PGlite is a single-session database: pglite-socket multiplexes connections message by message, so two
 * clients using the extended protocol at once could interleave. The local stack therefore gives the
 * handlers a pool of one connection (PG_POOL_MAX=1) and reads the demo users from memory, not SQL.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { REPO_ROOT } from '../../template';
import { demoSeedSql } from './demo-data';
import { describeUrl } from './ports';

export interface PostgresBackend {
  url: string;
  embedded: boolean;
  /** For the start-up banner. */
  description: string;
  close(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Apply the demo users and friendships (default true). */
  seed?: boolean;
  /** Keep the data in this directory instead of memory. */
  dataDir?: string;
}

type WorkerMessage = { type: 'ready'; port: number } | { type: 'error'; message: string } | { type: 'stopped' };

async function startEmbedded(options: EmbeddedPostgresOptions): Promise<PostgresBackend> {
  const schema = await readFile(path.join(REPO_ROOT, 'db', 'schema.sql'), 'utf8');
  const worker = new Worker(path.join(__dirname, 'pglite-worker.mjs'), {
    workerData: { sql: options.seed === false ? schema : `${schema}\n${demoSeedSql()}`, dataDir: options.dataDir, maxConnections: 8 },
  });
  const next = () =>
    new Promise<WorkerMessage>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the embedded PostgreSQL worker exited with code ${code}`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (message: WorkerMessage) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        resolve(message);
      });
    });
  const ready = await next().catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  if (ready.type !== 'ready') {
    await worker.terminate();
    throw new Error(`The embedded PostgreSQL (PGlite) failed to start: ${ready.type === 'error' ? ready.message : ready.type}`);
  }
  return {
    url: `postgres://postgres@127.0.0.1:${ready.port}/postgres`,
    embedded: true,
    description: `embedded PostgreSQL (PGlite ${options.dataDir ? `in ${options.dataDir}` : 'in memory'}) on 127.0.0.1:${ready.port}${options.seed === false ? '' : ', demo users seeded'}`,
    close: async () => {
      const stopped = next().catch(() => undefined);
      worker.postMessage({ type: 'stop' });
      // A worker stuck in WASM is cut after 3 s rather than holding the shutdown.
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
      await worker.terminate();
    },
  };
}

export async function startPostgres(url: string | undefined, options: EmbeddedPostgresOptions = {}): Promise<PostgresBackend> {
  if (url) return { url, embedded: false, description: `DATABASE_URL ${describeUrl(url)}`, close: async () => undefined };
  return startEmbedded(options);
}
