/** Room names, in one place. */
export const rooms = {
  user: (userId: string) => `user:${userId}`,
  channel: (channelId: string) => `channel:${channelId}`,
  thread: (threadId: string) => `thread:${threadId}`,
  presenceGlobal: 'presence:global',
  /** Sockets authenticated with one token id, so a revoked jti can be cut off on every instance. */
  token: (jti: string) => `token:${jti}`,
} as const;

export const CHANNEL_ROOM_PREFIX = 'channel:';
