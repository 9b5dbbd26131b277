import { selectSubprotocol } from '../layers/core/auth/websocket-token';
import { connectionUser } from '../layers/core/http/identity';
import { websocketHandler } from '../layers/core/lambda/build';
import { containerConfig } from '../layers/core/runtime/config';
import { containerPostgres } from '../layers/core/runtime/postgres';
import { gatewayOnFirstUse } from '../layers/core/runtime/push-on-first-use';
import { containerRedis } from '../layers/core/runtime/redis';
import { presenceService } from '../layers/core/runtime/service';

const service = presenceService(containerConfig(), {
  store: containerRedis().store,
  directory: containerPostgres().directory,
  gateway: gatewayOnFirstUse(),
});

/** $connect (after the authorizer): register the connection; a user who came online is announced to friends. */
export const handler = websocketHandler(service, async (event, log) => {
  const { connectionId, connectedAt } = event.requestContext;
  const { cameOnline, sent } = await service.connect(connectionUser(event), connectionId, connectedAt ?? Date.now());
  Object.assign(log, { cameOnline, pushes: sent });
  const subprotocol = selectSubprotocol(event as { headers?: Record<string, string | undefined> });
  return subprotocol ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': subprotocol } } : { statusCode: 200 };
});
