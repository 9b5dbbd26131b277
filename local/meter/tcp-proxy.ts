/**
 * A loopback TCP proxy that shows every chunk to a tap on its way through: the meter's view of what
 * the handlers send to Redis and PostgreSQL. Each accepted connection gets its own upstream connection
 * and its own tap; bytes are forwarded as they are (with backpressure), never changed or held back.
 * A reset on either side resets the other, so clients see the same faults they would without it.
 */
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface WireTap {
  clientData(chunk: Buffer): void;
  serverData(chunk: Buffer): void;
}

export interface TcpProxy {
  port: number;
  close(): Promise<void>;
}

/** The longest the proxy waits for the upstream's TCP handshake before dropping the client. */
const UPSTREAM_CONNECT_TIMEOUT_MS = 5000;

export async function startTcpProxy(target: { host: string; port: number }, tapFor: () => WireTap): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({ host: target.host, port: target.port, noDelay: true });
    track(client);
    track(upstream);
    const tap = tapFor();
    upstream.setTimeout(UPSTREAM_CONNECT_TIMEOUT_MS, () => upstream.destroy(new Error('upstream connect timeout')));
    upstream.once('connect', () => upstream.setTimeout(0));
    client.on('data', (chunk: Buffer) => tap.clientData(chunk));
    upstream.on('data', (chunk: Buffer) => tap.serverData(chunk));
    client.pipe(upstream);
    upstream.pipe(client);
    // An abrupt end on one side ends the other abruptly too (a reset stays a reset); a clean end is passed
    // on by pipe(), after the data before it.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', (hadError) => {
      if (hadError || !upstream.writableEnded) upstream.destroy();
    });
    upstream.on('close', (hadError) => {
      if (hadError) client.destroy();
      else client.end();
    });
  });
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
