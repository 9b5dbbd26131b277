import { BadRequestError } from '../layers/core/errors';
import { connectionUser } from '../layers/core/http/identity';
import { websocketHandler } from '../layers/core/lambda/build';
import { getRuntime } from '../layers/core/runtime';
import { parseFrame } from '../layers/core/validation';

const runtime = getRuntime({ push: true });

const KNOWN_ACTIONS = ['heartbeat', 'update-presence'];

/**
 * $default: frames no route matched get an error frame explaining why; the socket stays open. They
 * count against the connection's budget like any message, and over it they are not answered.
 */
export const handler = websocketHandler(
  runtime,
  async (event) => {
    const verdict = await runtime.service.countMessage(connectionUser(event), event.requestContext.connectionId);
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
