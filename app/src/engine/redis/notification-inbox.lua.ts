/**
 * Scripts of one user's notification inbox. Bodies are stored as JSON and never decoded in Lua
 * (cjson would rewrite payload numbers and empty arrays); the mutable delivery state sits in its
 * own hash as `state,deliveredAtMs,ackedAtMs`.
 */

/** KEYS: data, state, unacked, acked. ARGV: max, ttlMs, then (id, createdAtMs, json) triples. Returns evicted unacked [json, state] pairs, flattened. */
export const NTF_ADD_LUA = `
local max = tonumber(ARGV[1])
for i = 3, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
  redis.call('HSET', KEYS[2], ARGV[i], 'pending,,')
  redis.call('ZADD', KEYS[3], ARGV[i + 1], ARGV[i])
end
local evicted = {}
local excess = redis.call('ZCARD', KEYS[3]) + redis.call('ZCARD', KEYS[4]) - max
while excess > 0 do
  local victim = redis.call('ZRANGE', KEYS[4], 0, 0)[1]
  if victim then
    redis.call('ZREM', KEYS[4], victim)
  else
    victim = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
    redis.call('ZREM', KEYS[3], victim)
    evicted[#evicted + 1] = redis.call('HGET', KEYS[1], victim) or ''
    evicted[#evicted + 1] = redis.call('HGET', KEYS[2], victim) or 'pending,,'
  end
  redis.call('HDEL', KEYS[1], victim)
  redis.call('HDEL', KEYS[2], victim)
  excess = excess - 1
end
-- Every record lives TTL from its creation, so the keys outlive the newest one by at most that.
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return evicted
`;

/** KEYS: state. ARGV: nowMs, ids… */
export const NTF_DELIVERED_LUA = `
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) == 'pending,,' then
    redis.call('HSET', KEYS[1], ARGV[i], 'delivered,' .. ARGV[1] .. ',')
  end
end
return 0
`;

/** KEYS: state, unacked, acked. ARGV: nowMs, ids… Returns how many were acked. */
export const NTF_ACK_LUA = `
local n = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local score = redis.call('ZSCORE', KEYS[2], id)
  if score then
    local s = redis.call('HGET', KEYS[1], id) or 'pending,,'
    local delivered = string.match(s, '^[a-z]+,([0-9]*),') or ''
    redis.call('HSET', KEYS[1], id, 'acked,' .. delivered .. ',' .. ARGV[1])
    redis.call('ZREM', KEYS[2], id)
    redis.call('ZADD', KEYS[3], score, id)
    n = n + 1
  end
end
return n
`;

/** KEYS: data, state, unacked, acked. ARGV: ids… Returns [removed, json, state, json, state, …] of the unacked ones. */
export const NTF_DROP_LUA = `
local out = { 0 }
for i = 1, #ARGV do
  local id = ARGV[i]
  local json = redis.call('HGET', KEYS[1], id)
  if json then
    out[1] = out[1] + 1
    if redis.call('ZREM', KEYS[3], id) == 1 then
      out[#out + 1] = json
      out[#out + 1] = redis.call('HGET', KEYS[2], id) or 'pending,,'
    end
    redis.call('ZREM', KEYS[4], id)
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
  end
end
return out
`;
