import { EngineUnavailableError } from '../../common/gateway-error';
import { inSpan } from '../../tracing/spans';

/** Called once per engine command, for the `socket_gateway_redis_command_duration_seconds` metric. */
export type CommandObserver = (command: string, seconds: number, ok: boolean) => void;

/**
 * Redis replies that mean "the store cannot serve now" rather than "the script is wrong":
 * they become UNAVAILABLE like connection errors; any other reply error stays an internal error.
 */
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|OOM|NOREPLICAS)\b/;

export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof EngineUnavailableError) return true;
  if (err.name === 'ReplyError') return UNAVAILABLE_REPLIES.test(err.message);
  // Everything else ioredis throws is about the connection: closed, not writeable, timed out, retries exhausted.
  return true;
}

/**
 * Runs every engine command under one deadline and maps store failures to EngineUnavailableError,
 * so a caller always gets an answer within `timeoutMs` even when a command needs several round trips.
 */
export class RedisCommandRunner {
  observer: CommandObserver | undefined;

  constructor(private readonly timeoutMs: number) {}

  run<T>(command: string, fn: () => Promise<T>): Promise<T> {
    return inSpan(`redis ${command}`, { 'db.system': 'redis', 'db.operation': command }, () => this.timed(command, fn));
  }

  private async timed<T>(command: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new EngineUnavailableError(`${command} timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    let ok = false;
    try {
      const result = await Promise.race([fn(), deadline]);
      ok = true;
      return result;
    } catch (err) {
      if (err instanceof EngineUnavailableError) throw err;
      if (isUnavailable(err)) throw new EngineUnavailableError(`${command}: ${(err as Error).message}`);
      throw err;
    } finally {
      clearTimeout(timer);
      this.observer?.(command, (performance.now() - started) / 1000, ok);
    }
  }
}
