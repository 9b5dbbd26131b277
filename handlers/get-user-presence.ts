import { BadRequestError } from '../layers/core/errors';
import { restUser } from '../layers/core/http/identity';
import { jsonResponse } from '../layers/core/http/responses';
import { restHandler } from '../layers/core/lambda/build';
import { getRuntime } from '../layers/core/runtime';

const runtime = getRuntime();

const USER_ID = /^[\w.@:+-]{1,128}$/;

/** GET /presence/{userId}: the target's current page, null when offline; 403 unless self or friend. */
export const handler = restHandler(runtime, async (event) => {
  const callerId = restUser(event, runtime.config.userIdClaim);
  const raw = event.pathParameters?.userId;
  const targetId = raw ? safeDecode(raw) : '';
  if (!USER_ID.test(targetId)) throw new BadRequestError('userId is missing or malformed');
  const page = await runtime.service.pageOf(callerId, targetId);
  return jsonResponse(200, page, runtime.config.corsOrigin);
});

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}
