/**
 * Lua scripts for every state change that spans keys. Each declares all its
 * keys in KEYS, and all keys of one call share a hash slot (see keys.ts), so
 * they run unchanged on Redis Cluster. Times are milliseconds since the epoch,
 * passed in by the caller so tests can control the clock.
 *
 * A connection's score in conn:<user> is its deadline: the moment it has been silent for its allowance
 * (2 x its heartbeat interval + 30 s), never later than API Gateway's cap. A connection is live while its
 * deadline is ahead. A user's score in the shard's due set is the latest deadline of their connections
 * (or, once the last one closed, the end of the offline grace): the sweep times out users whose due
 * time has passed. cinfo:<user> holds each connection's subscription level (first character: p pages,
 * s status, n none; P pages by default, before any subscribe) followed by when it was opened.
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
 * Live connections of one user at or above a subscription level (0 none, 1 status, 2 pages): those whose
 * deadline is ahead. A connection without a cinfo entry (registered before levels existed) is at pages.
 */
const LIVE_AT_LEVEL = `
local RANK = { n = 0, s = 1, p = 2, P = 2 }
local function liveAtLevel(connKey, infoKey, now, minRank)
  local ids = redis.call('ZRANGEBYSCORE', connKey, '(' .. now, '+inf')
  if #ids == 0 then return ids end
  local infos = redis.call('HMGET', infoKey, unpack(ids))
  local out = {}
  for i, id in ipairs(ids) do
    local info = infos[i]
    local rank = 2
    if info then rank = RANK[string.sub(info, 1, 1)] or 2 end
    if rank >= minRank then out[#out + 1] = id end
  end
  return out
end
`;

/**
 * Activity on a registered connection: its deadline moves to now + its allowance (capped at API
 * Gateway's close), the user's last activity and due time never move backwards.
 */
const ACTIVITY = `
local function activity(statusKey, dueKey, connKey, userId, connectionId, now, allowance, expiresAt)
  local deadline = math.min(now + allowance, expiresAt)
  redis.call('ZADD', connKey, 'XX', 'GT', deadline, connectionId)
  redis.call('ZADD', statusKey, 'GT', now, userId)
  redis.call('ZADD', dueKey, 'GT', deadline, userId)
end
`;

/** Removes a user's connections whose deadline has passed, with their cinfo entries. */
const DROP_DEAD = `
local function dropDead(connKey, infoKey, now)
  local dead = redis.call('ZRANGEBYSCORE', connKey, '-inf', now)
  if #dead > 0 then
    redis.call('ZREM', connKey, unpack(dead))
    redis.call('HDEL', infoKey, unpack(dead))
  end
end
`;

/**
 * Registers a connection and marks the user active now. A user who comes online starts with no page
 * shared yet, and friends are to be told at once: like an update, that fan-out takes the push lease
 * and a fan-out token, or is deferred to the pusher in flight or to the sweep. A user still online
 * (another device, or within the offline grace after their last connection closed) did not come online.
 * KEYS: status, due, conn, cinfo, page, deferred
 * ARGV: userId, connectionId, now, expiresAt, pageTtlMs, fanOutIntervalMs, fanOutCapacityMs, leaseMs, allowanceMs, connectedAt
 * → { -1 } connection already expired · { 0 } already online · { 1, push (1|0), latestUrl, latestTitle, latestDomain } came online
 */
