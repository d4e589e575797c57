import { schemas } from '../contracts/schemas';
import { GatewayError } from './gateway-error';

/** Validates an event payload against its schema; any mismatch is INVALID_PAYLOAD, never a crash. */
export function validatePayload<E extends keyof typeof schemas>(event: E, value: unknown): unknown {
  const result = schemas[event].safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new GatewayError('INVALID_PAYLOAD', `${event} payload invalid: ${where}${issue?.message ?? 'malformed'}`.slice(0, 300));
  }
  return result.data;
}

/** Whether a client event has a payload schema (every @OnEvent must). */
export function hasPayloadSchema(event: string): event is keyof typeof schemas {
  return Object.hasOwn(schemas, event);
}
