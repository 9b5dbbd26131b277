/**
 * Lua scripts for every state change that spans keys. Each declares all its
 * keys in KEYS, and all keys of one call share a hash slot (see keys.ts), so
 * they run unchanged on Redis Cluster. Times are milliseconds since the epoch,
 * passed in by the caller so tests can control the clock.
 */

/**
 * The per-connection message budget (fixed window, one INCR per message), shared by every script a
 * message runs. → 1 within budget, 2 first message over it, 3 over it, 4 over it for the
 * floodCloseAfter-th time (close the connection now), 5 already closed (drop quietly).
 */
const MESSAGE_BUDGET = `
local function messageBudget(key, limit, windowMs, closeAfter)
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, windowMs) end
  if count <= limit then return 1 end
  local over = count - limit
  if over >= closeAfter then
    if over == closeAfter then return 4 end
    return 5
  end
  if over == 1 then return 2 end
  return 3
end
`;

/**
 * Per-user fan-out budget (GCRA: a burst of capacity / interval fan-outs, then one per interval),
 * kept in the page hash as 'ft' (the theoretical arrival time). → the new value when a token is
 * available now, else false.
 */
const FAN_OUT_BUDGET = `
local function fanOutToken(ft, now, interval, capacity)
  local tat = math.max(tonumber(ft) or 0, now) + interval
  if tat - now <= capacity then return tat end
  return false
end
`;

/**
 * Registers a connection and marks the user active now. A user who comes online starts with no page
 * shared yet, and friends are to be told at once: like an update, that fan-out takes the push lease
 * and a fan-out token, or is deferred to the pusher in flight or to the sweep.
 * KEYS: status, conn, page, deferred · ARGV: userId, connectionId, now, expiresAt, pageTtlMs, fanOutIntervalMs, fanOutCapacityMs, leaseMs
 * → { -1 } connection already expired · { 0 } already online · { 1, push (1|0), latestUrl, latestTitle, latestDomain } came online
 */
export const CONNECT = `${FAN_OUT_BUDGET}
local now = tonumber(ARGV[3])
local expiresAt = tonumber(ARGV[4])
if expiresAt <= now then return { -1 } end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], expiresAt, ARGV[2])
local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], newest[2])
if redis.call('ZADD', KEYS[1], 'GT', now, ARGV[1]) == 0 then
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
  return { 0 }
end
redis.call('HSET', KEYS[3], 'u', '', 't', '', 'd', '')
redis.call('PEXPIRE', KEYS[3], ARGV[5])
local state = redis.call('HMGET', KEYS[3], 'lu', 'lt', 'ld', 'ft', 'pl')
local lease = tonumber(state[5]) or 0
local tat = false
if lease <= now then tat = fanOutToken(state[4], now, tonumber(ARGV[6]), tonumber(ARGV[7])) end
if tat then
  redis.call('HSET', KEYS[3], 'ft', tat, 'pl', now + tonumber(ARGV[8]), 'pd', '0')
  redis.call('ZADD', KEYS[4], now + tonumber(ARGV[8]), ARGV[1])
else
  redis.call('HSET', KEYS[3], 'pd', '1')
  redis.call('ZADD', KEYS[4], 'LT', math.max(lease, now), ARGV[1])
end
return { 1, tat and 1 or 0, state[1] or '', state[2] or '', state[3] or '' }
`;

/**
 * Refreshes the user's last activity for a registered, unexpired connection and counts the message
 * against the connection's budget. The page hash needs no refresh: every connect extends its TTL past
 * the connection's two-hour life.
 * KEYS: status, conn, rate · ARGV: userId, connectionId, now, messageLimit, messageWindowMs, floodCloseAfter
 * → 0 connection unknown, else the budget verdict (activity refreshed unless 5)
 */
export const HEARTBEAT = `${MESSAGE_BUDGET}
local now = tonumber(ARGV[3])
local expiresAt = redis.call('ZSCORE', KEYS[2], ARGV[2])
if not expiresAt or tonumber(expiresAt) <= now then return 0 end
local verdict = messageBudget(KEYS[3], tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]))
if verdict == 5 then return 5 end
redis.call('ZADD', KEYS[1], 'GT', now, ARGV[1])
return verdict
`;

/** KEYS: rate · ARGV: messageLimit, messageWindowMs, floodCloseAfter → the budget verdict (frames no route matched) */
export const COUNT_MESSAGE = `${MESSAGE_BUDGET}
return messageBudget(KEYS[1], tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]))
`;