export const CONNECT = `${FAN_OUT_BUDGET}${DROP_DEAD}
local now = tonumber(ARGV[3])
local expiresAt = tonumber(ARGV[4])
if expiresAt <= now then return { -1 } end
local deadline = math.min(now + tonumber(ARGV[9]), expiresAt)
dropDead(KEYS[3], KEYS[4], now)
redis.call('ZADD', KEYS[3], deadline, ARGV[2])
redis.call('HSET', KEYS[4], ARGV[2], 'P' .. ARGV[10])
for _, key in ipairs({ KEYS[3], KEYS[4] }) do
  if redis.call('PTTL', key) < expiresAt - now then redis.call('PEXPIREAT', key, expiresAt) end
end
if redis.call('ZADD', KEYS[1], 'GT', now, ARGV[1]) == 0 then
  redis.call('ZADD', KEYS[2], 'GT', deadline, ARGV[1])
  redis.call('PEXPIRE', KEYS[5], ARGV[5])
  return { 0 }
end
redis.call('ZADD', KEYS[2], deadline, ARGV[1])
redis.call('HSET', KEYS[5], 'u', '', 't', '', 'd', '', 'pt', now)
redis.call('PEXPIRE', KEYS[5], ARGV[5])
local state = redis.call('HMGET', KEYS[5], 'lu', 'lt', 'ld', 'ft', 'pl')
local lease = tonumber(state[5]) or 0
local tat = false
if lease <= now then tat = fanOutToken(state[4], now, tonumber(ARGV[6]), tonumber(ARGV[7])) end
if tat then
  redis.call('HSET', KEYS[5], 'ft', tat, 'pl', now + tonumber(ARGV[8]), 'pd', '0')
  redis.call('ZADD', KEYS[6], now + tonumber(ARGV[8]), ARGV[1])
else
  redis.call('HSET', KEYS[5], 'pd', '1')
  redis.call('ZADD', KEYS[6], 'LT', math.max(lease, now), ARGV[1])
end
return { 1, tat and 1 or 0, state[1] or '', state[2] or '', state[3] or '' }
`;

/**
 * Counts a heartbeat against the connection's budget and records the activity, for a registered
 * connection API Gateway has not closed yet. The page hash needs no refresh: every connect extends its
 * TTL past the connection's two-hour life.
 * KEYS: status, due, conn, rate · ARGV: userId, connectionId, now, expiresAt, allowanceMs, messageLimit, messageWindowMs, floodCloseAfter
 * → 0 connection unknown, else the budget verdict (activity recorded unless 5)
 */
export const HEARTBEAT = `${MESSAGE_BUDGET}${ACTIVITY}
local now = tonumber(ARGV[3])
local expiresAt = tonumber(ARGV[4])
if expiresAt <= now or not redis.call('ZSCORE', KEYS[3], ARGV[2]) then return 0 end
local verdict = messageBudget(KEYS[4], tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8]))
if verdict == 5 then return 5 end
activity(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], now, tonumber(ARGV[5]), expiresAt)
return verdict
`;

/** KEYS: rate · ARGV: messageLimit, messageWindowMs, floodCloseAfter → the budget verdict (frames no route matched) */
export const COUNT_MESSAGE = `${MESSAGE_BUDGET}
return messageBudget(KEYS[1], tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]))
`;

/**
 * Sets a connection's subscription level (p, s or n), counting the message against its budget and
 * recording the activity, like a heartbeat.
 * KEYS: status, due, conn, cinfo, rate
 * ARGV: userId, connectionId, now, expiresAt, allowanceMs, messageLimit, messageWindowMs, floodCloseAfter, level
 * → { 0 } connection unknown · { 5 } dropped · { verdict, previous level (P when it never subscribed) }
 */
export const SUBSCRIBE = `${MESSAGE_BUDGET}${ACTIVITY}
local now = tonumber(ARGV[3])
local expiresAt = tonumber(ARGV[4])
if expiresAt <= now or not redis.call('ZSCORE', KEYS[3], ARGV[2]) then return { 0 } end
local verdict = messageBudget(KEYS[5], tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8]))
if verdict == 5 then return { 5 } end
activity(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], now, tonumber(ARGV[5]), expiresAt)
local info = redis.call('HGET', KEYS[4], ARGV[2]) or 'P'
redis.call('HSET', KEYS[4], ARGV[2], ARGV[9] .. string.sub(info, 2))
return { verdict, string.sub(info, 1, 1) }
`;

/**
 * Stores the (privacy-filtered) page at once, whatever the budgets say, and decides whether this
 * update may fan out now. At most one fan-out per user is in flight (the push lease 'pl'), so friends
 * receive a user's pages in order; a page stored while another is being pushed, or over a budget, is
 * marked pending ('pd') and the user queued in the shard's deferred set (due now), from which the
 * pusher's release or the next sweep sends the latest page, never an intermediate one. The deferred
 * entry of a push in flight is due when its lease expires, so a pusher that dies is finished by the sweep.
 * 'pt' is when the stored page became the user's state (what pushes and snapshots carry as `at`).
 * KEYS: status, due, conn, cinfo, page, rate, deferred
 * ARGV: userId, connectionId, now, url, title, domain, pageTtlMs, messageLimit, messageWindowMs, floodCloseAfter,
 *       fanOutIntervalMs, fanOutCapacityMs, leaseMs, expiresAt, allowanceMs
 * → { 0 } connection unknown · { 5 } dropped (connection being closed) ·
 *   { verdict, push (1|0), latestUrl, latestTitle, latestDomain, { own connections at pages } }
 */
