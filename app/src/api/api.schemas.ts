import { z } from 'zod';
import { CHANNEL_ID, FORBIDDEN_TEXT, MAX_CONTENT, textPolicyMessage, THREAD_ID, USER_ID } from '../contracts/schemas';
import { parseCidr } from '../auth/ip-rules';

export const channelIdParam = z.string().regex(CHANNEL_ID, 'channelId malformed');
export const userIdParam = z.string().regex(USER_ID, 'userId malformed');

export const publishBody = z.strictObject({
  content: z.string().min(1).max(MAX_CONTENT).refine((s) => s.isWellFormed(), 'content must be valid Unicode').refine((s) => !FORBIDDEN_TEXT.test(s), textPolicyMessage),
  userId: z.string().regex(USER_ID).optional(),
  clientMsgId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/).optional(),
  threadId: z.string().regex(THREAD_ID).optional(),
});

export const revokeBody = z.union([
  // expiresAt is the JWT's own `exp`, in seconds; a millisecond value (13 digits) is refused, not misread.
  z.strictObject({ jti: z.string().min(1).max(256), expiresAt: z.number().int().positive().max(99_999_999_999, 'expiresAt is in seconds since epoch (the JWT exp), not milliseconds').optional() }),
  z.strictObject({ userId: z.string().regex(USER_ID) }),
]);

export const cidr = z.string().refine((c) => parseCidr(c) !== null, 'not an IP address or CIDR');
export const ipBlockBody = z.strictObject({ cidr, ttlSeconds: z.number().int().min(1).max(365 * 86400).optional() });

export const connectionResetBody = z.strictObject({
  windowSeconds: z.number().int().min(0).max(3600).default(60),
  dryRun: z.boolean().default(false),
});
