/**
 * Token bucket, the same arithmetic as MemoryRateLimiter. `now` comes from the caller's clock,
 * never from Redis, so results are deterministic under test and identical across engines.
 * Tokens are stored with 17 significant digits so no precision is lost between calls.
 * A Lua function so that other scripts (the handshake's admission) consume a bucket in their own step.
 */
export const RATE_BUCKET_LUA_FN = `
local function consumeBucket(key, capacity, windowMs, now, cost)
  local rate = capacity / windowMs
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(state[1])
  local at = tonumber(state[2])
  if tokens == nil or at == nil then
    tokens = capacity
    at = now
  end
  tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
  local allowed = 0
  local retryAfterMs = 0
  if tokens >= 1 then
    tokens = math.max(0, tokens - (cost or 1))
    allowed = 1
  else
    retryAfterMs = math.max(1, math.ceil((1 - tokens) / rate))
  end
  redis.call('HSET', key, 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', now))
  -- An idle bucket is full again after (capacity - tokens) / rate ms; then it can vanish, since a
  -- missing bucket reads as a full one.
  redis.call('PEXPIRE', key, math.ceil((capacity - tokens) / rate) + 1000)
  return allowed, retryAfterMs, math.floor(tokens)
end
`;

/**
 * KEYS: bucket
 * ARGV: capacity, windowMs, now, cost (optional, default 1)
 * Returns {allowed (0|1), retryAfterMs, whole tokens left}.
 */
export const RATE_CONSUME_LUA = `${RATE_BUCKET_LUA_FN}
return {consumeBucket(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))}
`;
