/**
 * A TCP proxy on a loopback port in front of a real service (PostgreSQL, a private redis-server), so
 * fault tests can break the network the way production does, without mocks:
 *
 *   reset()      every open connection is cut with a TCP RST (ECONNRESET on both sides); new ones pass
 *   refuse()     the port stops listening: new connections are refused (ECONNREFUSED); open ones are reset
 *   blackhole()  open and new connections stay up but nothing flows either way (a partition: TCP keeps
 *                what was sent and delivers it late when the network heals, it never drops bytes of a stream)
 *   restore()    back to forwarding
 *
 * The proxy keeps its port across refuse()/restore(), so clients reconnect to the same address.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

type Mode = 'forward' | 'blackhole' | 'refuse';

interface Link {
  client: Socket;
  /** Not yet connected while a connection that arrived during a blackhole waits for restore(). */
  upstream?: Socket;
}

export class FaultProxy {
  private server?: Server;
  private mode: Mode = 'forward';
  private readonly links = new Set<Link>();
  private listenPort = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
    const proxy = new FaultProxy(targetHost, targetPort);
    await proxy.listen();
    return proxy;
  }

  get port(): number {
    return this.listenPort;
  }

  /** Connections currently open through the proxy. */
  get connections(): number {
    return this.links.size;
  }

  private listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => {
        server.off('error', reject);
        this.listenPort = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private accept(client: Socket): void {
    const link: Link = { client };
    this.links.add(link);
    client.on('error', () => this.drop(link));
    client.on('close', () => this.drop(link));
    if (this.mode === 'blackhole') client.pause();
    else this.connectUpstream(link);
  }

  private connectUpstream(link: Link): void {
    const { client } = link;
    const upstream = connect({ host: this.targetHost, port: this.targetPort });
    link.upstream = upstream;
    upstream.on('error', () => this.drop(link));
    upstream.on('close', () => this.drop(link));
    client.on('data', (data) => upstream.write(data));
    upstream.on('data', (data) => client.write(data));
  }

  private drop(link: Link): void {
    if (!this.links.delete(link)) return;
    link.client.destroy();
    link.upstream?.destroy();
  }

  private resetAll(): void {
    const reset = (socket: Socket | undefined) => {
      if (!socket) return;
      // A socket that is already ending (its peer said goodbye) is simply destroyed: resetting it half-closed spins Node 20.
      if (socket.destroyed || socket.readyState !== 'open') socket.destroy();
      else socket.resetAndDestroy();
    };
    for (const { client, upstream } of this.links) {
      reset(client);
      reset(upstream);
    }
    this.links.clear();
  }

  reset(): void {
    this.resetAll();
  }

  async refuse(): Promise<void> {
    this.mode = 'refuse';
    this.resetAll();
    await this.closeServer();
  }

  blackhole(): void {
    this.mode = 'blackhole';
    for (const { client, upstream } of this.links) {
      client.pause();
      upstream?.pause();
    }
  }

  async restore(): Promise<void> {
    const previous = this.mode;
    this.mode = 'forward';
    if (previous === 'refuse') await this.listen();
    for (const link of this.links) {
      if (!link.upstream) this.connectUpstream(link);
      link.client.resume();
      link.upstream!.resume();
    }
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  async close(): Promise<void> {
    this.resetAll();
    await this.closeServer();
  }
}
