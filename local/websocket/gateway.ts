/**
 * The local API Gateway for the WebSocket API: authorizes and runs $connect during the HTTP upgrade
 * (a refusal answers the handshake with that status), routes each frame by the template's route
 * selection expression to its function, or answers it itself for a MOCK integration, runs $disconnect
 * when a socket ends, and reproduces the limits clients meet in AWS: 10-minute idle and 2-hour maximum
 * connection time, 32 KB frames (closed with 1009).
 *
 * It is also the ConnectionRegistry behind the management API, so handlers reach these sockets
 * through the real AWS SDK client.
 */
import { isUtf8 } from 'node:buffer';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { httpStatus } from '../http-status';
import type { FunctionInvoker } from '../lambda/invoker';
import type { ConnectionRegistry } from '../management-api';
import type { WebSocketRecorder } from '../meter/recorders';
import type { WebSocketApiSpec, WebSocketRoute } from '../../template';
import { authorizerFailure, evaluateAuthorizerResult, type AuthorizerOutcome } from './authorizer-policy';
import {
  authorizerEvent,
  connectEvent,
  disconnectEvent,
  handshakeOf,
  messageEvent,
  methodArn,
  newConnectionId,
  type ConnectionInfo,
  type Handshake,
} from './events';
import { compileRouteSelection, selectRoute } from './route-selection';

export interface WebSocketGatewayOptions {
  api: WebSocketApiSpec;
  invoker: FunctionInvoker;
  apiId: string;
  stage: string;
  idleTimeoutMs: number;
  maxConnectionMs: number;
  maxFrameBytes: number;
  log: (line: string) => void;
  /** The local stack's meter: told of every frame, handshake and close as API Gateway would bill them. */
  meter?: WebSocketRecorder;
}

interface CloseStatus {
  code: number;
  reason: string;
  /** Why, in words, for the log line (the gateway's own closes and DeleteConnection). */
  why?: string;
}

interface LiveConnection {
  info: ConnectionInfo;
  socket: WebSocket;
  lastActiveAt: number;
  /** Why the gateway itself closed the socket (reported to $disconnect instead of the client's code). */
  closedBy?: CloseStatus;
  idleTimer?: NodeJS.Timeout;
  maxAgeTimer?: NodeJS.Timeout;
}

/** One live connection, as `npm run connections` lists it. */
export interface ConnectionSummary {
  connectionId: string;
  userId: string | null;
  connectedAt: string;
  lastActiveAt: string;
  sourceIp: string;
}

/** Says why a DeleteConnection call closes a user's connection (the sweep sets one while it runs). */
export type DeleteExplainer = (userId: string | undefined) => string | undefined;

const GOING_AWAY: CloseStatus = { code: 1001, reason: 'Going away' };

function userOf(info: ConnectionInfo): string | undefined {
  const principal = info.authorizer?.userId ?? info.authorizer?.principalId;
  return typeof principal === 'string' ? principal : undefined;
}

/** `heartbeat alice Abc= -> 200 OK (3 ms)`: the gateway's one line per route invocation. */
function routeLine(routeKey: string, info: ConnectionInfo, outcome: string, started: number): string {
  return `[ws] ${routeKey} ${userOf(info) ?? '-'} ${info.connectionId} -> ${outcome} (${Date.now() - started} ms)`;
}

