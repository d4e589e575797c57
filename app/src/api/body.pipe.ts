import type { PipeTransform } from '@nestjs/common';
import type { ZodType } from 'zod';
import { GatewayError } from '../common/gateway-error';

/** Validates a request body (or param) with a zod schema; failures are 400 INVALID_PAYLOAD. */
export class BodyPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: ZodType<T>, private readonly what = 'body') {}

  transform(value: unknown): T {
    const result = this.schema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw new GatewayError('INVALID_PAYLOAD', `${this.what} invalid: ${where}${issue?.message ?? 'malformed'}`.slice(0, 300));
    }
    return result.data;
  }
}
