/**
 * The local stack's meter: counters of what AWS would bill, fed by the gateways, the invoker, the
 * sweep's scheduler and the wire proxies through the recorder interfaces (recorders.ts), read as a
 * MeterSnapshot. Counts only what happened; nothing is derived from code paths.
 */
import type {
  ExecutionRecorder,
  LambdaRecorder,
  ManagementRecorder,
  PostgresRecorder,
  RedisRecorder,
  RestRecorder,
  WebSocketRecorder,
} from './recorders';
import { SCRIPT_COMMANDS } from './resp-requests';
import type {
  ApiGatewayMeter,
  LambdaFunctionMeter,
  ManagementApiMeter,
  MeterReader,
  MeterSnapshot,
  PostgresMeter,
  RedisMeter,
  StepFunctionsMeter,
} from './snapshot';

/** API Gateway meters WebSocket messages in 32 KB steps. */
export const MESSAGE_STEP_BYTES = 32 * 1024;
/** Step Functions Express bills each execution's duration rounded up to 100 ms. */
export const EXPRESS_BILLING_STEP_MS = 100;

/** The messages one frame of this many payload bytes is billed as. */
export function messagesOf(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / MESSAGE_STEP_BYTES));
}

export interface MeteredFunction {
  logicalId: string;
  memoryMb: number;
  architecture: string;
}

export interface MeterOptions {
  functions: Iterable<MeteredFunction>;
  /** The state machine's Type in the template. */
  stepFunctionsType: string;
  /** Epoch ms; tests pass their own clock. */
  now?: () => number;
}

const COUNTING_RULES = [
  'apiGateway.messagesIn/messagesOut: each data frame (text or binary) in 32 KB steps, ceil(bytes / 32768) and at least 1, as API Gateway meters WebSocket messages. Ping, pong and close frames are not messages: controlFramesIn counts them apart. A frame over 32 KB closes the connection (1009) and is not counted.',
  'apiGateway.messagesOut: @connections POSTs that reached a socket plus the gateway\'s own reply frames (route responses, {"message":"Forbidden"}, Internal server error). A POST answered 410 delivered nothing: managementApi.gone counts it.',
  "apiGateway.connectionMinutes: each connection's open time, connections still open up to now, nothing before the last reset. connectionsOpen is a gauge and survives a reset.",
  "apiGateway.restRequests: requests the REST API answered for an API route, the gateway's own 401/403 answers and CORS preflights included; the local page and its helper routes (/local/...) are not counted. bytesIn/bytesOut: payload bytes of data frames and REST bodies.",
  'managementApi: posts/deletes/gets are signed requests by method, 410 answers included (gone counts those); refused counts 403 answers to a missing or bad signature.',
  "lambda.*.billedMs: each invocation's wall time rounded up to 1 ms (at least 1), as Lambda bills; gbSeconds = billedMs / 1000 * memoryMb / 1024. Wall times are this machine's, with Redis and PostgreSQL on loopback through the meter's proxies, not a Lambda in a VPC.",
  'lambda.*.cpuMs: process CPU time (user + system) during each invocation. One process runs every function, the gateways, the proxies and, when used, the worker thread of the embedded PostgreSQL and the Redis emulation; invocations that overlap are each charged the CPU they share, so cpuMs is an upper bound.',
  "lambda.*.initMs/coldStarts: one container per function per stack, counted with its first invocation and not again after a reset. initMs is the first load of the handler's module in this process, where modules shared with a function loaded before it were already loaded (a container of its own would take longer).",
  'stepFunctions: executions of the scheduled sweep run by this stack; billedDurationMs rounds each execution up to 100 ms (Express); stateTransitions counts states entered, Map iterations included.',
  "redis/postgres: counted at the wire by a proxy between the handlers and the server (RESP commands, pipelined ones each; PostgreSQL Q and E messages, StartupMessages as connections). The stack's own readers (the sweep's timeout report, the demo sign-in) bypass it. npm run invoke and npm run sweep -- --local run their functions in their own process: those invocations are not counted here, while their commands and queries are when they go through the stack's proxies (the REDIS_URL and DATABASE_URL of its stack file).",
];

interface FunctionCounters {
  invocations: number;
  errors: number;
  durationMs: number;
  billedMs: number;
  cpuMs: number;
  initMs: number;
  coldStarts: number;
}

