import type Redis from 'ioredis';

/**
 * Deletes every key under a prefix with SCAN + UNLINK (never KEYS, which blocks the server).
 * Tests, benchmarks and the local stack each own a prefix and clean it up with this.
 */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  // Escape glob metacharacters so the prefix matches literally.
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
