import { RATE_BUCKET_LUA_FN } from './rate-limiter.lua';

/**
 * Presence scripts. Every key of one user shares the `{pr:<userId>}` hash tag, so each script
 * decides first-connect / last-disconnect atomically across instances on one Cluster slot.
 * State and socket sets expire after the retention unless touched (a forgotten user's chosen
 * status and lastSeen do not live forever).
 */

/**
 * Registers a socket. KEYS-like arguments: the user's socket set and state hash.
 * Returns first (0/1), status, lastSeen ('' when never).
 */
export const CONNECT_SOCKET_LUA_FN = `
local function connectSocket(socketsKey, stateKey, socketKey, now, retentionMs)
  local first = redis.call('SCARD', socketsKey) == 0
  redis.call('SADD', socketsKey, socketKey)
  redis.call('PEXPIRE', socketsKey, retentionMs)
  local status = redis.call('HGET', stateKey, 'status') or 'online'
  if status ~= 'invisible' then redis.call('HSET', stateKey, 'lastSeen', now) end
  if redis.call('EXISTS', stateKey) == 1 then redis.call('PEXPIRE', stateKey, retentionMs) end
  local seen = redis.call('HGET', stateKey, 'lastSeen') or ''
  if first then return 1, status, seen end
  return 0, status, seen
end
`;

/**
 * The handshake's admission and registration in one step.
 * KEYS: connect bucket, sockets, state[, instance's socket set, set of instances]
 * ARGV: capacity, windowMs, now, maxSockets, socketKey, retentionMs[, instance entry, instanceId]
 * Returns { 1, 0, sockets before, first, status, lastSeen } when admitted (the socket is then
 * registered), { 0, retryAfterMs, sockets } when the bucket is empty, { 2, 0, sockets } at the cap.
 * A refusal at the cap still takes its token: retrying past the cap is not free.
 * With the two optional keys (one node only: they are in other slots) an admitted socket is also
 * recorded under its instance in the same step, so a handshake sends one command, not three.
 */
export const PRESENCE_ADMIT_LUA = `${RATE_BUCKET_LUA_FN}${CONNECT_SOCKET_LUA_FN}
local allowed, retryAfterMs = consumeBucket(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
local sockets = redis.call('SCARD', KEYS[2])
if allowed == 0 then return {0, retryAfterMs, sockets} end
if sockets >= tonumber(ARGV[4]) then return {2, 0, sockets} end
if #KEYS == 5 then
  redis.call('SADD', KEYS[4], ARGV[7])
  redis.call('SADD', KEYS[5], ARGV[8])
end
return {1, 0, sockets, connectSocket(KEYS[2], KEYS[3], ARGV[5], ARGV[3], ARGV[6])}
`;

/**
 * KEYS: sockets, state. Returns { status ('' when never set), lastSeen ('' when never), sockets }:
 * one command per user for presence reads.
 */
export const PRESENCE_READ_LUA = `
local state = redis.call('HMGET', KEYS[2], 'status', 'lastSeen')
return {state[1] or '', state[2] or '', redis.call('SCARD', KEYS[1])}
`;

/**
 * KEYS: sockets and state of each user in turn (one node only: not on a Cluster, where users'
 * keys sit in different slots). Returns the PRESENCE_READ_LUA triple of each user, flattened.
 */
export const PRESENCE_READ_MANY_LUA = `
local out = {}
for i = 1, #KEYS, 2 do
  local state = redis.call('HMGET', KEYS[i + 1], 'status', 'lastSeen')
  out[#out + 1] = state[1] or ''
  out[#out + 1] = state[2] or ''
  out[#out + 1] = redis.call('SCARD', KEYS[i])
end
return out
`;

/**
 * KEYS: sockets, state
 * ARGV: socketKey, now, retentionMs
 * Returns { first (0/1), status, lastSeen ('' when never) }.
 */
export const PRESENCE_CONNECT_LUA = `${CONNECT_SOCKET_LUA_FN}
return {connectSocket(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])}
`;

/**
 * KEYS: sockets, state, channels
 * ARGV: socketKey, now, retentionMs
 * Returns { last (0/1), status, lastSeen, channels }; on the last socket the channel record is
 * returned and cleared in the same step, so a concurrent connect elsewhere starts a fresh one.
 */
export const PRESENCE_DISCONNECT_LUA = `
local status = redis.call('HGET', KEYS[2], 'status') or 'online'
local removed = redis.call('SREM', KEYS[1], ARGV[1])
if removed == 0 or redis.call('SCARD', KEYS[1]) > 0 then
  return {0, status, redis.call('HGET', KEYS[2], 'lastSeen') or '', {}}
end
if status ~= 'invisible' then
  redis.call('HSET', KEYS[2], 'lastSeen', ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
local channels = redis.call('SMEMBERS', KEYS[3])
redis.call('DEL', KEYS[3])
return {1, status, redis.call('HGET', KEYS[2], 'lastSeen') or '', channels}
`;

/**
 * KEYS: sockets, state
 * ARGV: status, now, retentionMs
 * Returns { previous status, online (0/1), lastSeen }.
 */
export const PRESENCE_SET_STATUS_LUA = `
local previous = redis.call('HGET', KEYS[2], 'status') or 'online'
redis.call('HSET', KEYS[2], 'status', ARGV[1])
local online = redis.call('SCARD', KEYS[1]) > 0
if online and (ARGV[1] ~= 'invisible' or previous ~= 'invisible') then
  redis.call('HSET', KEYS[2], 'lastSeen', ARGV[2])
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
local seen = redis.call('HGET', KEYS[2], 'lastSeen') or ''
if online then return {previous, 1, seen} end
return {previous, 0, seen}
`;

/**
 * KEYS: channels
 * ARGV: channelId, max, retentionMs
 * Bounded: a user in more than `max` channels is announced to the first `max` only.
 */
export const PRESENCE_TRACK_CHANNEL_LUA = `
if redis.call('SCARD', KEYS[1]) < tonumber(ARGV[2]) then redis.call('SADD', KEYS[1], ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/**
 * KEYS: cursors (hash userId → seq)
 * ARGV: userId, seq, retentionMs
 * Returns { stored seq (string), moved (0/1) }: the cursor only grows.
 */
export const READ_CURSOR_ADVANCE_LUA = `
local raw = redis.call('HGET', KEYS[1], ARGV[1]) or '0'
redis.call('PEXPIRE', KEYS[1], ARGV[3])
-- Compared as numbers but returned as the stored strings: a Lua number reply would round seqs past 2^53.
if tonumber(ARGV[2]) <= tonumber(raw) then return {raw, 0} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {ARGV[2], 1}
`;
