import { connectionUser } from '../layers/core/http/identity';
import { websocketRoute } from '../layers/core/http/wrap';
import { getRuntime } from '../layers/core/runtime';

const runtime = getRuntime({ push: true });

/** $disconnect: drop the connection; friends hear presence-timeout only when it was the user's last. */
export const handler = websocketRoute(runtime, async (event) => {
  await runtime.service.disconnect(connectionUser(event), event.requestContext.connectionId);
  return { statusCode: 200 };
});
