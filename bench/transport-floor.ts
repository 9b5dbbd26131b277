/**
 * The transport floor: bare undici posts to the sink, unsigned, through the
 * same undici Pool settings as the @connections client (keep-alive, one
 * socket per post in flight) and the same dispatch handler interface, with
 * nothing else: no signing, no timer, no retries, only the status kept.
 * What any client of the @connections API pays at least for a post on this
 * machine.
 */
import { Pool, type Dispatcher } from 'undici';
import type { ConnectionGateway, DeliveryResult } from '../layers/core/ports/connection-gateway';
import { encodeConnectionId, POST_CONTENT_TYPE } from '../layers/core/push/management-api-client';

class StatusHandler implements Dispatcher.DispatchHandler {
  private status = 0;

  constructor(
    private readonly resolve: (result: DeliveryResult) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(): void {}

  onResponseEnd(): void {
    if (this.status === 410) this.resolve('gone');
    else if (this.status < 300) this.resolve('sent');
    else this.reject(new Error(`sink answered ${this.status}`));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.reject(error);
  }
}

export function transportFloorGateway(endpoint: string, connections: number): { gateway: ConnectionGateway; shutdown(): Promise<void> } {
  const url = new URL(endpoint);
  const prefix = `${url.pathname.replace(/\/+$/, '')}/@connections/`;
  const pool = new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const headers = { 'content-type': POST_CONTENT_TYPE };
  const send = (method: 'POST' | 'DELETE', connectionId: string, body?: Uint8Array): Promise<DeliveryResult> =>
    new Promise((resolve, reject) => {
      pool.dispatch(
        { method, path: prefix + encodeConnectionId(connectionId), headers: body ? headers : undefined, body },
        new StatusHandler(resolve, reject),
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
