import { fnv1a, KeySpace } from '../../layers/core/keys';

/** Redis Cluster hash slot of a key (CRC16/XMODEM of the hash tag), as the server computes it. */
function slot(key: string): number {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const tag = open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(tag)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe('KeySpace', () => {
  const keys = new KeySpace('presence:', 16);

  it('puts every key of a user in the slot of the user shard', () => {
    for (const userId of ['alice', 'bob', 'u-123', 'ünïcode', '{braces}']) {
      const shard = keys.shardOf(userId);
      const expected = slot(keys.status(shard));
      for (const key of [keys.connections(userId), keys.page(userId), keys.lastSeen(shard), keys.pending(shard)]) {
        expect(slot(key)).toBe(expected);
      }
    }
  });

  it('spreads users over all shards', () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[keys.shardOf(`user-${i}`)]++;
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });

  it('is stable (FNV-1a reference values)', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('groups ids by shard', () => {
    const groups = keys.groupByShard(['a', 'b', 'c', 'a']);
    expect([...groups.values()].flat().sort()).toEqual(['a', 'a', 'b', 'c']);
    for (const [shard, ids] of groups) for (const id of ids) expect(keys.shardOf(id)).toBe(shard);
  });
});
