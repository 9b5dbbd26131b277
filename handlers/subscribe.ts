import { connectionActivity, connectionUser } from '../layers/core/http/identity';
import { websocketHandler } from '../layers/core/lambda/build';
import { containerConfig } from '../layers/core/runtime/config';
import { containerPostgres } from '../layers/core/runtime/postgres';
import { gatewayOnFirstUse } from '../layers/core/runtime/push-on-first-use';
import { containerRedis } from '../layers/core/runtime/redis';
import { presenceService } from '../layers/core/runtime/service';
import { parseSubscribe } from '../layers/core/validation';

const config = containerConfig();
const service = presenceService(config, {
  store: containerRedis().store,
  directory: containerPostgres().directory,
  gateway: gatewayOnFirstUse(),
});

/**
 * subscribe: set what this connection is pushed (pages, status or none), answer `subscribed`, and after
 * a raised level (or the connection's first subscribe) send the presence snapshot, so a client that wakes
 * up needs no REST call.
 */
export const handler = websocketHandler(
  service,
  async (event, log) => {
    const level = parseSubscribe(event.body);
    const { snapshotFrames } = await service.subscribe(connectionUser(event), connectionActivity(event, config.presence.timeoutMs), level);
    Object.assign(log, { subscriptionLevel: level, snapshotFrames });
    return { statusCode: 200 };
  },
  { routine: () => true },
);
