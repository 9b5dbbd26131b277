/**
 * A real `ws` client for end-to-end tests: records every frame it receives and offers bounded waits,
 * so a missing push fails the test after a few seconds instead of hanging it.
 */
import WebSocket from 'ws';

export type Frame = Record<string, unknown>;

/** What the server answers a text frame that is not JSON ($default's error frame). */
export const NOT_JSON_ANSWER: Frame = { type: 'error', message: 'Message is not valid JSON' };

/** A handshake the server refused: its HTTP status and body. */
export interface Refusal {
  statusCode: number;
  body: string;
}

export class TestClient {
  /** Frames not yet taken by next(). */
  readonly frames: Frame[] = [];
  /** Every frame received, in arrival order (next() takes nothing from here). */
  readonly received: Frame[] = [];
  private waiters: Array<{ match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }> = [];
  private readonly listeners = new Set<() => void>();
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    // ws's default binaryType ('nodebuffer') delivers every message as one Buffer.
    socket.on('message', (data: Buffer) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString()) as Frame;
      } catch {
        frame = { raw: data.toString() };
      }
      this.frames.push(frame);
      this.received.push(frame);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(frame)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(frame);
        }
      }
      for (const listener of [...this.listeners]) listener();
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

  /** The status and body of a refused handshake (fails when the connection opens). */
  static refusalWithBody(url: string, protocols?: string[]): Promise<Refusal> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, protocols);
      socket.once('open', () => {
        socket.terminate();
        reject(new Error('the handshake was accepted'));
      });
      socket.once('unexpected-response', (_request, response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.once('end', () => resolve({ statusCode: response.statusCode ?? 0, body }));
        response.once('error', reject);
      });
      socket.once('error', reject);
    });
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
    return this.arriving(match, timeoutMs);
  }

  /** The first frame arriving from now on (within timeoutMs) that matches. */
  private arriving(match: (frame: Frame) => boolean, timeoutMs: number): Promise<Frame> {
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

  /**
   * The frames received since `mark` (an earlier `received.length`) once `done` holds for them, checked
   * now and on every frame; they are taken from `frames`, so a later next() cannot match them again.
   */
  receivedSince(mark: number, done: (frames: Frame[]) => boolean, timeoutMs = 5000): Promise<Frame[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const since = this.received.slice(mark);
        if (!done(since)) return;
        finish();
        for (const frame of since) if (this.frames.includes(frame)) this.frames.splice(this.frames.indexOf(frame), 1);
        resolve(since);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`frames since ${mark} within ${timeoutMs} ms did not complete: ${JSON.stringify(this.received.slice(mark))}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /**
   * Sends a frame the server answers (by default text that is not JSON, answered by an error frame) and
   * waits for that answer. Everything posted to this socket before the frame was sent arrived before the
   * answer (one ordered stream), so once the caller knows that nothing more is in flight (app.settle()
   * after the handlers that might push, app.sweep() after a sweep), what `received` holds before the
   * answer is all this socket will ever get from them: a negative check without a sleep.
   */
  roundTrip(frame: unknown = 'not json', answer: (frame: Frame) => boolean = isNotJsonAnswer, timeoutMs = 5000): Promise<Frame> {
    const waiting = this.arriving(answer, timeoutMs);
    this.send(frame);
    return waiting;
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000);
    else if (this.socket.readyState !== WebSocket.CLOSED) this.socket.terminate();
    await this.closed;
  }
}

const isNotJsonAnswer = (frame: Frame) => frame.type === NOT_JSON_ANSWER.type && frame.message === NOT_JSON_ANSWER.message;

export const ofType = (type: string, userId?: string) => (frame: Frame) =>
  frame.type === type && (userId === undefined || frame.userId === userId);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