/**
 * Stores the (privacy-filtered) page at once, whatever the budgets say, and decides whether this
 * update may fan out now. At most one fan-out per user is in flight (the push lease 'pl'), so friends
 * receive a user's pages in order; a page stored while another is being pushed, or over a budget, is
 * marked pending ('pd') and the user queued in the shard's deferred set (due now), from which the
 * pusher's release or the next sweep sends the latest page, never an intermediate one. The deferred
 * entry of a push in flight is due when its lease expires, so a pusher that dies is finished by the sweep.
 * KEYS: status, conn, page, rate, deferred
 * ARGV: userId, connectionId, now, url, title, domain, pageTtlMs, messageLimit, messageWindowMs, floodCloseAfter,
 *       fanOutIntervalMs, fanOutCapacityMs, leaseMs
 * → { 0 } connection unknown · { 5 } dropped (connection being closed) ·
 *   { verdict, push (1|0), latestUrl, latestTitle, latestDomain, { live connection ids } }
 */
export const UPDATE_PAGE = `${MESSAGE_BUDGET}${FAN_OUT_BUDGET}
local now = tonumber(ARGV[3])
local expiresAt = redis.call('ZSCORE', KEYS[2], ARGV[2])
if not expiresAt or tonumber(expiresAt) <= now then return { 0 } end
local verdict = messageBudget(KEYS[4], tonumber(ARGV[8]), ARGV[9], tonumber(ARGV[10]))
if verdict == 5 then return { 5 } end
redis.call('ZADD', KEYS[1], 'GT', now, ARGV[1])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[3], 'u', ARGV[4], 't', ARGV[5], 'd', ARGV[6], 'lu', ARGV[4], 'lt', ARGV[5], 'ld', ARGV[6])
else
  redis.call('HSET', KEYS[3], 'u', '', 't', '', 'd', '')
end
redis.call('PEXPIRE', KEYS[3], ARGV[7])
local state = redis.call('HMGET', KEYS[3], 'lu', 'lt', 'ld', 'ft', 'pl')
local lease = tonumber(state[5]) or 0
local push = 0
local due = now
if lease > now then
  due = lease
elseif verdict == 1 then
  local tat = fanOutToken(state[4], now, tonumber(ARGV[11]), tonumber(ARGV[12]))
  if tat then
    push = 1
    redis.call('HSET', KEYS[3], 'ft', tat, 'pl', now + tonumber(ARGV[13]), 'pd', '0')
    redis.call('ZADD', KEYS[5], now + tonumber(ARGV[13]), ARGV[1])
  end
end
if push == 0 then
  redis.call('HSET', KEYS[3], 'pd', '1')
  redis.call('ZADD', KEYS[5], 'LT', due, ARGV[1])
  return { verdict, 0, state[1] or '', state[2] or '', state[3] or '', {} }
end
local connections = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf')
return { verdict, 1, state[1] or '', state[2] or '', state[3] or '', connections }
`;

/**
 * Ends a fan-out that held the push lease. When a newer page was stored meanwhile ('pd'), the caller
 * may push it at once if allowed and the budget has a token (the lease is renewed and the page
 * returned), else the user stays deferred for the sweep.
 * KEYS: status, conn, page, deferred · ARGV: userId, now, fanOutIntervalMs, fanOutCapacityMs, leaseMs, mayPushAgain (1|0)
 * → { 0 } done · { 1, url, title, domain, latestUrl, latestTitle, latestDomain, { live connection ids } } push this next
 */
export const RELEASE_PUSH = `${FAN_OUT_BUDGET}
local now = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[3], 'pd', 'ft', 'u', 't', 'd', 'lu', 'lt', 'ld')
if state[1] ~= '1' or not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('HDEL', KEYS[3], 'pl')
  redis.call('ZREM', KEYS[4], ARGV[1])
  return { 0 }
end
local tat = false
if ARGV[6] == '1' then tat = fanOutToken(state[2], now, tonumber(ARGV[3]), tonumber(ARGV[4])) end
if not tat then
  redis.call('HDEL', KEYS[3], 'pl')
  redis.call('ZADD', KEYS[4], now, ARGV[1])
  return { 0 }
end
redis.call('HSET', KEYS[3], 'ft', tat, 'pl', now + tonumber(ARGV[5]), 'pd', '0')
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[5]), ARGV[1])
local connections = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf')
return { 1, state[3] or '', state[4] or '', state[5] or '', state[6] or '', state[7] or '', state[8] or '', connections }
`;

