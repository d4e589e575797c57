import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-connection';

export interface ScriptDefinition {
  lua: string;
  /** Omitted: the call's first argument is the number of keys (as with ioredis' defineCommand). */
  numberOfKeys?: number;
}

type Argument = string | number;

/**
 * Lua scripts run by EVALSHA, loading themselves with EVAL on NOSCRIPT (a restarted node, a
 * failover, SCRIPT FLUSH). Not ioredis' `defineCommand`: ioredis copies every defined command onto
 * each Pipeline it builds, and auto-pipelining builds one per flush, so with this engine's ~30
 * scripts building pipelines was about 9% of an instance's CPU under fan-out.
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly definition: ScriptDefinition) {
    this.sha = createHash('sha1').update(definition.lua).digest('hex');
  }

  /** Keys and arguments as a defined command takes them. */
  async run<T>(redis: RedisClient, params: Argument[]): Promise<T> {
    const args = this.evalArguments(params);
    try {
      return (await redis.evalsha(this.sha, ...args)) as T;
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return (await redis.eval(this.definition.lua, ...args)) as T;
    }
  }

  /** `numkeys key… arg…` for EVAL / EVALSHA. */
  evalArguments(params: Argument[]): [Argument, ...Argument[]] {
    const n = this.definition.numberOfKeys;
    return n === undefined ? (params as [Argument, ...Argument[]]) : [n, ...params];
  }
}

/** An object with one method per script, called like the commands `defineCommand` would add. */
export function scriptsFor<T>(redis: RedisClient, definitions: Record<keyof T & string, ScriptDefinition>): T {
  const out: Record<string, (...params: Argument[]) => Promise<unknown>> = {};
  for (const [name, definition] of Object.entries(definitions) as Array<[string, ScriptDefinition]>) {
    const script = new LuaScript(definition);
    out[name] = (...params) => script.run(redis, params);
  }
  return out as T;
}

export function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}
