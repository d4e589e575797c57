/** Scripts of the webhook queue; every key shares the `{wh}` tag. `due` scores are when an event is next visible. */

/** KEYS: data, due, dead. ARGV: nowMs, then (id, json) pairs. */
export const WH_ENQUEUE_LUA = `
for i = 2, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[1], ARGV[i])
  end
end
return 0
`;

/** KEYS: due, attempts, data. ARGV: nowMs, limit, visibleUntilMs. Returns [id, attempt, json, …]. */
export const WH_CLAIM_LUA = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  local json = redis.call('HGET', KEYS[3], id)
  if json then
    redis.call('ZADD', KEYS[1], ARGV[3], id)
    out[#out + 1] = id
    out[#out + 1] = redis.call('HINCRBY', KEYS[2], id, 1)
    out[#out + 1] = json
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
`;

/** KEYS: due, data, attempts, errors. ARGV: id. */
export const WH_ACK_LUA = `
redis.call('ZREM', KEYS[1], ARGV[1])
for i = 2, 4 do redis.call('HDEL', KEYS[i], ARGV[1]) end
return 0
`;

/** KEYS: due, attempts, errors. ARGV: id, attempt, dueAtMs, error. Only the current lease holder may reschedule. */
export const WH_RETRY_LUA = `
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] or not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
return 1
`;

/** KEYS: due, attempts, errors, dead, data. ARGV: id, attempt, error, nowMs, maxDead. */
export const WH_DEAD_LUA = `
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] or not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
local excess = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[5])
if excess > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[4], 0, excess - 1)) do
    redis.call('ZREM', KEYS[4], id)
    redis.call('HDEL', KEYS[5], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
  end
end
return 1
`;

/** KEYS: dead, due, attempts. ARGV: nowMs, limit, ids… (none = the oldest \`limit\`). Returns how many were requeued. */
export const WH_REQUEUE_LUA = `
local ids = {}
if #ARGV > 2 then
  for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
else
  ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
end
local n = 0
for _, id in ipairs(ids) do
  if n < tonumber(ARGV[2]) and redis.call('ZREM', KEYS[1], id) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[1], id)
    redis.call('HDEL', KEYS[3], id)
    n = n + 1
  end
end
return n
`;
