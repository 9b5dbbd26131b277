import { BadRequestError } from '../layers/core/errors';
import { connectionUser } from '../layers/core/http/identity';
import { websocketHandler } from '../layers/core/lambda/build';
import { containerConfig } from '../layers/core/runtime/config';
import { gatewayOnFirstUse } from '../layers/core/runtime/push-on-first-use';
import { containerRedis } from '../layers/core/runtime/redis';
import { presenceService } from '../layers/core/runtime/service';
import { parseFrame } from '../layers/core/validation';

// Redis and the error frame: the @connections client loads on the first one (unknown frames are rare).
const service = presenceService(containerConfig(), { store: containerRedis().store, gateway: gatewayOnFirstUse() });

const KNOWN_ACTIONS = ['heartbeat', 'update-presence', 'subscribe', 'keepalive'];

/**
 * $default: frames no route matched get an error frame explaining why; the socket stays open. They
 * count against the connection's budget like any message, and over it they are not answered.
 */
export const handler = websocketHandler(
  service,
  async (event) => {
    const verdict = await service.countMessage(connectionUser(event), event.requestContext.connectionId);
    if (verdict !== 'ok') return { statusCode: 429 };
    const frame = parseFrame(event.body);
    const action = typeof frame.action === 'string' ? frame.action.slice(0, 64) : undefined;
    throw new BadRequestError(
      action
        ? `Unknown action "${action}"; expected one of: ${KNOWN_ACTIONS.join(', ')}`
        : `Missing "action"; expected one of: ${KNOWN_ACTIONS.join(', ')}`,
    );
  },
  // One Redis call and one error frame, each bounded far below the function timeout.
  { bounded: true },
);
