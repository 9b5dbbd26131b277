import { restUser } from '../layers/core/http/identity';
import { jsonResponse } from '../layers/core/http/responses';
import { restHandler } from '../layers/core/lambda/build';
import { getRuntime } from '../layers/core/runtime';
import { parseUserIdParameter } from '../layers/core/validation';

const runtime = getRuntime();

/** GET /presence/{userId}: the target's current page, null when offline; 403 unless self or friend. */
export const handler = restHandler(runtime, async (event) => {
  const callerId = restUser(event, runtime.config.userIdClaim);
  const targetId = parseUserIdParameter(event.pathParameters?.userId);
  const page = await runtime.service.pageOf(callerId, targetId);
  return jsonResponse(200, page, runtime.config.corsOrigin);
});
