/**
 * A real `ws` client for end-to-end tests: records every frame it receives and offers bounded waits,
 * so a missing push fails the test after a few seconds instead of hanging it.
 */
import WebSocket from 'ws';

export type Frame = Record<string, unknown>;

export class TestClient {
  readonly frames: Frame[] = [];
  private waiters: Array<{ match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString()) as Frame;
      } catch {
        frame = { raw: data.toString() };
      }
      this.frames.push(frame);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(frame)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(frame);
        }
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a connection; rejects with the HTTP status when the handshake is refused. */
  static connect(url: string, protocols?: string[]): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, protocols);
      socket.once('open', () => resolve(new TestClient(socket)));
      socket.once('unexpected-response', (_request, response) => {
        reject(Object.assign(new Error(`handshake refused with ${response.statusCode}`), { statusCode: response.statusCode }));
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  /** The HTTP status a refused handshake answered (fails when the connection opens). */
  static async refusal(url: string, protocols?: string[]): Promise<number> {
    try {
      const client = await TestClient.connect(url, protocols);
      client.socket.terminate();
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status) return status;
      throw error;
    }
    throw new Error('the handshake was accepted');
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame (already received or arriving within timeoutMs) that matches. */
  next(match: (frame: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(match);
    if (seen) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (frame: Frame) => {
          clearTimeout(timer);
          this.frames.splice(this.frames.indexOf(frame), 1);
          resolve(frame);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no matching frame within ${timeoutMs} ms; received: ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000);
    else if (this.socket.readyState !== WebSocket.CLOSED) this.socket.terminate();
    await this.closed;
  }
}

export const ofType = (type: string, userId?: string) => (frame: Frame) =>
  frame.type === type && (userId === undefined || frame.userId === userId);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
