import type { ConnectionGateway, DeliveryResult } from '../../layers/core/ports/connection-gateway';
import { deliverAndClose, deliverAll, type Delivery } from '../../layers/core/push/fan-out';

/** A gateway answering after a tick, recording what it was asked and how much was in flight at once. */
function recordingGateway(answers: { post?: (id: string) => DeliveryResult; close?: (id: string) => DeliveryResult } = {}) {
  let inFlight = 0;
  let maxInFlight = 0;
  const posted: string[] = [];
  const closed: string[] = [];
  const call = async (id: string, log: string[], answer?: (id: string) => DeliveryResult): Promise<DeliveryResult> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      log.push(id);
      return answer ? answer(id) : 'sent';
    } finally {
      inFlight--;
    }
  };
  const gateway: ConnectionGateway = {
    post: (id) => call(id, posted, answers.post),
    close: (id) => call(id, closed, answers.close),
  };
  return { gateway, posted, closed, maxInFlight: () => maxInFlight };
}

const data = Buffer.from('{}');
const deliveriesTo = (ids: string[]): Delivery[] => ids.map((id) => ({ target: { userId: `u-${id}`, connectionId: id }, data }));

describe('deliverAndClose', () => {
  it('keeps posts and closes together within one window of requests', async () => {
    const g = recordingGateway();
    const posts = Array.from({ length: 40 }, (_, i) => `p${i}`);
    const closes = Array.from({ length: 30 }, (_, i) => `c${i}`);
    const { report, closeFailures } = await deliverAndClose(g.gateway, deliveriesTo(posts), closes, 8);
    expect(g.maxInFlight()).toBe(8);
    expect(g.posted.sort()).toEqual([...posts].sort());
    expect(g.closed.sort()).toEqual([...closes].sort());
    expect(report).toEqual({ sent: 40, gone: [], failed: 0 });
    expect(closeFailures).toBe(0);
  });

  it('reports gone and failed posts and failed closes without stopping the rest', async () => {
    const g = recordingGateway({
      post: (id) => {
        if (id === 'p-broken') throw new Error('socket hang up');
        return id === 'p-gone' ? 'gone' : 'sent';
      },
      close: (id) => {
        if (id === 'c-broken') throw new Error('timeout');
        return id === 'c-gone' ? 'gone' : 'sent';
      },
    });
    const { report, closeFailures } = await deliverAndClose(
      g.gateway,
      deliveriesTo(['p1', 'p-gone', 'p-broken', 'p2']),
      ['c1', 'c-gone', 'c-broken'],
      2,
    );
    expect(report.sent).toBe(2);
    expect(report.gone).toEqual([{ userId: 'u-p-gone', connectionId: 'p-gone' }]);
    expect(report.failed).toBe(1);
    expect(closeFailures).toBe(1);
    expect(g.closed.sort()).toEqual(['c-broken', 'c-gone', 'c1']);
    expect(g.posted.sort()).toEqual(['p-broken', 'p-gone', 'p1', 'p2']);
  });

  it('deliverAll is the same window without closes', async () => {
    const g = recordingGateway();
    const report = await deliverAll(g.gateway, deliveriesTo(['a', 'b', 'c']), 2);
    expect(report).toEqual({ sent: 3, gone: [], failed: 0 });
    expect(g.maxInFlight()).toBe(2);
    expect(g.closed).toEqual([]);
  });
});
