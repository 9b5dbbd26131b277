/**
 * A local stack in this process, published in a private stack folder the way `npm start` publishes
 * itself, with its signing key in a private folder: the local commands (spawned with cliEnv()) find
 * it, mint tokens for it and run functions against it exactly as against a real `npm start`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LocalApp, LocalAppOptions } from '../../../local/app';
import { publishStack, stackRecordOf, type StackRecord } from '../../../local/stacks';
import { commandEnv } from './commands';
import { startTestApp } from './local-app';

export interface PublishedApp {
  app: LocalApp;
  stack: StackRecord;
  /** The stack's gateway log so far. */
  log: string[];
  /** The environment for a spawned local command: it sees this stack only. */
  cliEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startPublishedApp(suite: string, options: LocalAppOptions = {}): Promise<PublishedApp> {
  const stacksDir = mkdtempSync(path.join(os.tmpdir(), 'presence-stacks-'));
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'presence-keys-'));
  const log: string[] = [];
  const app = await startTestApp(suite, { keyDir, log: (line) => log.push(line), ...options });
  const stack = stackRecordOf(app, keyDir);
  const unpublish = publishStack(stack, stacksDir);
  return {
    app,
    stack,
    log,
    cliEnv: (extra = {}) => commandEnv({ PRESENCE_STACKS_DIR: stacksDir, ...extra }),
    close: async () => {
      unpublish();
      await app.close();
      rmSync(stacksDir, { recursive: true, force: true });
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}
