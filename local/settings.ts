/** Defaults shared by `npm start` (local/main.ts) and `npm run token` (local/token.ts). */
import path from 'node:path';
import { REPO_ROOT } from './template';

/** The app client id local tokens carry (`aud`) and the local stack accepts (JWT_CLIENT_IDS). */
export const LOCAL_CLIENT_ID = 'presence-local-client';

export const DEFAULT_PORT = 3000;
export const DEFAULT_WS_PORT = 3001;
/** Fixed by default so the issuer (which includes the port) and thus minted tokens survive restarts. */
export const DEFAULT_IDP_PORT = 3002;

/** Git-ignored working folder of the local runtime. */
export const LOCAL_DIR = path.join(REPO_ROOT, '.local');
/** Where the signing key is kept (see local/identity-provider.ts). */
export const KEY_DIR = path.join(LOCAL_DIR, 'keys');
/** Written by a running `npm start` (no secrets): the issuer and URLs `npm run token` needs. */
export const STACK_FILE = path.join(LOCAL_DIR, 'stack.json');

export interface StackFile {
  pid: number;
  issuer: string;
  clientId: string;
  restUrl: string;
  websocketUrl: string;
}

export function issuerFor(idpPort: number): string {
  return `http://127.0.0.1:${idpPort}/local-user-pool`;
}

/** A port from the environment: unset -> fallback; 0 means "any free port". */
export function portFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number (0-65535), got "${raw}"`);
  return value;
}
