import { parseCidr } from '../auth/ip-rules';
import { OpsClient } from './ops.client';

export interface OpsArgs {
  positional: string[];
  flags: Record<string, string | boolean>;
}

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  /** Changes state, so `--dry-run` is offered. */
  mutating: boolean;
  run(client: OpsClient, args: OpsArgs, out: (line: string) => void): Promise<void>;
}

class UsageError extends Error {}
export { UsageError };

const need = (args: OpsArgs, i: number, what: string): string => {
  const v = args.positional[i];
  if (!v) throw new UsageError(`missing ${what}`);
  return v;
};
const dry = (args: OpsArgs) => args.flags['dry-run'] === true;

/** Every command the runbooks may quote (a test checks runbooks against this list). */
export const COMMANDS: CommandSpec[] = [
  {
    name: 'status',
    usage: 'status',
    summary: 'readiness of the instance behind --url and every live instance with its connections',
    mutating: false,
    async run(client, _args, out) {
      const ready = await client.readyz();
      out(`readiness (${ready.status}): ${JSON.stringify(ready.body)}`);
      const stats = await client.call<{ instances: Array<Record<string, unknown>>; totals: { instances: number; connections: number } }>('GET', '/stats');
      out(`instances: ${stats.totals.instances}, connections: ${stats.totals.connections}`);
      for (const i of stats.instances) {
        out(`  ${String(i.instanceId).padEnd(32)} connections=${i.connections} rooms=${i.rooms} uptime=${i.uptimeSec}s version=${i.version}${i.draining ? ' DRAINING' : ''}`);
      }
    },
  },
  {
    name: 'disconnect-user',
    usage: 'disconnect-user <userId> [--dry-run]',
    summary: 'disconnect every socket of a user on every instance (they may reconnect)',
    mutating: true,
    async run(client, args, out) {
      const userId = need(args, 0, 'userId');
      if (dry(args)) return out(`dry run: would disconnect every socket of ${userId}`);
      const res = await client.call<{ disconnected: number | null }>('POST', `/users/${encodeURIComponent(userId)}/disconnect`);
      out(`disconnected ${res.disconnected ?? 'all (count unavailable)'} socket(s) of ${userId}`);
    },
  },
  {
    name: 'revoke-token',
    usage: 'revoke-token --jti <jti> | --user <userId> [--dry-run]',
    summary: 'revoke one token (jti) or every token of a user issued until now, and cut their live sockets',
    mutating: true,
    async run(client, args, out) {
      const jti = typeof args.flags.jti === 'string' ? args.flags.jti : undefined;
      const user = typeof args.flags.user === 'string' ? args.flags.user : undefined;
      if (!jti === !user) throw new UsageError('give exactly one of --jti <jti> or --user <userId>');
      const what = jti ? `token ${jti}` : `every token of ${user}`;
      if (dry(args)) return out(`dry run: would revoke ${what} and disconnect its live sockets`);
      const res = await client.call<{ disconnected: number | null }>('POST', '/tokens/revoke', jti ? { jti } : { userId: user });
      out(`revoked ${what}; disconnected ${res.disconnected ?? 'all (count unavailable)'} live socket(s)`);
    },
  },
  {
    name: 'block-ip',
    usage: 'block-ip <ip-or-cidr> [--ttl <seconds>] [--dry-run]',
    summary: 'refuse handshakes from an address or range on every instance',
    mutating: true,
    async run(client, args, out) {
      const cidr = need(args, 0, 'ip or cidr');
      if (!parseCidr(cidr)) throw new UsageError(`${cidr} is not an IP address or CIDR`);
      const ttl = args.flags.ttl === undefined ? undefined : Number(args.flags.ttl);
      if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1)) throw new UsageError('--ttl must be a positive number of seconds');
      if (dry(args)) return out(`dry run: would block ${cidr}${ttl ? ` for ${ttl}s` : ' until unblocked'}`);
      await client.call('POST', '/ip-blocks', ttl ? { cidr, ttlSeconds: ttl } : { cidr });
      out(`blocked ${cidr}${ttl ? ` for ${ttl}s` : ' until unblocked'}`);
    },
  },
  {
    name: 'unblock-ip',
    usage: 'unblock-ip <ip-or-cidr> [--dry-run]',
    summary: 'lift a run-time block (blocks from IP_BLOCKLIST stay until the config changes)',
    mutating: true,
    async run(client, args, out) {
      const cidr = need(args, 0, 'ip or cidr');
      if (!parseCidr(cidr)) throw new UsageError(`${cidr} is not an IP address or CIDR`);
      if (dry(args)) return out(`dry run: would unblock ${cidr}`);
      const res = await client.call<{ removed: boolean }>('DELETE', `/ip-blocks/${encodeURIComponent(cidr)}`);
      out(res.removed ? `unblocked ${cidr}` : `${cidr} was not blocked (nothing to do)`);
    },
  },
  {
    name: 'reconcile-presence',
    usage: 'reconcile-presence [--dry-run]',
    summary: 'rebuild presence from the sockets really connected on every instance',
    mutating: true,
    async run(client, args, out) {
      const res = await client.call<Record<string, unknown>>('POST', '/presence/reconcile', { dryRun: dry(args) });
      out(`${dry(args) ? 'dry run: ' : ''}presence reconciled: ${JSON.stringify(strip(res))}`);
    },
  },
  {
    name: 'run-maintenance',
    usage: 'run-maintenance [job] [--dry-run]',
    summary: 'run one maintenance job now (or all of them); jobs run under a lock, one instance at a time',
    mutating: true,
    async run(client, args, out) {
      const known = (await client.call<{ jobs: string[] }>('GET', '/maintenance')).jobs;
      const jobs = args.positional[0] ? [args.positional[0]] : known;
      // The runbooks preview a run first; the preview checks the job exists and changes nothing.
      if (dry(args)) {
        const unknown = jobs.filter((j) => !known.includes(j));
        if (unknown.length) throw new UsageError(`no maintenance job ${unknown.join(', ')} (jobs: ${known.join(', ')})`);
        return out(`dry run: would run ${jobs.join(', ')}`);
      }
      let failed = 0;
      for (const job of jobs) {
        const { run } = await client.call<{ run: { result: string; details?: unknown; error?: string } }>('POST', `/maintenance/${encodeURIComponent(job)}`);
        if (run.result === 'failure') failed++;
        out(`${job}: ${run.result}${run.details ? ` ${JSON.stringify(run.details)}` : ''}${run.error ? ` (${run.error})` : ''}`);
      }
      if (failed > 0) throw new Error(`${failed} maintenance job(s) failed`);
    },
  },
  {
    name: 'dead-letters',
    usage: 'dead-letters [--limit <n>]',
    summary: 'list webhook events that exhausted their delivery attempts (oldest first)',
    mutating: false,
    async run(client, args, out) {
      const limit = positiveLimit(args);
      const res = await client.call<{ deadLetters: Array<{ event: { id: string; type: string }; deadAt: string; attempts: number; lastError: string }> }>('GET', `/webhooks/dead-letters?limit=${limit}`);
      out(`${res.deadLetters.length} dead-lettered webhook event(s)`);
      for (const d of res.deadLetters) out(`  ${d.event.id} ${d.event.type} dead since ${d.deadAt} after ${d.attempts} attempt(s): ${d.lastError}`);
    },
  },
  {
    name: 'retry-dead-letters',
    usage: 'retry-dead-letters [--limit <n>] [--dry-run]',
    summary: 'requeue the oldest dead-lettered webhook events with a fresh attempt budget',
    mutating: true,
    async run(client, args, out) {
      const limit = positiveLimit(args);
      if (dry(args)) {
        const res = await client.call<{ deadLetters: unknown[] }>('GET', `/webhooks/dead-letters?limit=${limit}`);
        return out(`dry run: would requeue ${res.deadLetters.length} dead-lettered webhook event(s)`);
      }
      const res = await client.call<{ requeued: number }>('POST', '/webhooks/dead-letters/retry', { limit });
      out(`requeued ${res.requeued} dead-lettered webhook event(s)`);
    },
  },
  {
    name: 'connection-reset',
    usage: 'connection-reset [--window <seconds>] [--dry-run]',
    summary: 'disconnect every socket of the fleet gradually, with jitter, over the window (default 60 s)',
    mutating: true,
    async run(client, args, out) {
      const windowSeconds = args.flags.window === undefined ? 60 : Number(args.flags.window);
      if (!Number.isInteger(windowSeconds) || windowSeconds < 0 || windowSeconds > 3600) throw new UsageError('--window must be 0-3600 seconds');
      const res = await client.call<{ instances: number; connections: number }>('POST', '/connections/reset', { windowSeconds, dryRun: dry(args) });
      out(`${dry(args) ? 'dry run: would reset' : 'resetting'} ${res.connections} connection(s) on ${res.instances} instance(s) over ${windowSeconds}s`);
    },
  },
];

function positiveLimit(args: OpsArgs): number {
  const limit = args.flags.limit === undefined ? 100 : Number(args.flags.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be 1-1000');
  return limit;
}

function strip(o: Record<string, unknown>): Record<string, unknown> {
  const { ok: _ok, ...rest } = o;
  return rest;
}
