import { connectionUser } from '../layers/core/http/identity';
import { websocketHandler } from '../layers/core/lambda/build';
import { getRuntime } from '../layers/core/runtime';

const runtime = getRuntime({ push: true });

/** $disconnect: drop the connection; friends hear presence-timeout only when it was the user's last. */
export const handler = websocketHandler(runtime, async (event, log) => {
  const { wentOffline, sent } = await runtime.service.disconnect(connectionUser(event), event.requestContext.connectionId);
  Object.assign(log, { wentOffline, pushes: sent });
  return { statusCode: 200 };
});
