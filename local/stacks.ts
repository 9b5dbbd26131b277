/**
 * The local stacks running from this checkout. Every `npm start` publishes one file,
 * `.local/stacks/<REST port>.json`, and removes it when it stops, so two stacks never overwrite each
 * other's file. The local commands (token, ws, invoke, connections, sweep --local) read these files
 * to find the stack they talk to: the only one running, or the one named by `--stack <port>` or by
 * PORT / WS_PORT when several run. A file whose process is gone (a stack that was killed) is stale: it
 * is ignored and deleted.
 *
 * The files hold no secrets: the handlers' environment is kept without passwords in URLs and without
 * the (dummy) AWS credentials. A command that needs a password (a DATABASE_URL with one) takes it from
 * its own environment.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalApp } from './app';
import { LOCAL_DIR } from './settings';

/** PRESENCE_STACKS_DIR moves the folder (tests use a private one); default `.local/stacks`. */
export const STACKS_DIR_ENV = 'PRESENCE_STACKS_DIR';

export function stacksDir(env: NodeJS.ProcessEnv = process.env): string {
  return env[STACKS_DIR_ENV]?.trim() || path.join(LOCAL_DIR, 'stacks');
}

export interface StackRecord {
  /** The REST port, as a string: `--stack <name>`. */
  name: string;
  pid: number;
  startedAt: string;
  ports: { rest: number; websocket: number; idp: number };
  urls: { page: string; rest: string; websocket: string; managementApi: string; jwks: string };
  issuer: string;
  clientId: string;
  /** Where the signing key lives (tokens for this stack are signed with it). */
  keyDir: string;
  /** The handlers' environment (REDIS_URL, DATABASE_URL, presence settings, ...), credentials removed. */
  environment: Record<string, string>;
  /** Variables whose URL had a password, removed above: a command needs them from its own environment. */
  credentialsRemoved: string[];
}

/** Variables never written to a stack file (the local runtime's fixed AWS credentials). */
const NOT_PUBLISHED = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']);

/** The handlers' environment without credentials, and the names of the variables that had some. */
export function publishableEnvironment(env: Record<string, string>): { environment: Record<string, string>; credentialsRemoved: string[] } {
  const environment: Record<string, string> = {};
  const credentialsRemoved: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (NOT_PUBLISHED.has(name)) continue;
    let published = value;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
      try {
        const url = new URL(value);
        if (url.password) {
          url.password = '';
          published = url.toString();
          credentialsRemoved.push(name);
        }
      } catch {
        // not a URL after all: published as it is
      }
    }
    environment[name] = published;
  }
  return { environment, credentialsRemoved };
}

/** The record of a stack started in this process, whose signing key lives in keyDir. */
export function stackRecordOf(app: LocalApp, keyDir: string): StackRecord {
  return {
    name: String(app.ports.rest),
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ports: app.ports,
    urls: app.urls,
    issuer: app.issuer,
    clientId: app.clientId,
    keyDir,
    ...publishableEnvironment(app.handlerEnvironment),
  };
}

function fileOf(dir: string, name: string): string {
  return path.join(dir, `${name}.json`);
}

/** Writes the stack's file (atomically) and returns a function that removes it; also removed at exit. */
export function publishStack(record: StackRecord, dir = stacksDir()): () => void {
  mkdirSync(dir, { recursive: true });
  const file = fileOf(dir, record.name);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.removeListener('exit', remove);
    // Only our own file: a stack started later on the same port has replaced it.
    if (readRecord(file)?.pid === process.pid) rmSync(file, { force: true });
  };
  process.once('exit', remove);
  return remove;
}

function readRecord(file: string): StackRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as StackRecord;
    return typeof record?.pid === 'number' && typeof record.name === 'string' && record.ports ? record : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The stacks whose process still runs, by REST port; stale and unreadable files are deleted. */
export function runningStacks(dir = stacksDir()): StackRecord[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.json'));
  } catch {
    return [];
  }
  const running: StackRecord[] = [];
  for (const file of files) {
    const record = readRecord(path.join(dir, file));
    if (record && alive(record.pid)) running.push(record);
    else rmSync(path.join(dir, file), { force: true });
  }
  return running.sort((a, b) => a.ports.rest - b.ports.rest);
}

/** The one line a command prints when it cannot tell which stack to use. */
export class StackSelectionError extends Error {
  override name = 'StackSelectionError';
}

export interface StackSelector {
  /** `--stack <port>`: the REST or WebSocket port of the stack. */
  stack?: string;
  /** PORT and WS_PORT name a stack too (as set for the `npm start` it belongs to). */
  env?: NodeJS.ProcessEnv;
}

function describe(stacks: StackRecord[]): string {
  return stacks.map((stack) => `${stack.name} (REST ${stack.urls.rest}, WebSocket ${stack.urls.websocket})`).join(', ');
}

function selectorOf(selector: StackSelector): { label: string; matches: (stack: StackRecord) => boolean } | undefined {
  const flag = selector.stack?.trim();
  if (flag) return { label: `--stack ${flag}`, matches: (s) => s.name === flag || String(s.ports.websocket) === flag };
  const port = selector.env?.PORT?.trim();
  const wsPort = selector.env?.WS_PORT?.trim();
  // PORT=0 / WS_PORT=0 (any free port) name no particular stack.
  const named = [port && port !== '0' ? `PORT=${port}` : '', wsPort && wsPort !== '0' ? `WS_PORT=${wsPort}` : ''].filter(Boolean);
  if (named.length === 0) return undefined;
  return {
    label: named.join(' '),
    matches: (s) =>
      (!port || port === '0' || String(s.ports.rest) === port) && (!wsPort || wsPort === '0' || String(s.ports.websocket) === wsPort),
  };
}

/**
 * The stack a command talks to: the one the selector names, or else the only one running.
 * Throws a StackSelectionError (one line) when none runs, none matches, or several run and none is named.
 */
export function selectStack(selector: StackSelector = {}, dir = stacksDir()): StackRecord {
  const stacks = runningStacks(dir);
  if (stacks.length === 0)
    throw new StackSelectionError('No local stack is running from this checkout: start one with `npm start` (in another terminal).');
  const chosen = selectorOf(selector);
  if (chosen) {
    const match = stacks.find(chosen.matches);
    if (!match) throw new StackSelectionError(`No running local stack matches ${chosen.label}; running: ${describe(stacks)}.`);
    return match;
  }
  if (stacks.length > 1) {
    throw new StackSelectionError(
      `${stacks.length} local stacks are running: ${describe(stacks)}. Name one with --stack <REST port> (or PORT=<REST port>).`,
    );
  }
  return stacks[0]!;
}