/** `MOCK 200 OK`: a route API Gateway answered itself. */
function mockOutcome(statusCode: number): string {
  return `MOCK ${httpStatus(statusCode)}`;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

export class WebSocketGateway implements ConnectionRegistry {
  private readonly connections = new Map<string, LiveConnection>();
  private readonly handshaking = new Set<Duplex>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly protocols = new WeakMap<IncomingMessage, string>();
  private readonly server: WebSocketServer;
  private readonly selectRouteKey: (body: string) => string | undefined;
  private closing = false;
  private explainDelete?: DeleteExplainer;

  constructor(private readonly options: WebSocketGatewayOptions) {
    this.selectRouteKey = compileRouteSelection(options.api.routeSelectionExpression);
    this.server = new WebSocketServer({
      noServer: true,
      // Larger frames make ws close the socket with 1009, as API Gateway does past 32 KB.
      maxPayload: options.maxFrameBytes,
      // Echo only what $connect answered in Sec-WebSocket-Protocol (browsers fail the handshake otherwise).
      handleProtocols: (_offered, request) => this.protocols.get(request) ?? false,
    });
  }

  get size(): number {
    return this.connections.size;
  }

  /** The http server's 'upgrade' listener. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closing) {
      this.refuse(socket, 503);
      return;
    }
    socket.on('error', () => undefined);
    this.handshaking.add(socket);
    this.track(
      this.upgrade(request, socket, head)
        .catch((error: unknown) => {
          this.options.log(`[ws] handshake failed: ${String(error)}`);
          this.refuse(socket, 500);
        })
        .finally(() => this.handshaking.delete(socket)),
    );
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    if (path !== '' && path !== `/${this.options.stage}`) {
      this.refuse(socket, 403);
      return;
    }
    const info: ConnectionInfo = {
      connectionId: newConnectionId(),
      connectedAt: Date.now(),
      apiId: this.options.apiId,
      stage: this.options.stage,
      domainName: request.headers.host ?? 'localhost',
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      userAgent: request.headers['user-agent'],
    };
    const handshake = handshakeOf(request.rawHeaders, url);
    const route = this.options.api.routes.get('$connect');
    const started = Date.now();

    if (route?.authorizer) {
      const outcome = await this.authorize(route, info, handshake);
      if (!outcome.allowed) {
        const why =
          outcome.statusCode === 401
            ? 'no token (send it as ?Authorization=<token> or in Sec-WebSocket-Protocol)'
            : outcome.statusCode === 403
              ? `${route.authorizer.logicalId} refused the token (bad signature, expired, or minted for another issuer or app client)`
              : `${route.authorizer.logicalId} failed`;
        this.options.log(`${routeLine('$connect', info, `${httpStatus(outcome.statusCode)}: ${why}`, started)}`);
        this.refuse(socket, outcome.statusCode);
        return;
      }
      info.authorizer = outcome.authorizer;
    }

    let statusCode = 200;
    let failure = '';
    let refusalBody: string | undefined;
    if (route?.integration.kind === 'mock') {
      statusCode = route.integration.statusCode;
    } else if (route) {
      const { function: fn } = route.integration;
      try {
        const result = await this.options.invoker.invoke<{ statusCode?: number; headers?: Record<string, string>; body?: string } | undefined>(
          fn,
          connectEvent(info, handshake),
        );
        statusCode = result?.statusCode ?? 200;
        refusalBody = result?.body;
        const protocol = headerValue(result?.headers, 'sec-websocket-protocol');
        if (protocol) this.protocols.set(request, protocol);
      } catch (error) {
        failure = `: ${fn.logicalId} failed: ${String(error)}`;
        statusCode = 500;
      }
    }
    if (statusCode < 200 || statusCode > 299) {
      this.options.log(routeLine('$connect', info, `${httpStatus(statusCode)}, handshake refused${failure}`, started));
      // A 4xx of $connect reaches the client with its body (the reason); a failure never shows its details.
      this.refuse(socket, statusCode, statusCode < 500 ? refusalBody : undefined);
      return;
    }
    if (socket.destroyed || this.closing) {
      // The client gave up (or we are shutting down) while $connect ran: API Gateway still tells $disconnect.
      this.options.log(routeLine('$connect', info, `${httpStatus(statusCode)}, but the client left during the handshake`, started));
      this.track(this.disconnect(info, { code: 1006, reason: 'Connection closed during handshake', why: 'the client left during the handshake' }));
      return;
    }
    this.options.log(routeLine('$connect', info, httpStatus(statusCode), started));
    this.server.handleUpgrade(request, socket, head, (ws) => this.open(ws, info));
  }

  /** Answers the handshake with an HTTP status (when the client is still there to read it). */
  private refuse(socket: Duplex, statusCode: number, body?: string): void {
    if (refuseHandshake(socket, statusCode, body)) this.options.meter?.refused();
  }

  private async authorize(route: WebSocketRoute, info: ConnectionInfo, handshake: Handshake): Promise<AuthorizerOutcome> {
    try {
      const result = await this.options.invoker.invoke(route.authorizer!, authorizerEvent(info, handshake));
      return evaluateAuthorizerResult(result, methodArn(info, '$connect'));
    } catch (error) {
      return authorizerFailure(error);
    }
  }

  private open(socket: WebSocket, info: ConnectionInfo): void {
    const connection: LiveConnection = { info, socket, lastActiveAt: Date.now() };
    this.connections.set(info.connectionId, connection);
    const meter = this.options.meter;
    meter?.connected(info.connectionId);
    connection.maxAgeTimer = setTimeout(
      () =>
        this.closeWith(connection, {
          ...GOING_AWAY,
          why: `closed by the gateway: open for ${seconds(this.options.maxConnectionMs)}, API Gateway's maximum connection time (WS_MAX_CONNECTION_SECONDS)`,
        }),
      this.options.maxConnectionMs,
    );
    this.touch(connection);

    socket.on('message', (data, isBinary) => {
      meter?.messageIn(byteLength(data));
      this.touch(connection);
      this.track(this.onMessage(connection, data, isBinary));
    });
    socket.on('ping', () => {
      meter?.controlFrameIn();
      this.touch(connection);
    });
    socket.on('pong', () => {
      meter?.controlFrameIn();
      this.touch(connection);
    });
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        connection.closedBy ??= {
          code: 1009,
          reason: 'Message too big',
          why: `closed by the gateway: a frame over ${this.options.maxFrameBytes / 1024} KB, API Gateway's limit`,
        };
      }
    });
    socket.on('close', (code, reason) => {
      clearTimeout(connection.idleTimer);
      clearTimeout(connection.maxAgeTimer);
      this.connections.delete(info.connectionId);
      // 1006: the socket ended without the client's close frame.
      if (code !== 1006) meter?.controlFrameIn();
      meter?.disconnected(info.connectionId);
      const status = connection.closedBy ?? {
        code: code || 1005,
        reason: reason.toString('utf8'),
        why: code === 1006 ? 'the connection dropped without a close frame' : 'closed by the client',
      };
      this.track(this.disconnect(info, status));
    });
  }

  private touch(connection: LiveConnection): void {
    connection.lastActiveAt = Date.now();
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(
      () =>
        this.closeWith(connection, {
          ...GOING_AWAY,
          why:
            `closed by the gateway: idle for ${seconds(this.options.idleTimeoutMs)} with no frame, API Gateway's idle timeout ` +
            '(WS_IDLE_TIMEOUT_SECONDS; a heartbeat every minute keeps a connection open)',
        }),
      this.options.idleTimeoutMs,
    );
  }

  private closeWith(connection: LiveConnection, status: CloseStatus): void {
    connection.closedBy ??= status;
    connection.socket.close(status.code, status.reason);
    // A peer that never answers the close frame is cut after a second, not ws's 30 s.
    setTimeout(() => connection.socket.terminate(), 1000).unref();
  }

  private async onMessage(connection: LiveConnection, data: RawData, isBinary: boolean): Promise<void> {
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const body = isBinary ? buffer.toString('base64') : buffer.toString('utf8');
    const routeKey = selectRoute(isBinary ? undefined : this.selectRouteKey(body), this.options.api.routes);
    const { connectionId } = connection.info;
    const started = Date.now();
    if (!routeKey) {
      this.options.log(routeLine('(no route)', connection.info, '403 Forbidden: no route matches and there is no $default', started));
      this.reply(connection, { message: 'Forbidden', connectionId, requestId: newConnectionId() });
      return;
    }
    const route = this.options.api.routes.get(routeKey)!;
    if (route.integration.kind === 'mock') {
      // API Gateway answers itself: nothing is invoked, and without a route response nothing goes back.
      this.options.log(routeLine(routeKey, connection.info, mockOutcome(route.integration.statusCode), started));
      return;
    }
    const { function: fn } = route.integration;
    const event = messageEvent(connection.info, routeKey, body, isBinary);
    try {
      const result = await this.options.invoker.invoke<{ statusCode?: number; body?: string } | undefined>(fn, event);
      this.options.log(routeLine(routeKey, connection.info, httpStatus(result?.statusCode ?? 200), started));
      if (route.routeResponseSelectionExpression && typeof result?.body === 'string') this.reply(connection, result.body);
    } catch (error) {
      this.options.log(routeLine(routeKey, connection.info, `failed: ${fn.logicalId}: ${String(error)}`, started));
      this.reply(connection, { message: 'Internal server error', connectionId, requestId: event.requestContext.requestId });
    }
  }

  private reply(connection: LiveConnection, frame: unknown): void {
    if (connection.socket.readyState === WebSocket.OPEN) {
      const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
      this.options.meter?.messageOut(Buffer.byteLength(text));
      connection.socket.send(text);
    }
  }

  private async disconnect(info: ConnectionInfo, status: CloseStatus): Promise<void> {
    const closed = `${status.code}${status.reason ? ` ${status.reason}` : ''}${status.why ? `, ${status.why}` : ''}`;
    const route = this.options.api.routes.get('$disconnect');
    const started = Date.now();
    if (!route) {
      this.options.log(routeLine('$disconnect', info, `closed (${closed}); no $disconnect route`, started));
      return;
    }
    if (route.integration.kind === 'mock') {
      this.options.log(routeLine('$disconnect', info, `${mockOutcome(route.integration.statusCode)}; closed (${closed})`, started));
      return;
    }
    const { function: fn } = route.integration;
    try {
      const result = await this.options.invoker.invoke<{ statusCode?: number } | undefined>(fn, disconnectEvent(info, status.code, status.reason));
      this.options.log(routeLine('$disconnect', info, `${httpStatus(result?.statusCode ?? 200)}; closed (${closed})`, started));
    } catch (error) {
      this.options.log(routeLine('$disconnect', info, `failed: ${fn.logicalId}: ${String(error)}; closed (${closed})`, started));
    }
  }

  private track(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  // --- ConnectionRegistry (the management API) ----------------------------------------------------

  send(connectionId: string, data: Buffer): boolean {
    const connection = this.connections.get(connectionId);
    if (!connection || connection.socket.readyState !== WebSocket.OPEN) return false;
    this.options.meter?.messageOut(data.length);
    connection.socket.send(data, { binary: !isUtf8(data) });
    return true;
  }

  close(connectionId: string): boolean {
    const connection = this.connections.get(connectionId);
    if (!connection || connection.socket.readyState !== WebSocket.OPEN) return false;
    const why = this.explainDelete?.(userOf(connection.info)) ?? 'closed by a function through the management API (DeleteConnection)';
    this.closeWith(connection, { code: 1000, reason: 'Connection deleted', why });
    return true;
  }

  /** While set, DeleteConnection closes are explained by it (the timeout sweep says who it timed out and why). */
  explainDeletes(explainer: DeleteExplainer | undefined): void {
    this.explainDelete = explainer;
  }

  /** The live connections, oldest first (`npm run connections`). */
  list(): ConnectionSummary[] {
    return [...this.connections.values()]
      .filter((connection) => connection.socket.readyState === WebSocket.OPEN)
      .map((connection) => ({
        connectionId: connection.info.connectionId,
        userId: userOf(connection.info) ?? null,
        connectedAt: new Date(connection.info.connectedAt).toISOString(),
        lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
        sourceIp: connection.info.sourceIp,
      }));
  }

  describe(connectionId: string): { connectedAt: number; sourceIp: string; lastActiveAt: number } | undefined {
    const connection = this.connections.get(connectionId);
    if (!connection) return undefined;
    return { connectedAt: connection.info.connectedAt, sourceIp: connection.info.sourceIp, lastActiveAt: connection.lastActiveAt };
  }

  /** Resolves once no handshake, message or $disconnect is in flight (tests wait for it between cases). */
  async settle(): Promise<void> {
    const closing = () => [...this.connections.values()].some((connection) => connection.socket.readyState !== WebSocket.OPEN);
    await this.waitUntil(() => this.pending.size === 0 && !closing(), 5000);
  }

  /** Polls with timers, never microtasks alone, so socket events keep flowing while we wait. */
  private async waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  /** Closes every open socket with 1001 Going away, as API Gateway does when it drops its connections; returns how many. */
  dropConnections(): number {
    const open = [...this.connections.values()].filter((connection) => connection.socket.readyState === WebSocket.OPEN);
    for (const connection of open) this.closeWith(connection, { ...GOING_AWAY, why: 'dropped by the gateway (dropConnections)' });
    return open.length;
  }

  /** Closes every socket (1001 Going away), lets $disconnect run for each, and waits for in-flight work. */
  async shutdown(): Promise<void> {
    this.closing = true;
    for (const connection of this.connections.values()) this.closeWith(connection, { ...GOING_AWAY, why: 'the local stack is stopping' });
    for (const socket of this.handshaking) socket.destroy();
    await this.waitUntil(() => this.pending.size === 0 && this.connections.size === 0, 5000);
    this.server.close();
  }
}

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key ? headers[key] : undefined;
}

const REFUSAL_BODIES: Record<number, string> = {
  401: '{"message":"Unauthorized"}',
  403: '{"message":"Forbidden"}',
  500: '{"message":"Internal server error"}',
};

/** A received message's payload bytes, whichever form ws hands it over in. */
function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((total, part) => total + part.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

/**
 * Answers the upgrade request with a plain HTTP status, as API Gateway does when $connect refuses;
 * false when the client had already gone.
 */
function refuseHandshake(socket: Duplex, statusCode: number, reason?: string): boolean {
  if (socket.destroyed) return false;
  const body = reason ?? REFUSAL_BODIES[statusCode] ?? JSON.stringify({ message: STATUS_CODES[statusCode] ?? 'Error' });
  socket.end(
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  return true;
}
