/**
 * The transport floor: bare undici posts to the sink, unsigned, through the
 * same undici Pool settings as the lean client (keep-alive, one socket per
 * post in flight) and the same minimal response handling. What any client
 * of the @connections API pays at least for a post on this machine.
 */
import { Pool, type Dispatcher } from 'undici';
import type { ConnectionGateway, DeliveryResult } from '../layers/core/ports/connection-gateway';
import { encodeConnectionId, POST_CONTENT_TYPE } from '../layers/core/push/management-api-client';

class StatusHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  constructor(private readonly done: (error: Error | null, status: number) => void) {}
  onConnect(): void {}
  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }
  onData(): boolean {
    return true;
  }
  onComplete(): void {
    this.done(null, this.status);
  }
  onError(error: Error): void {
    this.done(error, 0);
  }
}

export function transportFloorGateway(endpoint: string, connections: number): { gateway: ConnectionGateway; shutdown(): Promise<void> } {
  const url = new URL(endpoint);
  const prefix = `${url.pathname.replace(/\/+$/, '')}/@connections/`;
  const pool = new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const send = (method: 'POST' | 'DELETE', connectionId: string, body?: Uint8Array): Promise<DeliveryResult> =>
    new Promise((resolve, reject) => {
      const headers = body ? { 'content-type': POST_CONTENT_TYPE, 'content-length': String(body.byteLength) } : undefined;
      pool.dispatch(
        { method, path: prefix + encodeConnectionId(connectionId), headers, body },
        new StatusHandler((error, status) => {
          if (error) reject(error);
          else if (status === 410) resolve('gone');
          else if (status < 300) resolve('sent');
          else reject(new Error(`sink answered ${status}`));
        }),
      );
    });
  return {
    gateway: {
      post: (connectionId, data) => send('POST', connectionId, data),
      close: (connectionId) => send('DELETE', connectionId),
    },
    shutdown: () => pool.close(),
  };
}
