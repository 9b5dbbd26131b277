import { restUser } from '../layers/core/http/identity';
import { jsonResponse } from '../layers/core/http/responses';
import { restHandler } from '../layers/core/lambda/build';
import { getRuntime } from '../layers/core/runtime';

const runtime = getRuntime();

/** GET /presence: the caller's presence, every accepted friend's, and their profiles. */
export const handler = restHandler(runtime, async (event) => {
  const snapshot = await runtime.service.snapshot(restUser(event, runtime.config.userIdClaim));
  return jsonResponse(200, snapshot, runtime.config.corsOrigin);
});
