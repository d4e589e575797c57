/** Room names, in one place. */
export const rooms = {
  user: (userId: string) => `user:${userId}`,
  channel: (channelId: string) => `channel:${channelId}`,
  thread: (threadId: string) => `thread:${threadId}`,
  presenceGlobal: 'presence:global',
} as const;

export const CHANNEL_ROOM_PREFIX = 'channel:';
