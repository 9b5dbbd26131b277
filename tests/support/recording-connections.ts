import type { ConnectionRegistry } from '../../local/management-api';

/**
 * Stands in for the sockets behind API Gateway: connections the test opened
 * receive frames; anything else is gone (410), as in AWS.
 */
export class RecordingConnections implements ConnectionRegistry {
  private readonly inboxes = new Map<string, Buffer[]>();
  readonly closed: string[] = [];
  posts = 0;

  open(...connectionIds: string[]): void {
    for (const id of connectionIds) this.inboxes.set(id, []);
  }

  /** Simulates a socket that died without API Gateway telling us ($disconnect lost). */
  drop(connectionId: string): void {
    this.inboxes.delete(connectionId);
  }

  send(connectionId: string, data: Buffer): boolean {
    this.posts++;
    const inbox = this.inboxes.get(connectionId);
    if (!inbox) return false;
    inbox.push(data);
    return true;
  }

  close(connectionId: string): boolean {
    if (!this.inboxes.has(connectionId)) return false;
    this.inboxes.delete(connectionId);
    this.closed.push(connectionId);
    return true;
  }

  describe(connectionId: string) {
    return this.inboxes.has(connectionId) ? { connectedAt: 0, sourceIp: '127.0.0.1', lastActiveAt: 0 } : undefined;
  }

  isOpen(connectionId: string): boolean {
    return this.inboxes.has(connectionId);
  }

  /** Frames received so far, parsed; `take` also empties the inbox. */
  frames(connectionId: string): unknown[] {
    return (this.inboxes.get(connectionId) ?? []).map((data) => JSON.parse(data.toString('utf8')) as unknown);
  }

  take(connectionId: string): unknown[] {
    const frames = this.frames(connectionId);
    this.inboxes.get(connectionId)?.splice(0);
    return frames;
  }

  clearAll(): void {
    for (const inbox of this.inboxes.values()) inbox.splice(0);
    this.closed.splice(0);
    this.posts = 0;
  }
}
