import type { ReadCursorStore } from '../presence.port';
import { READ_CURSOR_ADVANCE_LUA } from './presence.lua';
import type { RedisCommandRunner } from './redis-command-runner';
import type { RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { scriptsFor } from './lua-scripts';

interface CursorCommands {
  sgReadAdvance(cursors: string, userId: string, seq: number, retentionMs: number): Promise<[string, number]>;
}

/**
 * One hash per channel (`{ch:<id>}:reads`, userId → seq) in the channel's slot; the advance is a
 * script so that the cursor only grows even when two tabs report at once. The hash expires after
 * the retention without any read in the channel.
 */
export class RedisReadCursors implements ReadCursorStore {
  private readonly scripts: CursorCommands;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly runner: RedisCommandRunner,
    private readonly retentionMs: number,
  ) {
    this.scripts = scriptsFor<CursorCommands>(redis, {
      sgReadAdvance: { numberOfKeys: 1, lua: READ_CURSOR_ADVANCE_LUA },
    });
  }

  advance(channelId: string, userId: string, seq: number): Promise<{ seq: number; moved: boolean }> {
    return this.runner.run('read_cursor_advance', async () => {
      const [stored, moved] = await this.scripts.sgReadAdvance(this.key(channelId), userId, seq, this.retentionMs);
      return { seq: Number(stored), moved: Number(moved) === 1 };
    });
  }

  get(channelId: string, userId: string): Promise<number> {
    return this.runner.run('read_cursor_get', async () => Number((await this.redis.hget(this.key(channelId), userId)) ?? 0));
  }

  /** Same `{ch:<id>}` tag as the channel's other keys (see RedisKeys). */
  private key(channelId: string): string {
    return `${this.keys.prefix}:{ch:${channelId}}:reads`;
  }
}
