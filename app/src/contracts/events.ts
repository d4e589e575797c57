/**
 * The one typed event contract shared by the gateway, the client SDK and the tests.
 * Nothing in this file may import Node-only modules: the browser SDK bundle includes it.
 */
import type { ErrorCode } from './error-codes';

export type { ErrorCode } from './error-codes';
export { ERROR_CODES } from './error-codes';

/** The error half of every ack. `retryAfterMs` is set for RATE_LIMITED and UNAVAILABLE. */
export interface GatewayErrorBody {
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}

export type AckError = { ok: false; error: GatewayErrorBody };
export type Ack<T extends object = object> = ({ ok: true } & T) | AckError;
export type AckFn<T extends object = object> = (response: Ack<T>) => void;

export type Role = 'member' | 'moderator' | 'admin';
export type PresenceStatus = 'online' | 'away' | 'dnd' | 'invisible' | 'offline';
export type NotificationPriority = 'high' | 'normal' | 'low';

/** A message as stored in history and delivered to clients. */
export interface ChatMessage {
  id: string;
  channelId: string;
  seq: number;
  userId: string;
  content: string;
  clientMsgId: string;
  /** ISO-8601 timestamp set by the gateway. */
  createdAt: string;
  threadId?: string;
  editedAt?: string;
  /** Who made the last edit (the author or a moderator). */
  editedBy?: string;
  deleted?: boolean;
  /** Who deleted it (the author or a moderator). */
  deletedBy?: string;
}

// ---- client → server payloads -------------------------------------------------------------

export interface ChannelJoinPayload {
  channelId: string;
  /** Last seq the client has seen; the ack's `missed` holds what came after it. */
  sinceSeq?: number;
  /** The epoch the client's sinceSeq belongs to; a different epoch means the gap cannot be filled. */
  epoch?: string;
}
export interface ChannelJoinResult {
  channelId: string;
  epoch: string;
  lastSeq: number;
  members: string[];
  missed: ChatMessage[];
  hasMore: boolean;
  /** False when the requested gap cannot be filled from retained history (never a silent partial replay). */
  recovered: boolean;
  /** The caller's read cursor in this channel (0 when none). */
  readSeq: number;
}
export interface ChannelLeavePayload { channelId: string }

export interface MessageSendPayload {
  channelId: string;
  content: string;
  /** Client-generated id (UUID) that makes retries idempotent for 24 h. */
  clientMsgId: string;
  threadId?: string;
}
export interface MessageSendResult { messageId: string; seq: number; createdAt: string; duplicate?: boolean }
export interface MessageEditPayload { channelId: string; messageId: string; content: string }
export interface MessageDeletePayload { channelId: string; messageId: string }
export interface MessageHistoryPayload { channelId: string; beforeSeq?: number; afterSeq?: number; limit?: number; threadId?: string }
export interface MessageHistoryResult { messages: ChatMessage[]; hasMore: boolean; epoch: string }
export interface MessageReadPayload { channelId: string; seq: number }

export interface AuthRefreshPayload { token: string }
export interface AuthRefreshResult { expiresAt: number | null }

export interface PresenceUpdatePayload { status: Exclude<PresenceStatus, 'offline'> }
export type PresenceGetPayload = { userIds: string[] } | { channelId: string };
export interface PresenceEntry { userId: string; status: PresenceStatus; lastSeen: string | null }
export interface PresenceGetResult { users: PresenceEntry[] }

export interface TypingPayload { channelId: string; threadId?: string; isTyping: boolean }
export interface ThreadPayload { channelId: string; threadId: string }
export interface NotificationAckPayload { ids: string[] }

// ---- server → client payloads -------------------------------------------------------------

export interface ConnectionReady { userId: string; instanceId: string; serverTime: string }
export interface MemberEvent { channelId: string; userId: string }
export interface MessageDeletedEvent { channelId: string; messageId: string; seq: number; deletedBy: string }
export interface ReadReceiptEvent { channelId: string; userId: string; seq: number }
export interface PresenceChanged { userId: string; status: PresenceStatus; lastSeen: string | null }
export interface TypingEvent { channelId: string; threadId?: string; userId: string; isTyping: boolean }
export interface GatewayNotification {
  id: string;
  type: string;
  priority: NotificationPriority;
  payload: unknown;
  createdAt: string;
}
export interface DrainingEvent { reconnectInMs: number }
export interface AuthExpiredEvent { reason: string }

