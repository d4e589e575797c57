import { RATE_BUCKET_LUA_FN } from './rate-limiter.lua';
import { CONNECT_SOCKET_LUA_FN } from './presence.lua';

/** Keys every handshake of a batch shares, then keys per handshake. */
export const HANDSHAKE_SHARED_KEYS = 3;
export const HANDSHAKE_KEYS_EACH = 7;
export const HANDSHAKE_SHARED_ARGS = 7;
export const HANDSHAKE_ARGS_EACH = 5;

/**
 * The state step of a batch of handshakes on one node (not a Cluster: the keys of different users
 * and the revocation marks sit in different slots there). Per handshake, in order: the revocation
 * check, then the admission as PRESENCE_ADMIT_LUA (connect bucket, socket cap, registration and
 * the instance record), then the unacked inbox of an admitted socket.
 * KEYS: revoked users (sorted set), the set of instances, this instance's socket set; then per
 *   handshake: connect bucket, sockets, state, its jti's revocation key, inbox unacked, data, state.
 * ARGV: capacity, windowMs, now, maxSockets, retentionMs, inboxMax, instanceId; then per
 *   handshake: socketKey, instance entry, userId, has jti (0/1), iat in ms (0 when none).
 * Returns per handshake { 3 } when revoked, { 0, retryAfterMs, sockets } when the bucket is
 * empty, { 2, 0, sockets } at the cap, and { 1, 0, sockets before, first, status, lastSeen,
 * inbox ids, bodies, states } when admitted.
 */
export const HANDSHAKE_BATCH_LUA = `${RATE_BUCKET_LUA_FN}${CONNECT_SOCKET_LUA_FN}
local capacity, windowMs, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local maxSockets, retentionMs, inboxMax = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local out = {}
for i = 0, (#KEYS - ${HANDSHAKE_SHARED_KEYS}) / ${HANDSHAKE_KEYS_EACH} - 1 do
  local k = ${HANDSHAKE_SHARED_KEYS} + i * ${HANDSHAKE_KEYS_EACH}
  local a = ${HANDSHAKE_SHARED_ARGS} + i * ${HANDSHAKE_ARGS_EACH}
  local socketKey, entry, userId = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local before = redis.call('ZSCORE', KEYS[1], userId)
  local revoked = (ARGV[a + 4] == '1' and redis.call('EXISTS', KEYS[k + 4]) == 1)
    or (before and tonumber(ARGV[a + 5]) < tonumber(before))
  if revoked then
    out[#out + 1] = {3}
  else
    local allowed, retryAfterMs = consumeBucket(KEYS[k + 1], capacity, windowMs, now)
    local sockets = redis.call('SCARD', KEYS[k + 2])
    if allowed == 0 then
      out[#out + 1] = {0, retryAfterMs, sockets}
    elseif sockets >= maxSockets then
      out[#out + 1] = {2, 0, sockets}
    else
      redis.call('SADD', KEYS[3], entry)
      redis.call('SADD', KEYS[2], ARGV[7])
      local first, status, seen = connectSocket(KEYS[k + 2], KEYS[k + 3], socketKey, ARGV[3], retentionMs)
      local ids = redis.call('ZRANGE', KEYS[k + 5], 0, inboxMax - 1)
      local bodies, states = {}, {}
      if #ids > 0 then
        bodies = redis.call('HMGET', KEYS[k + 6], unpack(ids))
        states = redis.call('HMGET', KEYS[k + 7], unpack(ids))
      end
      out[#out + 1] = {1, 0, sockets, first, status, seen, ids, bodies, states}
    end
  end
end
return out
`;
