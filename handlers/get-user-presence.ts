import { jsonResponse } from '../layers/core/http/responses';
import { restHandler } from '../layers/core/lambda/build';
import { containerConfig } from '../layers/core/runtime/config';
import { containerPostgres } from '../layers/core/runtime/postgres';
import { containerRedis } from '../layers/core/runtime/redis';
import { presenceService } from '../layers/core/runtime/service';
import { parseUserIdParameter } from '../layers/core/validation';

const config = containerConfig();
const service = presenceService(config, { store: containerRedis().store, directory: containerPostgres().directory });

/** GET /presence/{userId}: the target's current page, null when offline; 403 unless self or friend. */
export const handler = restHandler(config, async (event, callerId) => {
  const targetId = parseUserIdParameter(event.pathParameters?.userId);
  return jsonResponse(200, await service.pageOf(callerId, targetId));
});