export interface ClientToServerEvents {
  'channel:join': (p: ChannelJoinPayload, ack: AckFn<ChannelJoinResult>) => void;
  'channel:leave': (p: ChannelLeavePayload, ack: AckFn) => void;
  'message:send': (p: MessageSendPayload, ack: AckFn<MessageSendResult>) => void;
  'message:edit': (p: MessageEditPayload, ack: AckFn<{ message: ChatMessage }>) => void;
  'message:delete': (p: MessageDeletePayload, ack: AckFn<{ messageId: string }>) => void;
  'message:history': (p: MessageHistoryPayload, ack: AckFn<MessageHistoryResult>) => void;
  'message:read': (p: MessageReadPayload, ack: AckFn<{ seq: number }>) => void;
  'auth:refresh': (p: AuthRefreshPayload, ack: AckFn<AuthRefreshResult>) => void;
  'presence:update': (p: PresenceUpdatePayload, ack: AckFn<{ status: PresenceStatus }>) => void;
  'presence:get': (p: PresenceGetPayload, ack: AckFn<PresenceGetResult>) => void;
  'presence:subscribe': (p: Record<string, never>, ack: AckFn) => void;
  'presence:unsubscribe': (p: Record<string, never>, ack: AckFn) => void;
  'user:typing': (p: TypingPayload, ack?: AckFn) => void;
  'thread:join': (p: ThreadPayload, ack: AckFn) => void;
  'thread:leave': (p: ThreadPayload, ack: AckFn) => void;
  'notification:ack': (p: NotificationAckPayload, ack: AckFn<{ acked: number }>) => void;
}

export interface ServerToClientEvents {
  'connection:ready': (e: ConnectionReady) => void;
  'channel:member_joined': (e: MemberEvent) => void;
  'channel:member_left': (e: MemberEvent) => void;
  'message:new': (e: ChatMessage) => void;
  'message:updated': (e: ChatMessage) => void;
  'message:deleted': (e: MessageDeletedEvent) => void;
  'message:read': (e: ReadReceiptEvent) => void;
  'presence:changed': (e: PresenceChanged) => void;
  'user:typing': (e: TypingEvent) => void;
  'notification:new': (e: GatewayNotification) => void;
  'notification:batch': (e: { notifications: GatewayNotification[] }) => void;
  'auth:expired': (e: AuthExpiredEvent) => void;
  'server:draining': (e: DrainingEvent) => void;
  /** Errors of calls made without an ack callback go out as `{entity}:error`. */
  'channel:error': (e: GatewayErrorBody & { event: string }) => void;
  'message:error': (e: GatewayErrorBody & { event: string }) => void;
  'user:error': (e: GatewayErrorBody & { event: string }) => void;
  'presence:error': (e: GatewayErrorBody & { event: string }) => void;
  'thread:error': (e: GatewayErrorBody & { event: string }) => void;
  'notification:error': (e: GatewayErrorBody & { event: string }) => void;
  'auth:error': (e: GatewayErrorBody & { event: string }) => void;
}

export interface InterServerEvents {
  /** Asks every instance to re-check the tokens of its sockets against the revocation list. */
  'auth:revalidate': (e: { userId?: string; jti?: string }) => void;
  /** Hands notifications to the user's sockets on every instance; each instance that reached one marks them delivered. */
  'notification:deliver': (e: { deliveries: Array<{ userId: string; kind: 'new' | 'batch'; notifications: GatewayNotification[] }> }) => void;
  /** Asks every instance to re-register its live sockets in the presence store (ops reconcile). */
  'presence:reconcile': (e: { dryRun: boolean }, ack: (r: { added: number; removed: number }) => void) => void;
  /** Room events another instance coalesced (member and presence changes), for this instance's sockets, in order. */
  'rooms:emit': (e: { events: Array<{ rooms: string[]; event: keyof ServerToClientEvents; payload: unknown; exceptSocketId?: string }> }) => void;
}

/** What the auth middleware stores on each socket; nothing else reads the token. */
export interface SocketData {
  user: AuthenticatedUser;
  connectedAt: number;
}

export interface AuthenticatedUser {
  userId: string;
  roles: Role[];
  /** Exact channel ids or `prefix*` patterns; `*` grants every channel. */
  channels: string[];
  jti?: string;
  /** Token expiry, ms since epoch; null when the token has no exp. */
  expiresAt: number | null;
  issuedAt: number | null;
  /** The token's `"presence:all": true` claim: presence of every user, not only of co-members. */
  presenceAll?: boolean;
}

/** Every client→server event name, for validation tables and the SDK. */
export const CLIENT_EVENTS = [
  'channel:join', 'channel:leave', 'message:send', 'message:edit', 'message:delete',
  'message:history', 'message:read', 'auth:refresh', 'presence:update', 'presence:get',
  'presence:subscribe', 'presence:unsubscribe', 'user:typing', 'thread:join', 'thread:leave',
  'notification:ack',
] as const satisfies ReadonlyArray<keyof ClientToServerEvents>;
export type ClientEventName = (typeof CLIENT_EVENTS)[number];
