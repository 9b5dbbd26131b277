import { connectionUser } from '../layers/core/http/identity';
import { websocketHandler } from '../layers/core/lambda/build';
import { containerConfig } from '../layers/core/runtime/config';
import { gatewayOnFirstUse } from '../layers/core/runtime/push-on-first-use';
import { containerRedis } from '../layers/core/runtime/redis';
import { presenceService } from '../layers/core/runtime/service';

// Redis only: the @connections client loads for the rare error frame or stale connection's close.
const service = presenceService(containerConfig(), { store: containerRedis().store, gateway: gatewayOnFirstUse() });

/** heartbeat: one atomic Redis call refreshing the user's last activity (bounded by the Redis timeouts). */
export const handler = websocketHandler(
  service,
  async (event) => {
    await service.heartbeat(connectionUser(event), event.requestContext.connectionId);
    return { statusCode: 200 };
  },
  { bounded: true },
);
