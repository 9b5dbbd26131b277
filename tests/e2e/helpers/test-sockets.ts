/**
 * The WebSockets a test file opens on its local stack, as users with the token in the query string
 * (as PageNow's extension sends it), all closed together after each test, with the stack settled.
 */
import type { LocalApp } from '../../../local/app';
import { TestClient } from './ws-client';

export class TestSockets {
  private readonly open: TestClient[] = [];

  /** `app` is read at each call: the stack starts in the file's beforeAll. */
  constructor(private readonly app: () => LocalApp) {}

  /** The stack's WebSocket URL with this query string (`?Authorization=…&heartbeat=300`). */
  url(query = ''): string {
    return `ws://127.0.0.1:${this.app().ports.websocket}${query}`;
  }

  /** The connect URL of `userId`, with `query` appended (`&heartbeat=300`). */
  urlOf(userId: string, query = ''): string {
    return this.url(`?Authorization=${this.app().mintToken(userId)}${query}`);
  }

  /** A connection as `userId`, closed after the test. */
  async connectAs(userId: string, query = ''): Promise<TestClient> {
    return this.track(await TestClient.connect(this.urlOf(userId, query)));
  }

  /** A connection opened otherwise, closed after the test too. */
  track(client: TestClient): TestClient {
    this.open.push(client);
    return client;
  }

  /**
   * Closes every socket opened since the last call, then waits until the stack is idle: each $disconnect
   * (and the pushes it makes) has finished, so none of them reaches the next test's sockets.
   */
  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((client) => client.close()));
    await this.app().settle();
  }
}
