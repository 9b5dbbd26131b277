import { selectSubprotocol } from '../layers/core/auth/websocket-token';
import { connectionUser } from '../layers/core/http/identity';
import { websocketHandler } from '../layers/core/lambda/build';
import { getRuntime } from '../layers/core/runtime';

const runtime = getRuntime({ push: true });

/** $connect (after the authorizer): register the connection; a user who came online is announced to friends. */
export const handler = websocketHandler(runtime, async (event, log) => {
  const { connectionId, connectedAt } = event.requestContext;
  const { cameOnline, sent } = await runtime.service.connect(connectionUser(event), connectionId, connectedAt ?? Date.now());
  Object.assign(log, { cameOnline, pushes: sent });
  const subprotocol = selectSubprotocol(event as { headers?: Record<string, string | undefined> });
  return subprotocol ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': subprotocol } } : { statusCode: 200 };
});
