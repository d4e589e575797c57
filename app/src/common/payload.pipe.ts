import type { PipeTransform } from '@nestjs/common';
import { schemas } from '../contracts/schemas';
import { GatewayError } from './gateway-error';

/** Validates an event payload against its schema; any mismatch is INVALID_PAYLOAD, never a crash. */
export class PayloadPipe<E extends keyof typeof schemas> implements PipeTransform {
  constructor(private readonly event: E) {}

  transform(value: unknown) {
    const result = schemas[this.event].safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw new GatewayError('INVALID_PAYLOAD', `${this.event} payload invalid: ${where}${issue?.message ?? 'malformed'}`.slice(0, 300));
    }
    return result.data;
  }
}

/** `@MessageBody(payload('message:send'))` */
export function payload<E extends keyof typeof schemas>(event: E): PayloadPipe<E> {
  return new PayloadPipe(event);
}
