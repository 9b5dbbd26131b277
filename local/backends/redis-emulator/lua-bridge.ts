/**
 * Lua side of the scripting bridge, run once per interpreter. Values cross the WASM boundary as RESP text
 * in both directions, so Redis's conversion rules live here, in Lua, where nil, false, integer and float
 * are still distinguishable (wasmoon's automatic table conversion would blur them):
 *
 * - reply → Lua (redis.call): integer → number, bulk → string, nil bulk → false, array → table,
 *   status → { ok = … }, error → raised (redis.call) or returned as { err = … } (redis.pcall);
 * - Lua → reply (script result): number → integer (truncated), string → bulk, table → array up to the
 *   first nil, { err = … } → error, { ok = … } → status, true → 1, false/nil → nil bulk.
 *
 * `__redis_call` is the JavaScript command dispatcher: strings in, one RESP reply out.
 */
export const BRIDGE = String.raw`
local dispatch = __redis_call
__redis_call = nil
local scripts = {}

local function decode(s, pos)
  local kind = s:sub(pos, pos)
  local eol = s:find('\r\n', pos, true)
  local line = s:sub(pos + 1, eol - 1)
  local after = eol + 2
  if kind == '+' then return { ok = line }, after end
  if kind == '-' then return { err = line }, after end
  if kind == ':' then return math.tointeger(tonumber(line)), after end
  local n = tonumber(line)
  if n < 0 then return false, after end
  if kind == '$' then return s:sub(after, after + n - 1), after + n + 2 end
  local items = {}
  for i = 1, n do items[i], after = decode(s, after) end
  return items, after
end

local function oneline(text)
  return (string.gsub(text, '[\r\n]+', ' '))
end

local function encode(value, out)
  local kind = type(value)
  if kind == 'string' then
    out[#out + 1] = '$' .. #value .. '\r\n' .. value .. '\r\n'
  elseif kind == 'number' then
    local truncated = value >= 0 and math.floor(value) or math.ceil(value)
    out[#out + 1] = ':' .. (math.tointeger(truncated) or 0) .. '\r\n'
  elseif kind == 'boolean' then
    out[#out + 1] = value and ':1\r\n' or '$-1\r\n'
  elseif kind == 'table' then
    if type(value.err) == 'string' then
      out[#out + 1] = '-' .. oneline(value.err) .. '\r\n'
    elseif type(value.ok) == 'string' then
      out[#out + 1] = '+' .. oneline(value.ok) .. '\r\n'
    else
      local n = 0
      while value[n + 1] ~= nil do n = n + 1 end
      out[#out + 1] = '*' .. n .. '\r\n'
      for i = 1, n do encode(value[i], out) end
    end
  else
    out[#out + 1] = '$-1\r\n'
  end
end

local function encoded(value)
  local out = {}
  encode(value, out)
  return table.concat(out)
end

-- Redis passes numbers as their %.17g text; integers (Lua 5.4 keeps them apart) print exactly.
local function argument(value)
  local kind = type(value)
  if kind == 'string' then return value end
  if kind == 'number' then
    if math.type(value) == 'integer' then return tostring(value) end
    return string.format('%.17g', value)
  end
  error({ err = 'ERR Lua redis lib command arguments must be strings or integers' })
end

local function invoke(...)
  local n = select('#', ...)
  if n == 0 then error({ err = 'ERR Please specify at least one argument for this redis lib call' }) end
  local args = { ... }
  for i = 1, n do args[i] = argument(args[i]) end
  return (decode(dispatch(table.unpack(args, 1, n)), 1))
end

redis = {}

function redis.call(...)
  local reply = invoke(...)
  if type(reply) == 'table' and reply.err then error(reply) end
  return reply
end

function redis.pcall(...)
  local ok, reply = pcall(invoke, ...)
  if ok then return reply end
  if type(reply) == 'table' and reply.err then return reply end
  return { err = tostring(reply) }
end

-- Redis runs Lua 5.1, whose unpack is a global (Lua 5.4 keeps only table.unpack).
unpack = table.unpack

function redis.error_reply(message) return { err = message } end
function redis.status_reply(message) return { ok = message } end
function redis.log() end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3

-- Returns nil, or the compiler's message.
function __load(sha, body)
  local fn, message = load(body, '@user_script', 't')
  if not fn then return message end
  scripts[sha] = fn
  return nil
end

function __exists(sha) return scripts[sha] ~= nil end

function __flush() scripts = {} end

-- Runs a loaded script with KEYS and ARGV set; returns its result as RESP.
function __run(sha, numkeys, count)
  local fn = scripts[sha]
  if not fn then return '-NOSCRIPT No matching script. Please use EVAL.\r\n' end
  KEYS, ARGV = {}, {}
  for i = 1, count do
    local arg = __arg(i)
    if i <= numkeys then KEYS[i] = arg else ARGV[i - numkeys] = arg end
  end
  local ok, result = pcall(fn)
  if ok then return encoded(result) end
  if type(result) == 'table' and type(result.err) == 'string' then return encoded(result) end
  return encoded({ err = 'ERR ' .. tostring(result) .. ' script: ' .. sha })
end
`;
