/**
 * Lua scripts for every state change that spans keys. Each declares all its
 * keys in KEYS, and all keys of one call share a hash slot (see keys.ts), so
 * they run unchanged on Redis Cluster. Times are milliseconds since the epoch,
 * passed in by the caller so tests can control the clock.
 */

/** KEYS: status, conn, page · ARGV: userId, connectionId, now, expiresAt, pageTtlMs → 1 came online, 0 already online, -1 expired */
export const CONNECT = `
local now = tonumber(ARGV[3])
local expiresAt = tonumber(ARGV[4])
if expiresAt <= now then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], expiresAt, ARGV[2])
local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], newest[2])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
return redis.call('ZADD', KEYS[1], 'GT', now, ARGV[1])
`;

/** KEYS: status, conn, page · ARGV: userId, connectionId, now, pageTtlMs → 1 refreshed, 0 connection unknown */
export const HEARTBEAT = `
local expiresAt = redis.call('ZSCORE', KEYS[2], ARGV[2])
if not expiresAt or tonumber(expiresAt) <= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], 'GT', ARGV[3], ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return 1
`;

/**
 * KEYS: status, conn, page · ARGV: userId, connectionId, now, url, title, domain, pageTtlMs
 * → false when the connection is unknown, else { latestUrl, latestTitle, latestDomain, { live connection ids } }
 */
export const UPDATE_PAGE = `
local now = tonumber(ARGV[3])
local expiresAt = redis.call('ZSCORE', KEYS[2], ARGV[2])
if not expiresAt or tonumber(expiresAt) <= now then return false end
redis.call('ZADD', KEYS[1], 'GT', now, ARGV[1])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[3], 'u', ARGV[4], 't', ARGV[5], 'd', ARGV[6], 'lu', ARGV[4], 'lt', ARGV[5], 'ld', ARGV[6])
else
  redis.call('HSET', KEYS[3], 'u', '', 't', '', 'd', '')
end
redis.call('PEXPIRE', KEYS[3], ARGV[7])
local latest = redis.call('HMGET', KEYS[3], 'lu', 'lt', 'ld')
local connections = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf')
return { latest[1] or '', latest[2] or '', latest[3] or '', connections }
`;

/**
 * Removes one connection. Only when no live connection is left does the user
 * go offline, so a late $disconnect of an old connection is harmless.
 * KEYS: status, conn, page, seen · ARGV: userId, connectionId, now, seenRetentionMs → 1 went offline, 0 otherwise
 */
export const DISCONNECT = `
local now = tonumber(ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[4], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[4]))
return 1
`;

/**
 * Claims stale users of one shard, re-checking staleness inside the script so
 * a heartbeat that landed after the candidate scan keeps its user online.
 * Claimed users move to the pending hash with their connection ids until
 * their friends are told; a retried task finds them there.
 * KEYS: status, seen, pending, conn(u1), page(u1), conn(u2), page(u2), …
 * ARGV: cutoff, now, seenRetentionMs, u1, u2, … → the pending hash (flat: user, connections, …)
 */
export const CLAIM_STALE = `
local cutoff = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local claimed = {}
for i = 4, #ARGV do
  local user = ARGV[i]
  local lastActive = redis.call('ZSCORE', KEYS[1], user)
  if lastActive and tonumber(lastActive) <= cutoff then
    local connKey = KEYS[4 + (i - 4) * 2]
    local pageKey = KEYS[5 + (i - 4) * 2]
    local connections = redis.call('ZRANGE', connKey, 0, -1)
    redis.call('DEL', connKey, pageKey)
    redis.call('ZREM', KEYS[1], user)
    redis.call('ZADD', KEYS[2], lastActive, user)
    redis.call('HSET', KEYS[3], user, table.concat(connections, ','))
    claimed[#claimed + 1] = user
  end
end
if #claimed > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))
end
return redis.call('HGETALL', KEYS[3])
`;

/**
 * Presence of many users of one shard in one call (GET /presence reads a user and all friends).
 * KEYS: status, seen, page(u1), page(u2), … · ARGV: u1, u2, …
 * → per user 8 strings: lastActive ('' offline), lastSeen ('' online or unknown), u, t, d, lu, lt, ld
 */
export const SNAPSHOT = `
local out = {}
for i, user in ipairs(ARGV) do
  local lastActive = redis.call('ZSCORE', KEYS[1], user)
  if lastActive then
    local page = redis.call('HMGET', KEYS[2 + i], 'u', 't', 'd', 'lu', 'lt', 'ld')
    out[#out + 1] = lastActive
    out[#out + 1] = ''
    for f = 1, 6 do out[#out + 1] = page[f] or '' end
  else
    out[#out + 1] = ''
    out[#out + 1] = redis.call('ZSCORE', KEYS[2], user) or ''
    for f = 1, 6 do out[#out + 1] = '' end
  end
end
return out
`;

/**
 * Live connections of many users of one shard in one call (fan-out to friends). Offline users cost
 * one lookup of a missing key inside the script, nothing on the wire.
 * KEYS: conn(u1), conn(u2), … · ARGV: now, u1, u2, … → flat { user, "c1,c2", … } for users with connections
 */
export const LIVE_CONNECTIONS = `
local out = {}
for i = 1, #KEYS do
  local connections = redis.call('ZRANGEBYSCORE', KEYS[i], '(' .. ARGV[1], '+inf')
  if #connections > 0 then
    out[#out + 1] = ARGV[i + 1]
    out[#out + 1] = table.concat(connections, ',')
  end
end
return out
`;