export const UPDATE_PAGE = `${MESSAGE_BUDGET}${FAN_OUT_BUDGET}${LIVE_AT_LEVEL}${ACTIVITY}
local now = tonumber(ARGV[3])
local expiresAt = tonumber(ARGV[14])
if expiresAt <= now or not redis.call('ZSCORE', KEYS[3], ARGV[2]) then return { 0 } end
local verdict = messageBudget(KEYS[6], tonumber(ARGV[8]), ARGV[9], tonumber(ARGV[10]))
if verdict == 5 then return { 5 } end
activity(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], now, tonumber(ARGV[15]), expiresAt)
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[5], 'u', ARGV[4], 't', ARGV[5], 'd', ARGV[6], 'lu', ARGV[4], 'lt', ARGV[5], 'ld', ARGV[6], 'pt', now)
else
  redis.call('HSET', KEYS[5], 'u', '', 't', '', 'd', '', 'pt', now)
end
redis.call('PEXPIRE', KEYS[5], ARGV[7])
local state = redis.call('HMGET', KEYS[5], 'lu', 'lt', 'ld', 'ft', 'pl')
local lease = tonumber(state[5]) or 0
local push = 0
local due = now
if lease > now then
  due = lease
elseif verdict == 1 then
  local tat = fanOutToken(state[4], now, tonumber(ARGV[11]), tonumber(ARGV[12]))
  if tat then
    push = 1
    redis.call('HSET', KEYS[5], 'ft', tat, 'pl', now + tonumber(ARGV[13]), 'pd', '0')
    redis.call('ZADD', KEYS[7], now + tonumber(ARGV[13]), ARGV[1])
  end
end
if push == 0 then
  redis.call('HSET', KEYS[5], 'pd', '1')
  redis.call('ZADD', KEYS[7], 'LT', due, ARGV[1])
  return { verdict, 0, state[1] or '', state[2] or '', state[3] or '', {} }
end
return { verdict, 1, state[1] or '', state[2] or '', state[3] or '', liveAtLevel(KEYS[3], KEYS[4], now, 2) }
`;

/**
 * Ends a fan-out that held the push lease. When a newer page was stored meanwhile ('pd'), the caller
 * may push it at once if allowed and the budget has a token (the lease is renewed and the page
 * returned), else the user stays deferred for the sweep.
 * KEYS: status, conn, cinfo, page, deferred · ARGV: userId, now, fanOutIntervalMs, fanOutCapacityMs, leaseMs, mayPushAgain (1|0)
 * → { 0 } done · { 1, url, title, domain, latestUrl, latestTitle, latestDomain, pt, { own connections at pages } } push this next
 */
export const RELEASE_PUSH = `${FAN_OUT_BUDGET}${LIVE_AT_LEVEL}
local now = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[4], 'pd', 'ft', 'u', 't', 'd', 'lu', 'lt', 'ld', 'pt')
if state[1] ~= '1' or not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('HDEL', KEYS[4], 'pl')
  redis.call('ZREM', KEYS[5], ARGV[1])
  return { 0 }
end
local tat = false
if ARGV[6] == '1' then tat = fanOutToken(state[2], now, tonumber(ARGV[3]), tonumber(ARGV[4])) end
if not tat then
  redis.call('HDEL', KEYS[4], 'pl')
  redis.call('ZADD', KEYS[5], now, ARGV[1])
  return { 0 }
end
redis.call('HSET', KEYS[4], 'ft', tat, 'pl', now + tonumber(ARGV[5]), 'pd', '0')
redis.call('ZADD', KEYS[5], now + tonumber(ARGV[5]), ARGV[1])
return { 1, state[3] or '', state[4] or '', state[5] or '', state[6] or '', state[7] or '', state[8] or '', state[9] or '0',
  liveAtLevel(KEYS[2], KEYS[3], now, 2) }
`;

