import { PushError } from '../../../layers/core/push/push-error';
import type { ConnectionGateway, DeliveryResult } from '../../../layers/core/ports/connection-gateway';
import { RecordingConnections } from '../recording-connections';

/**
 * A ConnectionGateway over RecordingConnections, without HTTP: connections the test opened receive
 * frames, anything else is gone (410), as in AWS. A connection marked `failing` rejects with a
 * PushError (throttled, retries spent); `hold()` keeps pushes waiting, to stage what happens while a
 * fan-out is in flight.
 */
export class RecordingGateway implements ConnectionGateway {
  readonly sockets = new RecordingConnections();
  private readonly failing = new Set<string>();
  private held: Promise<void> | null = null;
  /** Requests waiting behind `hold()`. */
  waiting = 0;

  open(...connectionIds: string[]): void {
    this.sockets.open(...connectionIds);
  }

  /** Every push to (and close of) these connections fails until `recover`. */
  fail(...connectionIds: string[]): void {
    for (const id of connectionIds) this.failing.add(id);
  }

  recover(): void {
    this.failing.clear();
  }

  /** Pushes and closes wait from now on; the function returned lets them (and later ones) through. */
  hold(): () => void {
    let release!: () => void;
    this.held = new Promise((resolve) => (release = resolve));
    return () => {
      this.held = null;
      release();
    };
  }

  async post(connectionId: string, data: Uint8Array): Promise<DeliveryResult> {
    await this.request(connectionId);
    return this.sockets.send(connectionId, Buffer.from(data)) ? 'sent' : 'gone';
  }

  async close(connectionId: string): Promise<DeliveryResult> {
    await this.request(connectionId);
    return this.sockets.close(connectionId) ? 'sent' : 'gone';
  }

  /** Frames a connection received so far, parsed; `take` also empties its inbox. */
  frames(connectionId: string): unknown[] {
    return this.sockets.frames(connectionId);
  }

  take(connectionId: string): unknown[] {
    return this.sockets.take(connectionId);
  }

  private async request(connectionId: string): Promise<void> {
    if (this.held) {
      this.waiting++;
      await this.held;
      this.waiting--;
    }
    if (this.failing.has(connectionId)) {
      throw new PushError('Rate exceeded', { status: 429, code: 'ThrottlingException', retryable: true, throttling: true });
    }
  }
}