interface FunctionState {
  memoryMb: number;
  architecture: string;
  counters: FunctionCounters;
  /** The module's load time, until the first invocation bills it. */
  loadMs?: number;
  /** The container's cold start has been counted (once per stack: a reset keeps it warm). */
  started: boolean;
}

function zeroApiGateway(): Omit<ApiGatewayMeter, 'connectionsOpen' | 'connectionMinutes'> {
  return {
    messagesIn: 0,
    controlFramesIn: 0,
    messagesOut: 0,
    connects: 0,
    connectsRefused: 0,
    disconnects: 0,
    restRequests: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
}

function zeroFunction(): FunctionCounters {
  return { invocations: 0, errors: 0, durationMs: 0, billedMs: 0, cpuMs: 0, initMs: 0, coldStarts: 0 };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export class Meter implements MeterReader {
  private readonly now: () => number;
  private since: number;
  private apiGateway = zeroApiGateway();
  private managementApi: ManagementApiMeter = { posts: 0, deletes: 0, gets: 0, gone: 0, refused: 0 };
  private readonly functions = new Map<string, FunctionState>();
  private steps: Omit<StepFunctionsMeter, 'type'> = { executions: 0, durationMs: 0, billedDurationMs: 0, stateTransitions: 0 };
  private redisCounts: RedisMeter = { commands: 0, scriptCalls: 0, byCommand: {}, bytesIn: 0, bytesOut: 0 };
  private postgresCounts: PostgresMeter = { queries: 0, connections: 0, bytesIn: 0, bytesOut: 0 };
  /** Open connections -> when their counted time starts (their open, or the last reset). */
  private readonly openSince = new Map<string, number>();
  private closedConnectionMs = 0;
  private readonly extraNotes: string[] = [];

  readonly websocket: WebSocketRecorder;
  readonly rest: RestRecorder;
  readonly management: ManagementRecorder;
  readonly lambda: LambdaRecorder;
  readonly stepFunctions: ExecutionRecorder;
  readonly redis: RedisRecorder;
  readonly postgres: PostgresRecorder;

  constructor(private readonly options: MeterOptions) {
    this.now = options.now ?? Date.now;
    this.since = this.now();
    for (const fn of options.functions) {
      this.functions.set(fn.logicalId, { memoryMb: fn.memoryMb, architecture: fn.architecture, counters: zeroFunction(), started: false });
    }

    this.websocket = {
      messageIn: (bytes) => {
        this.apiGateway.messagesIn += messagesOf(bytes);
        this.apiGateway.bytesIn += bytes;
      },
      controlFrameIn: () => {
        this.apiGateway.controlFramesIn += 1;
      },
      messageOut: (bytes) => {
        this.apiGateway.messagesOut += messagesOf(bytes);
        this.apiGateway.bytesOut += bytes;
      },
      connected: (connectionId) => {
        this.apiGateway.connects += 1;
        this.openSince.set(connectionId, this.now());
      },
      refused: () => {
        this.apiGateway.connectsRefused += 1;
      },
      disconnected: (connectionId) => {
        const from = this.openSince.get(connectionId);
        if (from === undefined) return;
        this.openSince.delete(connectionId);
        this.apiGateway.disconnects += 1;
        this.closedConnectionMs += Math.max(0, this.now() - from);
      },
    };

    this.rest = {
      answered: (bytesIn, bytesOut) => {
        this.apiGateway.restRequests += 1;
        this.apiGateway.bytesIn += bytesIn;
        this.apiGateway.bytesOut += bytesOut;
      },
    };

    this.management = {
      request: (method, gone) => {
        if (method === 'POST') this.managementApi.posts += 1;
        else if (method === 'DELETE') this.managementApi.deletes += 1;
        else this.managementApi.gets += 1;
        if (gone) this.managementApi.gone += 1;
      },
      refused: () => {
        this.managementApi.refused += 1;
      },
    };

    this.lambda = {
      loaded: (logicalId, initMs) => {
        const fn = this.functionState(logicalId);
        if (!fn.started && fn.loadMs === undefined) fn.loadMs = initMs;
      },
      invoked: (logicalId, sample) => {
        const fn = this.functionState(logicalId);
        const counters = fn.counters;
        if (!fn.started) {
          fn.started = true;
          counters.coldStarts += 1;
          counters.initMs += fn.loadMs ?? 0;
          fn.loadMs = undefined;
        }
        counters.invocations += 1;
        if (sample.failed) counters.errors += 1;
        counters.durationMs += sample.wallMs;
        counters.billedMs += Math.max(1, Math.ceil(sample.wallMs));
        counters.cpuMs += sample.cpuMs;
      },
    };

    this.stepFunctions = {
      executed: ({ durationMs, stateTransitions }) => {
        this.steps.executions += 1;
        this.steps.durationMs += durationMs;
        this.steps.billedDurationMs += Math.max(1, Math.ceil(durationMs / EXPRESS_BILLING_STEP_MS)) * EXPRESS_BILLING_STEP_MS;
        this.steps.stateTransitions += stateTransitions;
      },
    };

    this.redis = {
      command: (name) => {
        this.redisCounts.commands += 1;
        if (SCRIPT_COMMANDS.has(name)) this.redisCounts.scriptCalls += 1;
        this.redisCounts.byCommand[name] = (this.redisCounts.byCommand[name] ?? 0) + 1;
      },
      bytes: (clientToServer, serverToClient) => {
        this.redisCounts.bytesIn += clientToServer;
        this.redisCounts.bytesOut += serverToClient;
      },
    };

    this.postgres = {
      session: () => {
        this.postgresCounts.connections += 1;
      },
      query: () => {
        this.postgresCounts.queries += 1;
      },
      bytes: (clientToServer, serverToClient) => {
        this.postgresCounts.bytesIn += clientToServer;
        this.postgresCounts.bytesOut += serverToClient;
      },
    };
  }

  /** A line for `notes` about this stack (e.g. a backend the proxies could not meter). */
  note(text: string): void {
    this.extraNotes.push(text);
  }

  private functionState(logicalId: string): FunctionState {
    let fn = this.functions.get(logicalId);
    if (!fn) {
      fn = { memoryMb: 0, architecture: 'unknown', counters: zeroFunction(), started: false };
      this.functions.set(logicalId, fn);
    }
    return fn;
  }

  reset(): void {
    const now = this.now();
    this.since = now;
    this.apiGateway = zeroApiGateway();
    this.managementApi = { posts: 0, deletes: 0, gets: 0, gone: 0, refused: 0 };
    for (const fn of this.functions.values()) fn.counters = zeroFunction();
    this.steps = { executions: 0, durationMs: 0, billedDurationMs: 0, stateTransitions: 0 };
    this.redisCounts = { commands: 0, scriptCalls: 0, byCommand: {}, bytesIn: 0, bytesOut: 0 };
    this.postgresCounts = { queries: 0, connections: 0, bytesIn: 0, bytesOut: 0 };
    this.closedConnectionMs = 0;
    for (const connectionId of this.openSince.keys()) this.openSince.set(connectionId, now);
  }

  snapshot(): MeterSnapshot {
    const now = this.now();
    let openMs = 0;
    for (const from of this.openSince.values()) openMs += Math.max(0, now - from);
    const lambda: Record<string, LambdaFunctionMeter> = {};
    for (const [logicalId, fn] of [...this.functions].sort(([a], [b]) => a.localeCompare(b))) {
      const c = fn.counters;
      lambda[logicalId] = {
        invocations: c.invocations,
        errors: c.errors,
        durationMs: c.durationMs,
        billedMs: c.billedMs,
        cpuMs: round(c.cpuMs, 3),
        memoryMb: fn.memoryMb,
        architecture: fn.architecture,
        gbSeconds: ((c.billedMs / 1000) * fn.memoryMb) / 1024,
        initMs: round(c.initMs, 3),
        coldStarts: c.coldStarts,
      };
    }
    return {
      since: new Date(this.since).toISOString(),
      now: new Date(now).toISOString(),
      elapsedSeconds: round((now - this.since) / 1000, 3),
      apiGateway: {
        ...this.apiGateway,
        connectionsOpen: this.openSince.size,
        connectionMinutes: (this.closedConnectionMs + openMs) / 60_000,
      },
      managementApi: { ...this.managementApi },
      lambda,
      stepFunctions: { ...this.steps, type: this.options.stepFunctionsType },
      redis: { ...this.redisCounts, byCommand: sortedCounts(this.redisCounts.byCommand) },
      postgres: { ...this.postgresCounts },
      notes: [...COUNTING_RULES, ...this.extraNotes],
    };
  }
}

/** Most frequent first, then by name. */
function sortedCounts(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
}
