/**
 * The meter's reading (`GET /local/meter`, `npm run --silent meter -- --json`): what the local stack
 * did since it started or was last reset, counted by the names AWS bills it under. The simulator and
 * the cost model read this shape; a field renamed here breaks them.
 */

export interface ApiGatewayMeter {
  /** Data frames clients sent on a WebSocket, each counted in 32 KB steps (at least 1). */
  messagesIn: number;
  /** Ping, pong and close frames clients sent: not messages, shown so the difference is visible. */
  controlFramesIn: number;
  /** Data frames delivered to clients (@connections posts and the gateway's own replies), in 32 KB steps. */
  messagesOut: number;
  connects: number;
  /** Handshakes answered with an HTTP status instead of a socket (401, 403, 4xx, 5xx). */
  connectsRefused: number;
  disconnects: number;
  /** Sockets open now (a gauge: a reset leaves it as it is). */
  connectionsOpen: number;
  /** Sum over connections of their open time in minutes, open ones up to now, none before the reset. */
  connectionMinutes: number;
  /** Requests the REST API answered for an API route (401/403 from the gateway and CORS preflights too). */
  restRequests: number;
  /** Payload bytes of data frames and REST bodies received. */
  bytesIn: number;
  /** Payload bytes of data frames and REST bodies sent. */
  bytesOut: number;
}

export interface ManagementApiMeter {
  /** Signed requests by method (410 answers included). */
  posts: number;
  deletes: number;
  gets: number;
  /** 410 GoneException answers: the connection was gone, nothing was delivered. */
  gone: number;
  /** 403 answers to a missing or bad SigV4 signature (counted under no method). */
  refused: number;
}

export interface LambdaFunctionMeter {
  invocations: number;
  /** Invocations that threw or ran past the function's Timeout. */
  errors: number;
  /** Sum of each invocation's wall time, in ms, unrounded. */
  durationMs: number;
  /** Sum of each invocation's wall time rounded up to 1 ms (at least 1), as Lambda bills it. */
  billedMs: number;
  /** Process CPU time (user + system) during each invocation; overlapping invocations each see the shared CPU. */
  cpuMs: number;
  memoryMb: number;
  architecture: string;
  /** billedMs / 1000 * memoryMb / 1024. */
  gbSeconds: number;
  /** Time to load the handler's module the first time (counted with the first invocation). */
  initMs: number;
  /** 1 per function per stack: one container each. */
  coldStarts: number;
}

export interface StepFunctionsMeter {
  executions: number;
  durationMs: number;
  /** Each execution rounded up to 100 ms, as Express bills it. */
  billedDurationMs: number;
  /** States entered (inside Map iterations too). */
  stateTransitions: number;
  /** The state machine's Type in the template (EXPRESS). */
  type: string;
}

export interface RedisMeter {
  /** Every command a client sent; a pipeline counts each of its commands. */
  commands: number;
  /** EVAL, EVALSHA, FCALL and their _RO variants. */
  scriptCalls: number;
  /** Lower-case command name -> count. */
  byCommand: Record<string, number>;
  /** Client -> server. */
  bytesIn: number;
  /** Server -> client. */
  bytesOut: number;
}

export interface PostgresMeter {
  /** Simple-query (Q) messages plus extended-protocol Execute (E) messages. */
  queries: number;
  /** Sessions opened (StartupMessages). */
  connections: number;
  bytesIn: number;
  bytesOut: number;
}

export interface MeterSnapshot {
  /** ISO time the counts start from (the stack's start or the last reset). */
  since: string;
  now: string;
  elapsedSeconds: number;
  apiGateway: ApiGatewayMeter;
  managementApi: ManagementApiMeter;
  /** By the template's logical id, every function of the template (never invoked ones at zero). */
  lambda: Record<string, LambdaFunctionMeter>;
  stepFunctions: StepFunctionsMeter;
  redis: RedisMeter;
  postgres: PostgresMeter;
  /** How the counts are taken, and what this stack could not count. */
  notes: string[];
}

/** What LocalApp and the meter's routes offer. */
export interface MeterReader {
  snapshot(): MeterSnapshot;
  reset(): void;
}
