/** Defaults shared by `npm start` (local/main.ts) and the local commands (local/cli/). */
import path from 'node:path';
import { REPO_ROOT } from '../template';

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

/** A setting of the local runtime or a local command that is wrong: its message is the one line to print. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

export function issuerFor(idpPort: number): string {
  return `http://127.0.0.1:${idpPort}/local-user-pool`;
}

/** A port from the environment: unset -> fallback; 0 means "any free port". */
export function portFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new SettingsError(`${name} must be a port number from 0 to 65535 (0 = any free port), got "${raw}".`);
  }
  return value;
}
