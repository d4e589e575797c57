import { z } from 'zod';
import { USER_ID } from '../contracts/schemas';

/** Largest accepted notification payload, as serialized JSON. */
export const MAX_NOTIFICATION_PAYLOAD_BYTES = 16 * 1024;
export const MAX_NOTIFICATION_USERS = 1000;

export const notificationIdParam = z.string().regex(/^ntf_[A-Za-z0-9_-]{1,100}$/, 'notification id malformed');

export const sendNotificationBody = z.strictObject({
  userIds: z.array(z.string().regex(USER_ID, 'userId malformed')).min(1).max(MAX_NOTIFICATION_USERS)
    .refine((ids) => new Set(ids).size === ids.length, 'userIds must not repeat a user'),
  type: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'type must be 1-64 characters of A-Z a-z 0-9 _ . : -'),
  priority: z.enum(['high', 'normal', 'low']),
  payload: z.unknown().refine((p) => p !== undefined, 'payload is required').refine(
    (p) => Buffer.byteLength(JSON.stringify(p) ?? '') <= MAX_NOTIFICATION_PAYLOAD_BYTES,
    `payload must serialize to at most ${MAX_NOTIFICATION_PAYLOAD_BYTES} bytes of JSON`,
  ),
});

export type SendNotificationBody = z.infer<typeof sendNotificationBody>;