/**
 * The sweep's half of deferred fan-outs: takes the push lease of deferred users whose time has come
 * (and a fan-out token, on credit if need be: a flooding user keeps paying, and the sweep's own
 * schedule bounds how often it flushes one user), and returns their latest
 * page. Offline users and users without a page leave the set; users another pusher holds are looked
 * at again when that lease ends. Claimed users stay in the set until released (their lease's expiry),
 * so a sweep that dies after the claim is finished by a later one.
 * KEYS: status, deferred, conn(u1), page(u1), conn(u2), page(u2), … · ARGV: now, fanOutIntervalMs, leaseMs, u1, u2, …
 * → { { user, url, title, domain, latestUrl, latestTitle, latestDomain, { live connection ids } }, … }
 */
export const CLAIM_DEFERRED = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local claimed = {}
for i = 4, #ARGV do
  local user = ARGV[i]
  local due = redis.call('ZSCORE', KEYS[2], user)
  if due and tonumber(due) <= now then
    local connKey = KEYS[1 + (i - 3) * 2]
    local pageKey = KEYS[2 + (i - 3) * 2]
    local state = redis.call('HMGET', pageKey, 'pl', 'ft', 'u', 't', 'd', 'lu', 'lt', 'ld')
    if not state[3] or not redis.call('ZSCORE', KEYS[1], user) then
      redis.call('ZREM', KEYS[2], user)
    elseif (tonumber(state[1]) or 0) > now then
      redis.call('ZADD', KEYS[2], state[1], user)
    else
      local tat = math.max(tonumber(state[2]) or 0, now) + interval
      redis.call('HSET', pageKey, 'ft', tat, 'pl', now + lease, 'pd', '0')
      redis.call('ZADD', KEYS[2], now + lease, user)
      local connections = redis.call('ZRANGEBYSCORE', connKey, '(' .. now, '+inf')
      claimed[#claimed + 1] = { user, state[3], state[4] or '', state[5] or '', state[6] or '', state[7] or '', state[8] or '', connections }
    end
  end
end
return claimed
`;

/**
 * Removes one connection. Only when no live connection is left does the user go offline, so a late
 * $disconnect of an old connection is harmless. A user who goes offline is recorded in the shard's
 * pending hash until the caller has told their friends, so a failure there (PostgreSQL down) is
 * finished by the sweep. A user Redis knows nothing about (neither online nor recently seen: the data
 * was lost, e.g. Redis restarted empty) is announced offline too, since friends may still show them online.
 * KEYS: status, conn, page, seen, pending, deferred · ARGV: userId, connectionId, now, seenRetentionMs
 * → 1 went offline, 2 offline and unknown to Redis, 0 otherwise
 */
export const DISCONNECT = `
local now = tonumber(ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[6], ARGV[1])
local result = 1
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then
  if redis.call('ZSCORE', KEYS[4], ARGV[1]) then return 0 end
  result = 2
end
redis.call('ZADD', KEYS[4], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[4]))
redis.call('HSETNX', KEYS[5], ARGV[1], '')
return result
`;

/**
 * Compare-and-delete of connections API Gateway reported gone (410): removes exactly those ids, never a
 * newer connection of the user, and not one registered in the last moments either: a connection still
 * in its $connect is gone to the Management API too, and a push to it races with its handshake.
 * KEYS: conn(u) · ARGV: removeIfExpiresBefore, c1, c2, … → how many were removed
 */
export const REMOVE_GONE = `
local removed = 0
local before = tonumber(ARGV[1])
for i = 2, #ARGV do
  local expiresAt = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if expiresAt and tonumber(expiresAt) < before then removed = removed + redis.call('ZREM', KEYS[1], ARGV[i]) end
end
return removed
`;

/** Compare-and-delete of pending entries: only entries still holding what the caller read. KEYS: pending · ARGV: u1, v1, u2, v2, … */
export const CLEAR_PENDING = `
local cleared = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    cleared = cleared + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return cleared
`;

/**
 * Claims stale users of one shard, re-checking staleness inside the script so
 * a heartbeat that landed after the candidate scan keeps its user online.
 * Claimed users move to the pending hash with their connection ids until
 * their friends are told; a retried task finds them there.
 * KEYS: status, seen, pending, deferred, conn(u1), page(u1), conn(u2), page(u2), …
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
    local connKey = KEYS[5 + (i - 4) * 2]
    local pageKey = KEYS[6 + (i - 4) * 2]
    local connections = redis.call('ZRANGE', connKey, 0, -1)
    redis.call('DEL', connKey, pageKey)
    redis.call('ZREM', KEYS[1], user)
    redis.call('ZREM', KEYS[4], user)
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
