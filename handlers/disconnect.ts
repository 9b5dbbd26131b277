import { connectionUser } from '../layers/core/http/identity';
import { websocketHandler } from '../layers/core/lambda/build';
import { containerConfig } from '../layers/core/runtime/config';
import { containerPostgres } from '../layers/core/runtime/postgres';
import { gatewayOnFirstUse } from '../layers/core/runtime/push-on-first-use';
import { containerRedis } from '../layers/core/runtime/redis';
import { presenceService } from '../layers/core/runtime/service';

const service = presenceService(containerConfig(), {
  store: containerRedis().store,
  directory: containerPostgres().directory,
  gateway: gatewayOnFirstUse(),
});

/**
 * $disconnect: drop the connection; friends hear presence-timeout only when it was the user's last, at
 * once, or from the sweep when the offline grace (OFFLINE_GRACE_SECONDS) ends without a new connection.
 */
export const handler = websocketHandler(service, async (event, log) => {
  const { wentOffline, leaving, sent } = await service.disconnect(connectionUser(event), event.requestContext.connectionId);
  Object.assign(log, { wentOffline, ...(leaving ? { leaving } : {}), pushes: sent });
  return { statusCode: 200 };
});
