/**
 * @presence-api/client: the reference client of the Presence API. See README.md.
 */
export { createPresenceClient } from './client.js';
export { fullJitterDelay } from './backoff.js';
export { tokenExpiresAt } from './token.js';
