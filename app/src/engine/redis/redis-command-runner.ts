import { EngineUnavailableError } from '../../common/gateway-error';
import { inSpan, spansEnabled } from '../../tracing/spans';

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
const CONNECTION_MESSAGES = /^(Connection is closed|Stream isn't writeable|Command timed out|Reached the max retries per request limit|connect E|read E|write E|getaddrinfo E|Failed to refresh slots cache|None of the sentinels|All sentinels are unreachable|None of startup nodes is available|Cluster is disconnect|Too many Cluster redirections|Connection is discarded|Connection is aborted|Command aborted due to connection close)/;
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
 * Every command has the same timeout, so the pending ones expire in the order they started: one
 * timer watches the oldest instead of a timer (and a race) per command, which at a few thousand
 * commands a second was measurable on the handshake path.
 */
export class RedisCommandRunner {
  observer: CommandObserver | undefined;
  /** Pending commands in start order (Set order): the first is the next to expire. */
  private readonly pending = new Set<Pending>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly timeoutMs: number) {}

  run<T>(command: string, fn: () => Promise<T>): Promise<T> {
    // Thousands of commands a second: with tracing off, not even the span's name and attributes are built.
    if (!spansEnabled()) return this.timed(command, fn);
    return inSpan(`redis ${command}`, { 'db.system': 'redis', 'db.operation': command }, () => this.timed(command, fn));
  }

  private timed<T>(command: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { command, started, expire: reject };
      this.pending.add(entry);
      if (!this.timer) this.arm(started);
      const settle = (ok: boolean): boolean => {
        if (!this.pending.delete(entry)) return false;
        this.observer?.(command, (performance.now() - started) / 1000, ok);
        return true;
      };
      let work: Promise<T>;
      try {
        work = fn();
      } catch (err) {
        work = Promise.reject(err);
      }
      work.then(
        (result) => {
          if (settle(true)) resolve(result);
        },
        (err: unknown) => {
          if (!settle(false)) return;
          if (err instanceof EngineUnavailableError) reject(err);
          else if (isUnavailable(err)) reject(new EngineUnavailableError(`${command}: ${(err as Error).message}`));
          else reject(err);
        },
      );
    });
  }

  /** Fires when the oldest pending command (started at `oldest`) runs out of time. */
  private arm(oldest: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(0, oldest + this.timeoutMs - performance.now()));
    // The commands' own connections keep the process alive while they are pending; this must not.
    this.timer.unref();
  }

  private expire(): void {
    this.timer = null;
    const now = performance.now();
    for (const entry of this.pending) {
      if (entry.started + this.timeoutMs > now) {
        this.arm(entry.started);
        return;
      }
      this.pending.delete(entry);
      this.observer?.(entry.command, (now - entry.started) / 1000, false);
      entry.expire(new EngineUnavailableError(`${entry.command} timed out after ${this.timeoutMs} ms`));
    }
  }
}

interface Pending {
  command: string;
  started: number;
  expire: (err: EngineUnavailableError) => void;
}
