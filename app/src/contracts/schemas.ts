/**
 * Payload schemas of every client event. Objects are strict (unknown keys are refused, which
 * also refuses `__proto__` and `constructor` smuggling) and every string is bounded.
 */
import { z } from 'zod';

export const CHANNEL_ID = /^[A-Za-z0-9_.-]{1,128}$/;
export const THREAD_ID = /^[A-Za-z0-9_.-]{1,128}$/;
export const USER_ID = /^[A-Za-z0-9_.@:-]{1,128}$/;
export const MAX_CONTENT = 4000;

const channelId = z.string().regex(CHANNEL_ID, 'channelId must be 1-128 characters of A-Z a-z 0-9 _ . -');
const threadId = z.string().regex(THREAD_ID, 'threadId must be 1-128 characters of A-Z a-z 0-9 _ . -');
const userId = z.string().regex(USER_ID, 'userId malformed');
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/**
 * The text content policy: C0 controls other than \n and \t, DEL and C1 controls are refused
 * (NUL truncates in C consumers, ESC starts ANSI terminal escapes in logs and CLIs), and so are
 * the bidi embedding/override/isolate controls U+202A–U+202E and U+2066–U+2069 (U+202E makes
 * "evil.exe" read as another name). Refused, not stripped: a client never sees its text changed.
 */
// eslint-disable-next-line no-control-regex
export const FORBIDDEN_TEXT = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;
export const textPolicyMessage = 'content must not contain control characters (other than newline and tab) or bidi override characters';

const content = z
  .string()
  .min(1, 'content must not be empty')
  .max(MAX_CONTENT, `content must be at most ${MAX_CONTENT} characters`)
  .refine((s) => s.isWellFormed(), 'content must be valid Unicode (no lone surrogates)')
  .refine((s) => !FORBIDDEN_TEXT.test(s), textPolicyMessage);
const clientMsgId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'clientMsgId must be 8-64 characters of A-Z a-z 0-9 _ -');
const messageId = z.string().min(1).max(200);

export const schemas = {
  'channel:join': z.strictObject({ channelId, sinceSeq: seq.optional(), epoch: z.string().min(1).max(64).optional() }),
  'channel:leave': z.strictObject({ channelId }),
  'message:send': z.strictObject({ channelId, content, clientMsgId, threadId: threadId.optional() }),
  'message:edit': z.strictObject({ channelId, messageId, content }),
  'message:delete': z.strictObject({ channelId, messageId }),
  'message:history': z.strictObject({
    channelId,
    beforeSeq: seq.optional(),
    afterSeq: seq.optional(),
    limit: z.number().int().min(1).max(100).optional(),
    threadId: threadId.optional(),
  }),
  'message:read': z.strictObject({ channelId, seq }),
  'auth:refresh': z.strictObject({ token: z.string().min(1).max(8192) }),
  'presence:update': z.strictObject({ status: z.enum(['online', 'away', 'dnd', 'invisible']) }),
  'presence:get': z.union([
    z.strictObject({ userIds: z.array(userId).min(1).max(100) }),
    z.strictObject({ channelId }),
  ]),
  // An omitted payload arrives as null when the client passed `undefined` before its ack.
  'presence:subscribe': z.strictObject({}).nullish(),
  'presence:unsubscribe': z.strictObject({}).nullish(),
  'user:typing': z.strictObject({ channelId, threadId: threadId.optional(), isTyping: z.boolean() }),
  'thread:join': z.strictObject({ channelId, threadId }),
  'thread:leave': z.strictObject({ channelId, threadId }),
  'notification:ack': z.strictObject({ ids: z.array(z.string().min(1).max(128)).min(1).max(500) }),
} as const;

export type SchemaFor<E extends keyof typeof schemas> = z.infer<(typeof schemas)[E]>;
