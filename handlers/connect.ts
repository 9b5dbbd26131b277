import { selectSubprotocol } from '../layers/core/auth/websocket-token';
import { connectionUser } from '../layers/core/http/identity';
import { websocketRoute } from '../layers/core/http/wrap';
import { getRuntime } from '../layers/core/runtime';

const runtime = getRuntime();

/** $connect (after the authorizer): register the connection and mark the user online. */
export const handler = websocketRoute(runtime, async (event) => {
  const { connectionId, connectedAt } = event.requestContext;
  await runtime.service.connect(connectionUser(event), connectionId, connectedAt ?? Date.now());
  const subprotocol = selectSubprotocol(event as { headers?: Record<string, string | undefined> });
  return subprotocol ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': subprotocol } } : { statusCode: 200 };
});
