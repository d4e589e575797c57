/** Room names, in one place. */
export const rooms = {
  user: (userId: string) => `user:${userId}`,
  channel: (channelId: string) => `channel:${channelId}`,
  /**
   * Scoped by channel: thread ids are chosen by clients, so `t1` of one channel must not reach
   * members of another channel's `t1` (nor someone without a grant for that channel).
   */
  thread: (channelId: string, threadId: string) => `thread:${channelId}:${threadId}`,
  presenceGlobal: 'presence:global',
  /** Sockets authenticated with one token id, so a revoked jti can be cut off on every instance. */
  token: (jti: string) => `token:${jti}`,
} as const;

export const CHANNEL_ROOM_PREFIX = 'channel:';
