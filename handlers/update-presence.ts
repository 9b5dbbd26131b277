import { connectionUser } from '../layers/core/http/identity';
import { websocketHandler } from '../layers/core/lambda/build';
import { getRuntime } from '../layers/core/runtime';
import { parsePageUpdate } from '../layers/core/validation';

const runtime = getRuntime({ push: true });

/** update-presence: validate, apply the user's sharing rules, store, push to friends and own devices. */
export const handler = websocketHandler(runtime, async (event, log) => {
  const userId = connectionUser(event);
  const { url, title } = parsePageUpdate(event.body, runtime.config.presence);
  const { sent, deferred } = await runtime.service.updatePresence(userId, event.requestContext.connectionId, url, title);
  Object.assign(log, { pushes: sent, ...(deferred ? { deferred } : {}) });
  return { statusCode: 200 };
});
