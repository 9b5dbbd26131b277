import { connectionActivity, connectionUser } from '../layers/core/http/identity';
import { websocketHandler } from '../layers/core/lambda/build';
import { containerConfig } from '../layers/core/runtime/config';
import { containerPostgres } from '../layers/core/runtime/postgres';
import { gatewayOnFirstUse } from '../layers/core/runtime/push-on-first-use';
import { containerRedis } from '../layers/core/runtime/redis';
import { presenceService } from '../layers/core/runtime/service';
import { parsePageUpdate } from '../layers/core/validation';

const config = containerConfig();
const service = presenceService(config, {
  store: containerRedis().store,
  directory: containerPostgres().directory,
  gateway: gatewayOnFirstUse(),
});

/** update-presence: validate, apply the user's sharing rules, store, push to friends and own devices. */
export const handler = websocketHandler(
  service,
  async (event, log) => {
    const userId = connectionUser(event);
    const { url, title } = parsePageUpdate(event.body, config.presence);
    const { sent, deferred } = await service.updatePresence(userId, connectionActivity(event, config.presence.timeoutMs), url, title);
    Object.assign(log, { pushes: sent, ...(deferred ? { deferred } : {}) });
    return { statusCode: 200 };
  },
  // An update fanned out at once is routine; one deferred by a budget is worth reading.
  { routine: (fields) => !fields.deferred },
);
