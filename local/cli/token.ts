/**
 * `npm run --silent token -- <userId> [--access] [--expires <seconds>] [--stack <port>]`: prints a
 * Cognito-shaped token (and nothing else on stdout) that the running local stack accepts: signed with
 * the key in .local/keys and carrying that stack's issuer (found through its stack file, see
 * local/stacks.ts). With no stack running, the token is for a stack started later with the default
 * IDP_PORT (or the IDP_PORT set here), since the key survives restarts.
 */
import { parseArgs } from 'node:util';
import { loadOrCreateSigningKey } from '../identity-provider';
import { DEFAULT_IDP_PORT, KEY_DIR, LOCAL_CLIENT_ID, issuerFor, portFromEnv } from '../settings';
import { runningStacks, selectStack } from '../stacks';
import { runCommand, UsageError } from './run';
import { stackToken } from './stack-token';

const USAGE = 'usage: npm run --silent token -- <userId> [--access] [--expires <seconds>] [--stack <REST port>]';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      access: { type: 'boolean', default: false },
      expires: { type: 'string', default: '3600' },
      stack: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [userId, ...extra] = positionals;
  if (!userId || extra.length > 0) throw new UsageError(USAGE);
  const expiresInSeconds = Number(values.expires);
  if (!Number.isInteger(expiresInSeconds)) throw new UsageError(`--expires takes a number of seconds\n${USAGE}`);
  const tokenUse = values.access ? 'access' : 'id';

  let target;
  if (runningStacks().length === 0 && !values.stack) {
    const idpPort = portFromEnv('IDP_PORT', DEFAULT_IDP_PORT);
    console.error(`note: no local stack is running; this token is for one started with IDP_PORT=${idpPort}`);
    target = { keyDir: KEY_DIR, clientId: LOCAL_CLIENT_ID, issuer: issuerFor(idpPort) };
    // The key is created on first use, exactly as npm start would.
    await loadOrCreateSigningKey(KEY_DIR);
  } else {
    target = selectStack({ stack: values.stack, env: process.env });
  }
  // Printed to stdout only, so `$(npm run --silent token -- alice)` captures exactly the token.
  process.stdout.write(`${await stackToken(target, userId, { tokenUse, expiresInSeconds })}\n`);
}

runCommand(main);