/**
 * The sweep's half of deferred fan-outs: takes the push lease of deferred users whose time has come
 * (and a fan-out token, on credit if need be: a flooding user keeps paying, and the sweep's own
 * schedule bounds how often it flushes one user), and returns their latest
 * page. Offline users and users without a page leave the set; users another pusher holds are looked
 * at again when that lease ends. Claimed users stay in the set until released (their lease's expiry),
 * so a sweep that dies after the claim is finished by a later one.
 * KEYS: status, deferred, conn(u1), cinfo(u1), page(u1), conn(u2), … · ARGV: now, fanOutIntervalMs, leaseMs, u1, u2, …
 * → { { user, url, title, domain, latestUrl, latestTitle, latestDomain, pt, { own connections at pages } }, … }
 */
export const CLAIM_DEFERRED = `${LIVE_AT_LEVEL}
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local claimed = {}
for i = 4, #ARGV do
  local user = ARGV[i]
  local due = redis.call('ZSCORE', KEYS[2], user)
  if due and tonumber(due) <= now then
    local base = (i - 4) * 3
    local connKey, infoKey, pageKey = KEYS[3 + base], KEYS[4 + base], KEYS[5 + base]
    local state = redis.call('HMGET', pageKey, 'pl', 'ft', 'u', 't', 'd', 'lu', 'lt', 'ld', 'pt')
    if not state[3] or not redis.call('ZSCORE', KEYS[1], user) then
      redis.call('ZREM', KEYS[2], user)
    elseif (tonumber(state[1]) or 0) > now then
      redis.call('ZADD', KEYS[2], state[1], user)
    else
      local tat = math.max(tonumber(state[2]) or 0, now) + interval
      redis.call('HSET', pageKey, 'ft', tat, 'pl', now + lease, 'pd', '0')
      redis.call('ZADD', KEYS[2], now + lease, user)
      claimed[#claimed + 1] = { user, state[3], state[4] or '', state[5] or '', state[6] or '', state[7] or '', state[8] or '',
        state[9] or '0', liveAtLevel(connKey, infoKey, now, 2) }
    end
  end
end
return claimed
`;

/**
 * Removes one connection. Only when no live connection is left does the user go offline, so a late
 * $disconnect of an old connection is harmless; while others are left, the user's due time becomes
 * the latest of theirs. With an offline grace (graceMs > 0), the user stays online for that long
 * (due then) and the sweep announces them offline unless a connection returns first (3). Without one,
 * a user who goes offline is recorded in the shard's pending hash until the caller has told their
 * friends, so a failure there (PostgreSQL down) is finished by the sweep. A user Redis knows nothing
 * about (neither online nor recently seen: the data was lost, e.g. Redis restarted empty) is announced
 * offline at once, since friends may still show them online.
 * KEYS: status, due, conn, cinfo, page, seen, pending, deferred · ARGV: userId, connectionId, now, seenRetentionMs, graceMs
 * → 1 went offline, 2 offline and unknown to Redis, 3 leaving (offline after the grace), 0 otherwise
 */
export const DISCONNECT = `${DROP_DEAD}
local now = tonumber(ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('HDEL', KEYS[4], ARGV[2])
dropDead(KEYS[3], KEYS[4], now)
local newest = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
local online = redis.call('ZSCORE', KEYS[1], ARGV[1])
if #newest > 0 then
  if online then redis.call('ZADD', KEYS[2], newest[2], ARGV[1]) end
  return 0
end
local grace = tonumber(ARGV[5])
if online and grace > 0 then
  redis.call('ZADD', KEYS[1], 'GT', now, ARGV[1])
  redis.call('ZADD', KEYS[2], now + grace, ARGV[1])
  return 3
end
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
redis.call('ZREM', KEYS[8], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local result = 1
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then
  if redis.call('ZSCORE', KEYS[6], ARGV[1]) then return 0 end
  result = 2
end
redis.call('ZADD', KEYS[6], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now - tonumber(ARGV[4]))
redis.call('HSETNX', KEYS[7], ARGV[1], '')
return result
`;

/**
 * Compare-and-delete of connections API Gateway reported gone (410): removes exactly those ids, and not
 * one opened in the last moments: a connection still in its $connect is gone to the Management API too,
 * and a push to it races with its handshake. A connection without its opening time (registered before
 * cinfo existed) is old enough.
 * KEYS: conn(u), cinfo(u) · ARGV: openedBefore, c1, c2, … → how many were removed
 */
