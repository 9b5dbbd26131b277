import { selectSubprotocol, type HandshakeRequest } from '../layers/core/auth/websocket-token';
import { connectionActivity, connectionUser } from '../layers/core/http/identity';
import { websocketHandler } from '../layers/core/lambda/build';
import { containerConfig } from '../layers/core/runtime/config';
import { containerPostgres } from '../layers/core/runtime/postgres';
import { gatewayOnFirstUse } from '../layers/core/runtime/push-on-first-use';
import { containerRedis } from '../layers/core/runtime/redis';
import { presenceService } from '../layers/core/runtime/service';
import { parseHeartbeatParameter } from '../layers/core/validation';

const config = containerConfig();
const service = presenceService(config, {
  store: containerRedis().store,
  directory: containerPostgres().directory,
  gateway: gatewayOnFirstUse(),
});

/**
 * $connect (after the authorizer): register the connection; a user who came online is announced to
 * friends. A `heartbeat` parameter outside 1-540 s refuses the handshake with 400 and the reason.
 */
export const handler = websocketHandler(service, async (event, log) => {
  const handshake = event as HandshakeRequest;
  const heartbeatSeconds = parseHeartbeatParameter(handshake.queryStringParameters);
  const { cameOnline, sent } = await service.connect(connectionUser(event), connectionActivity(event, config.presence.timeoutMs));
  Object.assign(log, { cameOnline, pushes: sent, ...(heartbeatSeconds ? { heartbeatSeconds } : {}) });
  const subprotocol = selectSubprotocol(handshake);
  return subprotocol ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': subprotocol } } : { statusCode: 200 };
});
