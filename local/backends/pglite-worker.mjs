// The embedded PostgreSQL of the local stack, in a worker thread: PGlite (PostgreSQL compiled to WASM)
// served over the PostgreSQL wire protocol by pglite-socket on a free loopback port.
//
// Plain JavaScript on purpose: a worker runs outside any TypeScript loader or test sandbox (Jest cannot
// load PGlite in its VM, which lacks dynamic import), and a thread of its own keeps WASM query work
// off the event loop that serves the WebSocket and REST gateways, like a separate database server.
//
// workerData: { sql: string (schema and seed, run once), dataDir?: string, maxConnections: number }
// Messages out: { type: 'ready', port } | { type: 'error', message } | { type: 'stopped' }; in: { type: 'stop' }.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * workerData with its shape checked, so a wrong one is a clear 'error' message rather than a PGlite failure further on.
 *
 * @param {unknown} data
 * @returns {{ sql: string, dataDir?: string, maxConnections: number }}
 */
function optionsOf(data) {
  const { sql, dataDir, maxConnections } = /** @type {Record<string, unknown>} */ (data ?? {});
  if (typeof sql !== 'string' || typeof maxConnections !== 'number' || !(dataDir === undefined || typeof dataDir === 'string')) {
    throw new TypeError('pglite-worker: workerData must be { sql: string, dataDir?: string, maxConnections: number }');
  }
  return { sql, dataDir, maxConnections };
}

/** @type {PGlite | undefined} */
let db;
/** @type {PGLiteSocketServer | undefined} */
let server;
try {
  const options = optionsOf(workerData);
  db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  await db.exec(options.sql);
  server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: options.maxConnections });
  await server.start();
  parentPort.postMessage({ type: 'ready', port: Number(server.getServerConn().split(':').pop()) });
} catch (error) {
  parentPort.postMessage({ type: 'error', message: error instanceof Error ? error.stack || error.message : String(error) });
}

async function stop() {
  await server?.stop().catch(() => undefined);
  await db?.close().catch(() => undefined);
  parentPort.postMessage({ type: 'stopped' });
  parentPort.close();
}

parentPort.on('message', (/** @type {{ type?: string } | undefined} */ message) => {
  // The parent waits for the 'stopped' message, not for this listener.
  if (message?.type === 'stop') void stop();
});
