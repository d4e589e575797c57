import { EngineUnavailableError } from '../../common/gateway-error';
import { inSpan } from '../../tracing/spans';

/** Called once per engine command, for the `socket_gateway_redis_command_duration_seconds` metric. */
export type CommandObserver = (command: string, seconds: number, ok: boolean) => void;

/**
 * Redis replies that mean "the store cannot serve now" rather than "the script is wrong"
 * (MOVED/ASK reach us only while a Cluster fails over and its slot map is moving; UNBLOCKED is
 * what a demoted primary answers the WAIT it was blocking, and "WAIT cannot be used with replica
 * instances" what it answers a new WAIT, after a script that only read, such as a duplicate send):
 * they become UNAVAILABLE like connection errors; any other reply error stays an internal error.
 */
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|OOM|NOREPLICAS|MOVED|ASK|UNBLOCKED|ERR WAIT cannot be used with replica)\b/;

/**
 * Errors ioredis raises when the connection, not the command, failed: closed or not yet open,
 * not writeable (no offline queue), timed out, retries exhausted, or a socket-level errno.
 */
const CONNECTION_MESSAGES = /^(Connection is closed|Stream isn't writeable|Command timed out|Reached the max retries per request limit|connect E|read E|write E|getaddrinfo E|Failed to refresh slots cache|None of the sentinels|All sentinels are unreachable|None of startup nodes is available|Cluster is disconnect|Too many Cluster redirections|Connection is discarded|Connection is aborted)/;
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * True only when the store could not serve: connection-class failures and the replies above.
 * Anything else (a TypeError in engine code, a script error, corrupt data) is a bug: it stays
 * itself and reaches the client as INTERNAL_ERROR, logged once with its stack where it is
 * answered, so a bug is never retried as if Redis were down.
 */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof EngineUnavailableError) return true;
  if (err.name === 'ReplyError') return UNAVAILABLE_REPLIES.test(err.message);
  if (err.name === 'MaxRetriesPerRequestError' || err.name === 'ClusterAllFailedError') return true;
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return CONNECTION_MESSAGES.test(err.message);
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
