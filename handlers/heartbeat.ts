import { connectionActivity, connectionUser } from '../layers/core/http/identity';
import { websocketHandler } from '../layers/core/lambda/build';
import { containerConfig } from '../layers/core/runtime/config';
import { gatewayOnFirstUse } from '../layers/core/runtime/push-on-first-use';
import { containerRedis } from '../layers/core/runtime/redis';
import { presenceService } from '../layers/core/runtime/service';

const config = containerConfig();
// Redis only: the @connections client loads for the rare error frame or stale connection's close.
const service = presenceService(config, { store: containerRedis().store, gateway: gatewayOnFirstUse() });

/** heartbeat: one atomic Redis call recording the connection's activity (bounded by the Redis timeouts). */
export const handler = websocketHandler(
  service,
  async (event) => {
    await service.heartbeat(connectionUser(event), connectionActivity(event, config.presence.timeoutMs));
    return { statusCode: 200 };
  },
  { bounded: true, routine: () => true },
);
