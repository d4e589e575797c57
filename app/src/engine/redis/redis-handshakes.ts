import type { HandshakeLimits, HandshakeOutcome, HandshakeRequest, HandshakeStore } from '../handshake.port';
import type { StoredNotification } from '../notification-inbox.port';
import type { ChosenStatus } from '../presence.port';
import { HANDSHAKE_BATCH_LUA } from './handshake.lua';
import { LuaScript } from './lua-scripts';
import type { RedisCommandRunner } from './redis-command-runner';
import type { RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { record } from './redis-notification-inbox';
import { entryOf, instanceOf, parseSeen } from './redis-presence';

type Reply = [number, number?, number?, number?, string?, string?, string[]?, Array<string | null>?, Array<string | null>?];

/**
 * HandshakeStore on one Redis node: a whole batch of handshakes is one script call
 * (HANDSHAKE_BATCH_LUA), where separate stores would send three commands per handshake.
 */
export class RedisHandshakes implements HandshakeStore {
  readonly batches = true;
  private readonly script = new LuaScript({ lua: HANDSHAKE_BATCH_LUA });

  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys, private readonly runner: RedisCommandRunner, private readonly retentionMs: number) {}

  admit(requests: HandshakeRequest[], limits: HandshakeLimits, now: number): Promise<HandshakeOutcome[]> {
    if (requests.length === 0) return Promise.resolve([]);
    return this.runner.run('handshake_admit', async () => {
      const instanceId = instanceOf(requests[0].socketKey);
      const keys = [this.keys.revokedUsers, this.keys.presenceInstances, this.keys.presenceInstance(instanceId)];
      const args: Array<string | number> = [limits.capacity, limits.windowMs, now, limits.maxSockets, this.retentionMs, limits.inboxMax, instanceId];
      for (const r of requests) {
        const { userId, jti, issuedAt } = r.revocation;
        if (instanceOf(r.socketKey) !== instanceId) throw new Error('a handshake batch belongs to one instance');
        keys.push(
          this.keys.presenceUser(userId, 'connect-rate'), this.keys.presenceUser(userId, 'sockets'), this.keys.presenceUser(userId, 'state'),
          // Without a jti the key is only a placeholder; the script skips it.
          this.keys.revokedJti(jti ?? ''),
          this.keys.notificationInbox(userId, 'unacked'), this.keys.notificationInbox(userId, 'data'), this.keys.notificationInbox(userId, 'state'),
        );
        args.push(r.socketKey, entryOf(userId, r.socketKey), userId, jti ? '1' : '0', issuedAt ?? 0);
      }
      const replies = await this.script.run<Reply[]>(this.redis, [keys.length, ...keys, ...args]);
      return replies.map((reply, i) => outcome(requests[i].revocation.userId, reply, now));
    });
  }
}

function outcome(userId: string, [code, retryAfterMs, sockets, first, status, seen, ids, bodies, states]: Reply, now: number): HandshakeOutcome {
  if (Number(code) === 3) return { revoked: true };
  if (Number(code) !== 1) {
    return { revoked: false, admission: { allowed: false, refusal: Number(code) === 2 ? 'socket_limit' : 'rate_limited', retryAfterMs: Number(retryAfterMs), sockets: Number(sockets) }, unacked: [] };
  }
  const unacked: StoredNotification[] = [];
  (ids ?? []).forEach((_, j) => {
    const json = bodies?.[j];
    const r = json ? record(json, states?.[j] ?? 'pending,,') : null;
    if (r && r.expiresAt > now) unacked.push(r);
  });
  return {
    revoked: false,
    admission: { allowed: true, sockets: Number(sockets), transition: { userId, status: status as ChosenStatus, lastSeen: parseSeen(seen ?? ''), first: Number(first) === 1 } },
    unacked,
  };
}
