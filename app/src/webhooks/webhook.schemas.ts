import { z } from 'zod';

export const deadLetterQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
export const retryDeadLettersBody = z.strictObject({
  ids: z.array(z.string().min(1).max(128)).min(1).max(1000).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
});
