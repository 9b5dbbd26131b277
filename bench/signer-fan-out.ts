/**
 * The function the signer comparison (bench/signers.ts) runs in a Lambda-shaped environment: one
 * update's fan-out, `posts` signed posts of one new frame through the @connections client, signed by
 * layers/core/push/sigv4.ts or by the AWS SDK's signer (bench/smithy-signer.ts). Both clients are
 * created at module scope from the function's environment, as a handler's would be.
 */
import { loadConfig } from '../layers/core/config';
import { forEachBounded } from '../layers/core/push/concurrency';
import { ManagementApiClient } from '../layers/core/push/management-api-client';
import { SmithyRequestSigner } from './smithy-signer';

export type SignerName = 'ours' | 'smithy';

export interface FanOutEvent {
  signer: SignerName;
  posts: number;
  seq: number;
}

const config = loadConfig(process.env);
const endpoint = config.managementEndpoint ?? '';
const region = config.awsRegion ?? 'us-east-1';
const { pushConcurrency, pushTimeoutMs } = config.presence;
const options = { endpoint, region, connections: pushConcurrency, timeoutMs: pushTimeoutMs };
const clients: Record<SignerName, ManagementApiClient> = {
  ours: new ManagementApiClient(options),
  smithy: new ManagementApiClient({ ...options, signer: new SmithyRequestSigner(new URL(endpoint).host, region) }),
};

export async function handler(event: FanOutEvent): Promise<{ sent: number }> {
  const client = clients[event.signer];
  const frame = Buffer.from(
    JSON.stringify({
      type: 'update-presence',
      userId: 'lh1',
      url: `https://en.wikipedia.org/wiki/Page_${event.seq}`,
      title: `Page ${event.seq}`,
    }),
  );
  const targets = Array.from({ length: event.posts }, (_, i) => `c-w${i}`);
  let sent = 0;
  await forEachBounded(targets, pushConcurrency, async (connectionId) => {
    if ((await client.postToConnection(connectionId, frame)) === 'sent') sent++;
  });
  return { sent };
}
