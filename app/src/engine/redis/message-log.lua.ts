/**
 * Lua scripts of RedisMessageLog. Messages are JSON-encoded by the scripts themselves (cjson), so
 * user content only ever travels as a raw argument and every JSON string a script decodes was
 * produced by cjson: no JavaScript escape (a lone surrogate, say) can make a script fail.
 */
import { RATE_BUCKET_LUA_FN } from './rate-limiter.lua';

/**
 * Creates the channel's epoch when its meta hash is missing (first use, or a flushed or evicted
 * store). A new epoch restarts the sequence, so what is left of an older one is dropped too;
 * otherwise XADD would refuse seq 1.
 */
const ENSURE_EPOCH = `
local function ensureEpoch(meta, log, edits, epoch)
  if redis.call('HSETNX', meta, 'epoch', epoch) == 1 then
    redis.call('DEL', log, edits)
  end
  return redis.call('HGET', meta, 'epoch')
end
`;

/**
 * KEYS: meta, log, edits, idempotency, topic (the channel's pub/sub topic, same hash slot), the
 * sender's rate bucket (any key when ARGV[11] is ''; on a Cluster the caller consumes it apart)
 * ARGV: publish command (PUBLISH, or SPUBLISH on a Cluster), newEpoch, maxLen, idempotencyTtlSec, channelId, userId, content, clientMsgId, createdAt, threadId ('' = none),
 *   bucket capacity ('' = no bucket), bucket windowMs, now (ms)
 * Returns {duplicate (0|1), messageJson}, or {2, retryAfterMs} when the bucket had no token
 * (nothing stored). A duplicate takes no token: an idempotent retry costs the sender nothing.
 */
export const APPEND_LUA = `${ENSURE_EPOCH}${RATE_BUCKET_LUA_FN}
local prior = redis.call('GET', KEYS[4])
if prior then return {1, prior} end
if ARGV[11] ~= '' then
  local allowed, retryAfterMs = consumeBucket(KEYS[6], tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13]))
  if allowed == 0 then return {2, retryAfterMs} end
end
local epoch = ensureEpoch(KEYS[1], KEYS[2], KEYS[3], ARGV[2])
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local maxLen = tonumber(ARGV[3])
local threadId = ARGV[10]
local msg = {
  id = 'm-' .. epoch .. '-' .. seq, channelId = ARGV[5], seq = seq, userId = ARGV[6],
  content = ARGV[7], clientMsgId = ARGV[8], createdAt = ARGV[9],
}
if threadId ~= '' then msg.threadId = threadId end
local json = cjson.encode(msg)
if threadId ~= '' then
  redis.call('XADD', KEYS[2], 'MAXLEN', maxLen, seq .. '-0', 'm', json, 't', threadId)
else
  redis.call('XADD', KEYS[2], 'MAXLEN', maxLen, seq .. '-0', 'm', json)
end
-- Overlays must not outlive their messages: exact trimming drops exactly seq - maxLen, and a
-- sweep catches up after maxLen was lowered between deployments.
if seq > maxLen then redis.call('HDEL', KEYS[3], tostring(seq - maxLen)) end
if redis.call('HLEN', KEYS[3]) > maxLen then
  local firstSeq = seq - maxLen + 1
  for _, field in ipairs(redis.call('HKEYS', KEYS[3])) do
    if tonumber(field) < firstSeq then redis.call('HDEL', KEYS[3], field) end
  end
end
redis.call('SET', KEYS[4], json, 'EX', ARGV[4])
redis.call(ARGV[1], KEYS[5], '{"kind":"message:new","message":' .. json .. '}')
return {0, json}
`;

/**
 * KEYS: log, edits, topic
 * ARGV: publish command, seq, kind ('edit' | 'delete'), content, editedAt, by (editedBy / deletedBy)
 * Returns the merged message JSON, or nil when the message is not retained or already deleted.
 */
export const UPDATE_LUA = `
local id = ARGV[2] .. '-0'
local entry = redis.call('XRANGE', KEYS[1], id, id)
if #entry == 0 then return nil end
local fields = entry[1][2]
local base
for i = 1, #fields, 2 do
  if fields[i] == 'm' then base = fields[i + 1] end
end
local prior = redis.call('HGET', KEYS[2], ARGV[2])
if prior and cjson.decode(prior).deleted then return nil end
local overlay
if ARGV[3] == 'delete' then
  overlay = { content = '', deleted = true, editedAt = ARGV[5], deletedBy = ARGV[6] }
else
  overlay = { content = ARGV[4], editedAt = ARGV[5], editedBy = ARGV[6] }
end
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode(overlay))
local msg = cjson.decode(base)
for k, v in pairs(overlay) do msg[k] = v end
local json = cjson.encode(msg)
if ARGV[3] == 'delete' then
  redis.call(ARGV[1], KEYS[3], cjson.encode({ kind = 'message:deleted', channelId = msg.channelId, messageId = msg.id, seq = msg.seq, deletedBy = ARGV[6] }))
else
  redis.call(ARGV[1], KEYS[3], '{"kind":"message:updated","message":' .. json .. '}')
end
return json
`;

/**
 * KEYS: meta, log, edits
 * ARGV: newEpoch
 * Returns {epoch, lastSeq, firstEntryId ('0-0' when the stream is empty)}.
 */
export const META_LUA = `${ENSURE_EPOCH}
local epoch = ensureEpoch(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
local lastSeq = redis.call('HGET', KEYS[1], 'seq') or '0'
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
local firstId = '0-0'
if #first > 0 then firstId = first[1][1] end
return {epoch, lastSeq, firstId}
`;

/**
 * A page of the log and the edit overlays of its messages, in one round trip (a stream entry id is
 * `<seq>-0`, and overlays are keyed by seq).
 * KEYS: log, edits
 * ARGV: 'asc' or 'desc', start (an XRANGE bound), count
 * Returns {entries as XRANGE gives them, overlays (nil where a message has none)}.
 */
export const RANGE_LUA = `
local entries
if ARGV[1] == 'asc' then
  entries = redis.call('XRANGE', KEYS[1], ARGV[2], '+', 'COUNT', ARGV[3])
else
  entries = redis.call('XREVRANGE', KEYS[1], ARGV[2], '-', 'COUNT', ARGV[3])
end
local overlays = {}
if #entries > 0 then
  local seqs = {}
  for i, entry in ipairs(entries) do seqs[i] = string.match(entry[1], '^(%d+)') end
  overlays = redis.call('HMGET', KEYS[2], unpack(seqs))
end
return {entries, overlays}
`;
