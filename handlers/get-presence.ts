import { jsonResponse } from '../layers/core/http/responses';
import { restHandler } from '../layers/core/lambda/build';
import { containerConfig } from '../layers/core/runtime/config';
import { containerPostgres } from '../layers/core/runtime/postgres';
import { containerRedis } from '../layers/core/runtime/redis';
import { presenceService } from '../layers/core/runtime/service';

const config = containerConfig();
const service = presenceService(config, { store: containerRedis().store, directory: containerPostgres().directory });

/** GET /presence: the caller's presence, every accepted friend's, and their profiles. */
export const handler = restHandler(config, async (_event, userId) => jsonResponse(200, await service.snapshot(userId)));
