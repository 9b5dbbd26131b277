import { connectionUser } from '../layers/core/http/identity';
import { websocketRoute } from '../layers/core/http/wrap';
import { getRuntime } from '../layers/core/runtime';
import { parsePageUpdate } from '../layers/core/validation';

const runtime = getRuntime({ push: true });

/** update-presence: validate, apply the user's sharing rules, store, push to friends and own devices. */
export const handler = websocketRoute(runtime, async (event) => {
  const userId = connectionUser(event);
  const { url, title } = parsePageUpdate(event.body, runtime.config.presence);
  await runtime.service.updatePresence(userId, event.requestContext.connectionId, url, title);
  return { statusCode: 200 };
});
