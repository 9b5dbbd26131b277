/**
 * What each part of the local runtime tells the meter when something billable happens. The gateways,
 * the invoker, the sweep's scheduler and the wire proxies depend on these small interfaces only.
 */

export interface WebSocketRecorder {
  /** A data frame a client sent, by payload bytes. */
  messageIn(bytes: number): void;
  /** A ping, pong or close frame a client sent. */
  controlFrameIn(): void;
  /** A data frame delivered to a client, by payload bytes. */
  messageOut(bytes: number): void;
  connected(connectionId: string): void;
  /** A handshake answered with an HTTP status instead of a socket. */
  refused(): void;
  disconnected(connectionId: string): void;
}

export interface RestRecorder {
  /** A request the REST API answered for an API route; body bytes each way. */
  answered(bytesIn: number, bytesOut: number): void;
}

export type ManagementMethod = 'POST' | 'DELETE' | 'GET';

export interface ManagementRecorder {
  /** A signed request; gone when it was answered 410. */
  request(method: ManagementMethod, gone: boolean): void;
  /** A request refused for its signature (403). */
  refused(): void;
}

export interface LambdaRecorder {
  /** The handler's module took this long to load (billed once, with the first invocation). */
  loaded(logicalId: string, initMs: number): void;
  invoked(logicalId: string, sample: { wallMs: number; cpuMs: number; failed: boolean }): void;
}

export interface ExecutionRecorder {
  executed(sample: { durationMs: number; stateTransitions: number }): void;
}

export interface RedisRecorder {
  command(name: string): void;
  bytes(clientToServer: number, serverToClient: number): void;
}

export interface PostgresRecorder {
  session(): void;
  query(): void;
  bytes(clientToServer: number, serverToClient: number): void;
}
