/**
 * `npm run --silent token -- <userId> [--access] [--expires <seconds>]`: prints a Cognito-shaped token
 * (and nothing else on stdout) that the local stack accepts. It signs with the key in .local/keys and
 * uses the issuer of the running stack (.local/stack.json), or the default issuer when none runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadOrCreateSigningKey, mintToken } from './identity-provider';
import { DEFAULT_IDP_PORT, KEY_DIR, LOCAL_CLIENT_ID, STACK_FILE, issuerFor, portFromEnv, type StackFile } from './settings';

const USAGE = 'usage: npm run --silent token -- <userId> [--access] [--expires <seconds>]';

function runningStack(): StackFile | undefined {
  if (!existsSync(STACK_FILE)) return undefined;
  try {
    const stack = JSON.parse(readFileSync(STACK_FILE, 'utf8')) as StackFile;
    process.kill(stack.pid, 0); // throws when that process is gone (a stale file)
    return stack;
  } catch {
    return undefined;
  }
}

function parseArgs(argv: string[]): { userId: string; tokenUse: 'id' | 'access'; expiresInSeconds: number } {
  let userId: string | undefined;
  let tokenUse: 'id' | 'access' = 'id';
  let expiresInSeconds = 3600;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--access') tokenUse = 'access';
    else if (arg === '--expires') expiresInSeconds = Number(argv[++i]);
    else if (arg === '-h' || arg === '--help') throw new Error(USAGE);
    else if (!userId && !arg.startsWith('-')) userId = arg;
    else throw new Error(`unexpected argument ${arg}\n${USAGE}`);
  }
  if (!userId) throw new Error(USAGE);
  if (!Number.isInteger(expiresInSeconds)) throw new Error(`--expires takes a number of seconds\n${USAGE}`);
  return { userId, tokenUse, expiresInSeconds };
}

async function main(): Promise<void> {
  const { userId, tokenUse, expiresInSeconds } = parseArgs(process.argv.slice(2));
  const stack = runningStack();
  if (!stack) {
    console.error(`note: no running local stack found; this token is for one started with IDP_PORT=${portFromEnv('IDP_PORT', DEFAULT_IDP_PORT)}`);
  }
  const key = await loadOrCreateSigningKey(KEY_DIR);
  const issuer = stack?.issuer ?? issuerFor(portFromEnv('IDP_PORT', DEFAULT_IDP_PORT));
  // Printed to stdout only, so `$(npm run --silent token -- alice)` captures exactly the token.
  process.stdout.write(`${mintToken({ userId, clientId: stack?.clientId ?? LOCAL_CLIENT_ID, issuer, key, tokenUse, expiresInSeconds })}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
