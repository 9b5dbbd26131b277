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

let db;
let server;
try {
  db = await PGlite.create(workerData.dataDir ? { dataDir: workerData.dataDir } : {});
  await db.exec(workerData.sql);
  server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: workerData.maxConnections });
  await server.start();
  parentPort.postMessage({ type: 'ready', port: Number(server.getServerConn().split(':').pop()) });
} catch (error) {
  parentPort.postMessage({ type: 'error', message: error instanceof Error ? error.stack || error.message : String(error) });
}

parentPort.on('message', async (message) => {
  if (message?.type !== 'stop') return;
  await server?.stop().catch(() => undefined);
  await db?.close().catch(() => undefined);
  parentPort.postMessage({ type: 'stopped' });
  parentPort.close();
});
