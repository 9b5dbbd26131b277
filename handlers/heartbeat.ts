import { connectionUser } from '../layers/core/http/identity';
import { websocketHandler } from '../layers/core/lambda/build';
import { getRuntime } from '../layers/core/runtime';

const runtime = getRuntime({ push: true });

/** heartbeat: one atomic Redis call refreshing the user's last activity (bounded by the Redis timeouts). */
export const handler = websocketHandler(
  runtime,
  async (event) => {
    await runtime.service.heartbeat(connectionUser(event), event.requestContext.connectionId);
    return { statusCode: 200 };
  },
  { bounded: true },
);