export const REMOVE_GONE = `
local removed = 0
local before = tonumber(ARGV[1])
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    local info = redis.call('HGET', KEYS[2], ARGV[i])
    local openedAt = info and tonumber(string.sub(info, 2)) or 0
    if openedAt < before then
      removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
      redis.call('HDEL', KEYS[2], ARGV[i])
    end
  end
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
 * Claims stale users of one shard, re-checking inside the script so activity that landed after the
 * candidate scan keeps its user online: a user is stale when their due time has passed, or, with no due
 * time (state written before due times existed), when their last activity is older than the longest
 * allowance (backstopCutoff). Claimed users move to the pending hash with their connection ids until
 * their friends are told; a retried task finds them there. Their last activity is when they were last seen.
 * KEYS: status, due, seen, pending, deferred, conn(u1), cinfo(u1), page(u1), conn(u2), …
 * ARGV: now, seenRetentionMs, backstopCutoff, u1, u2, … → the pending hash (flat: user, connections, …)
 */
export const CLAIM_STALE = `
local now = tonumber(ARGV[1])
local backstop = tonumber(ARGV[3])
local claimed = 0
for i = 4, #ARGV do
  local user = ARGV[i]
  local lastActive = redis.call('ZSCORE', KEYS[1], user)
  local due = redis.call('ZSCORE', KEYS[2], user)
  local stale = false
  if due then stale = tonumber(due) <= now elseif lastActive then stale = tonumber(lastActive) <= backstop end
  if stale and not lastActive then
    redis.call('ZREM', KEYS[2], user)
  elseif stale then
    local base = (i - 4) * 3
    local connKey, infoKey, pageKey = KEYS[6 + base], KEYS[7 + base], KEYS[8 + base]
    local connections = redis.call('ZRANGE', connKey, 0, -1)
    redis.call('DEL', connKey, infoKey, pageKey)
    redis.call('ZREM', KEYS[1], user)
    redis.call('ZREM', KEYS[2], user)
    redis.call('ZREM', KEYS[5], user)
    redis.call('ZADD', KEYS[3], lastActive, user)
    redis.call('HSET', KEYS[4], user, table.concat(connections, ','))
    claimed = claimed + 1
  end
end
if claimed > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[2]))
end
return redis.call('HGETALL', KEYS[4])
`;

/**
 * Presence of many users of one shard in one call (GET /presence reads a user and all friends).
 * KEYS: status, seen, page(u1), page(u2), … · ARGV: u1, u2, …
 * → per user 9 strings: lastActive ('' offline), lastSeen ('' online or unknown), u, t, d, lu, lt, ld, pt
 */
export const SNAPSHOT = `
local out = {}
for i, user in ipairs(ARGV) do
  local lastActive = redis.call('ZSCORE', KEYS[1], user)
  if lastActive then
    local page = redis.call('HMGET', KEYS[2 + i], 'u', 't', 'd', 'lu', 'lt', 'ld', 'pt')
    out[#out + 1] = lastActive
    out[#out + 1] = ''
    for f = 1, 7 do out[#out + 1] = page[f] or '' end
  else
    out[#out + 1] = ''
    out[#out + 1] = redis.call('ZSCORE', KEYS[2], user) or ''
    for f = 1, 7 do out[#out + 1] = '' end
  end
end
return out
`;

/**
 * Live connections of many users of one shard in one call (fan-out to friends), at or above a
 * subscription level (ARGV[2]: 2 pages, 1 status). Offline users cost one lookup of a missing key
 * inside the script, nothing on the wire.
 * KEYS: conn(u1), cinfo(u1), conn(u2), cinfo(u2), … · ARGV: now, minRank, u1, u2, … → flat { user, "c1,c2", … } for users with connections
 */
export const LIVE_CONNECTIONS = `${LIVE_AT_LEVEL}
local now = tonumber(ARGV[1])
local minRank = tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV do
  local connections = liveAtLevel(KEYS[(i - 3) * 2 + 1], KEYS[(i - 3) * 2 + 2], now, minRank)
  if #connections > 0 then
    out[#out + 1] = ARGV[i]
    out[#out + 1] = table.concat(connections, ',')
  end
end
return out
`;
