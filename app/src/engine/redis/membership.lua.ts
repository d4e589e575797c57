/**
 * KEYS: members, memberSockets
 * ARGV: userId, socketKey
 * Returns 1 when this is the user's first socket in the channel.
 */
export const MEMBER_ADD_LUA = `
local first = redis.call('SCARD', KEYS[2]) == 0
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[1], ARGV[1])
if first then return 1 end
return 0
`;

/**
 * KEYS: members, memberSockets, leftAt
 * ARGV: userId, socketKey, now, leftRetentionMs
 * Returns 1 when this was the user's last socket in the channel; then records when the user left
 * (for wasRecentlyMember) and forgets departures older than the retention.
 */
export const MEMBER_REMOVE_LUA = `
if redis.call('SREM', KEYS[2], ARGV[2]) == 0 then return 0 end
if redis.call('SCARD', KEYS[2]) > 0 then return 0 end
local now = tonumber(ARGV[3])
local retention = tonumber(ARGV[4])
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[3], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. string.format('%.17g', now - retention))
redis.call('PEXPIRE', KEYS[3], retention)
return 1
`;
