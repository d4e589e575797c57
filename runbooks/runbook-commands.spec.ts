import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { call, closeAll, connect, connectRefused, until } from '../app/test/support/clients';
import { freePort } from '../app/test/support/free-port';
import { GatewayChild } from '../app/test/support/gateway-child';
import { RedisServer } from '../app/test/support/redis-server';
import { signToken } from '../app/test/support/tokens';
import { helmTemplate } from '../helm/test/helm';
import { gatewayLogPipeline, logQlMatches, logQlQueries, opsArgs, runbookCommands, type LogQlQuery } from './lib/runbook-commands';

/**
 * Every ops-CLI and gateway log query the runbooks quote, run as written against a live gateway
 * and its real log output; every kubectl command checked against the names the chart renders.
 */
const run = promisify(execFile);
const API_KEY = 'runbook-commands-key-0123456789';
const REPO = join(__dirname, '..');
const commands = runbookCommands();
const opsCommands = commands.filter((c) => opsArgs(c.text));
const logQueries = commands.filter((c) => gatewayLogPipeline(c.text) !== null);
const lokiQueries = logQlQueries();
const parsedLoki = lokiQueries.filter((q): q is LogQlQuery => 'selector' in q);

/** Placeholders a reader fills in, and what this test fills in. */
const PLACEHOLDERS: Record<string, string> = {
  '<userId>': 'runbook-user',
  '<jti>': 'runbook-jti',
  '<job>': 'key-expiry',
  '<cidr>': '198.51.100.0/24',
};

/**
 * Log events no healthy test gateway can be made to write; the test still requires every event
 * name such a query greps for to be one the gateway logs (found in app/src).
 */
/** Log queries that search error text inside any event rather than an event name, and why. */
const TEXT_QUERIES: Record<string, string> = {
  "grep -i emfile": 'EMFILE appears in the err of whichever event ran out of descriptors; not producible here',
  'tail -50': 'the last lines of a crashed container, whatever they are',
};

const NOT_PRODUCIBLE: Record<string, string> = {
  'event.failed': 'INTERNAL_ERROR answers come from bugs; nothing reachable from a client produces one',
  'notification.': 'notification redelivery failures need Redis to fail between a notification and its ack',
};

/** Event names the gateway's code logs (logger.info/warn/error/debugEvent('<name>')). */
function loggedEventNames(dir = join(REPO, 'app/src')): Set<string> {
  const names = new Set<string>();
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) loggedEventNames(path).forEach((n) => names.add(n));
    else if (entry.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/\.(?:info|warn|error|debugEvent)\('([a-z_.]+)'/g)) names.add(m[1]);
  }
  return names;
}

/** The event names a grep pipeline looks for ("event":"<name>", with E-regex alternations expanded). */
function grepEvents(pipeline: string): string[] {
  const out: string[] = [];
  for (const m of pipeline.matchAll(/"event":"([^"]+)"/g)) {
    const pattern = m[1];
    const alt = /^(.*?)\(([^)]+)\)(.*)$/.exec(pattern);
    const variants = alt ? alt[2].split('|').map((v) => `${alt[1]}${v}${alt[3]}`) : [pattern];
    out.push(...variants.map((v) => v.replace(/\[\.\]/g, '.').replace(/\\\./g, '.')));
  }
  return out;
}

describe('runbook commands', () => {
  it('should quote ops commands and gateway log queries on many pages', () => {
    expect(opsCommands.length).toBeGreaterThan(30);
    expect(logQueries.length).toBeGreaterThan(12);
  });

  it('should read every pod and grep on event names in gateway log queries', () => {
    const problems = commands
      .filter((c) => / logs deploy\/socket-gateway\b/.test(c.text) || (gatewayLogPipeline(c.text) !== null && !/"event":"/.test(c.text) && !(gatewayLogPipeline(c.text)! in TEXT_QUERIES)))
      .map((c) => `${c.file}:${c.line}: ${c.text}`);
    expect(problems).toEqual([]);
  });

  it('should quote Loki equivalents the check below can read, on the gateway container of the socket-gateway namespace', () => {
    expect(lokiQueries.filter((q) => 'error' in q).map((q) => `${q.file}:${q.line}: ${q.text}`)).toEqual([]);
    expect(parsedLoki.length).toBeGreaterThan(10);
    const wrongStream = parsedLoki.filter((q) => q.selector.namespace !== 'socket-gateway' || q.selector.container !== 'gateway');
    expect(wrongStream.map((q) => `${q.file}:${q.line}`)).toEqual([]);
    const noEvent = parsedLoki.filter((q) => !q.filters.some((f) => f.label === 'event'));
    expect(noEvent.map((q) => `${q.file}:${q.line}`)).toEqual([]);
  });

  it('should never scale the Deployment by hand while the HPA owns its replicas', () => {
    expect(commands.filter((c) => /kubectl .*scale (deploy|deployment)\/socket-gateway/.test(c.text)).map((c) => `${c.file}:${c.line}`)).toEqual([]);
  });

  it('should grep only for events the gateway logs', () => {
    const known = loggedEventNames();
    const unknown = logQueries.flatMap((c) =>
      grepEvents(gatewayLogPipeline(c.text)!)
        .filter((e) => !known.has(e) && !(e.endsWith('.') && [...known].some((k) => k.startsWith(e))))
        .map((e) => `${c.file}:${c.line}: ${e}`),
    );
    expect(unknown).toEqual([]);
  });

  describe('kubectl commands against the rendered chart', () => {
    const objs = helmTemplate({ values: { monitoring: { serviceMonitor: { enabled: true } } } });
    const named = (kind: string) => new Set(objs.filter((o) => o.kind === kind).map((o) => o.metadata.name));
    const kinds: Record<string, string> = {
      deploy: 'Deployment', deployment: 'Deployment', hpa: 'HorizontalPodAutoscaler', pdb: 'PodDisruptionBudget',
      configmap: 'ConfigMap', svc: 'Service', service: 'Service', servicemonitor: 'ServiceMonitor', networkpolicy: 'NetworkPolicy',
      // A Service's Endpoints carry its name.
      endpoints: 'Service',
    };
    const deployment = objs.find((o) => o.kind === 'Deployment')!;
    const template = (deployment.spec as any).template; // eslint-disable-line @typescript-eslint/no-explicit-any
    const containers = new Set<string>((template.spec.containers as Array<{ name: string }>).map((c) => c.name));
    const podLabels = template.metadata.labels as Record<string, string>;

    it.each(commands.filter((c) => c.text.startsWith('kubectl -n socket-gateway')).map((c) => [`${c.file}:${c.line}`, c.text] as const))(
      'should name only rendered objects, containers and labels in %s',
      (_where, text) => {
        const problems: string[] = [];
        for (const m of text.matchAll(/\b(deploy|deployment|svc|service)\/([a-z0-9-]+)/g)) if (!named(kinds[m[1]]).has(m[2])) problems.push(`no ${kinds[m[1]]} ${m[2]}`);
        for (const m of text.matchAll(/\b(?:get|describe|patch) (hpa|pdb|configmap|servicemonitor|networkpolicy|endpoints) ([a-z0-9][a-z0-9-]*)/g)) {
          if (!named(kinds[m[1]]).has(m[2])) problems.push(`no ${kinds[m[1]]} ${m[2]}`);
        }
        if (/ -c ([a-z0-9-]+)/.test(text) && /(deploy\/socket-gateway|-l app\.kubernetes\.io\/name=socket-gateway|<pod>)/.test(text)) {
          const c = / -c ([a-z0-9-]+)/.exec(text)![1];
          if (!containers.has(c)) problems.push(`no container ${c} in the gateway pods`);
        }
        for (const m of text.matchAll(/-l (app\.kubernetes\.io\/name)=([a-z0-9-]+)/g)) {
          if (m[2] !== 'redis' && podLabels[m[1]] !== m[2]) problems.push(`gateway pods are not labelled ${m[1]}=${m[2]}`);
        }
        expect(problems).toEqual([]);
      },
    );
  });

  describe('against a live gateway', () => {
    let redis: RedisServer;
    let gw: GatewayChild;
    let logFile = '';
    const dir = mkdtempSync(join(tmpdir(), 'sg-runbook-'));

    beforeAll(async () => {
      redis = await RedisServer.start();
      gw = await GatewayChild.start({
        REDIS_URL: redis.url,
        API_KEYS: API_KEY,
        // A receiver that is never there: the first failure dead-letters.
        WEBHOOK_URL: `http://127.0.0.1:${await freePort()}/hooks`,
        WEBHOOK_SECRET: 'runbook-commands-webhook-secret',
        WEBHOOK_MAX_ATTEMPTS: '1',
        WEBHOOK_TIMEOUT_MS: '500',
        RATE_LIMIT_CONNECT_PER_USER: '4',
        RATE_LIMIT_CONNECT_PER_IP: '6',
        ENGINE_TIMEOUT_MS: '500',
        DRAIN_DELAY_MS: '100',
        DRAIN_WINDOW_MS: '200',
      });
      // What the runbooks' log queries look for: a webhook dead letter, refused handshakes (token,
      // rate limit, store down), Redis errors, a failed maintenance run, a drain.
      const user = await connect(gw.url, await signToken({ sub: 'runbook-user', jti: 'runbook-jti' }));
      await call(user, 'channel:join', { channelId: 'runbooks' });
      await call(user, 'message:send', { channelId: 'runbooks', content: 'hello', clientMsgId: 'runbook-msg-1' });
      await until(() => gw.output.some((l) => l.includes('"event":"webhook.dead_letter"')), 15_000, 'a dead letter');
      await redis.kill();
      await until(() => gw.output.some((l) => l.includes('"event":"redis.down"')), 15_000, 'Redis down noticed');
      await connectRefused(gw.url, await signToken({ sub: 'during-outage' }));
      await fetch(`${gw.url}/api/v1/maintenance/key-expiry`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` } });
      await until(() => gw.output.some((l) => l.includes('"event":"maintenance.failed"')), 15_000, 'a failed maintenance run');
      // The adapter's clients log only when they retry; a short outage can end before they do.
      await until(() => gw.output.some((l) => l.includes('"event":"redis.error"') && l.includes('"connection":"adapter')), 15_000, 'adapter errors logged');
      await redis.restart();
      await until(async () => /^socket_gateway_redis_up 1$/m.test(await gw.metrics()), 20_000, 'Redis back');
      // Rate-limit counters lived in the Redis that was restarted (no persistence): a user
      // reconnecting a fifth time is refused for its rate (per user), then a bad token, and the
      // address's seventh handshake meets the per-IP flood guard (before any session).
      const reconnecting = await signToken({ sub: 'runbook-reconnecting' });
      for (let i = 0; i < 4; i++) (await connect(gw.url, reconnecting)).disconnect();
      expect((await connectRefused(gw.url, reconnecting)).data?.code).toBe('RATE_LIMITED');
      expect((await connectRefused(gw.url, 'not-a-token')).data?.code).toBe('AUTH_FAILED');
      expect((await connectRefused(gw.url, 'not-a-token')).message).toBe('websocket error');
      await until(() => gw.output.some((l) => l.includes('"reason":"ip_flood"')), 5_000, 'the flood guard logged');
    }, 90_000);

    afterAll(async () => {
      closeAll();
      await gw?.stop();
      await redis?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it.each(opsCommands.map((c) => [`${c.file}:${c.line}`, c.text] as const))('should run %s as written: %s', async (_where, text) => {
      const args = opsArgs(text)!.map((a) => PLACEHOLDERS[a] ?? a);
      expect(args.filter((a) => /^<.*>$/.test(a))).toEqual([]);
      const res = await run(process.execPath, [join(REPO, 'dist/app/src/ops/ops.cli.js'), ...args, '--url', gw.url, '--api-key', API_KEY], { timeout: 30_000 }).then(
        (r) => ({ code: 0, out: r.stdout + r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
      expect({ text, code: res.code, out: res.code === 0 ? '' : res.out }).toEqual({ text, code: 0, out: '' });
    });

    it('should find what every gateway log query looks for in the gateway\'s real output', async () => {
      // The drain comes last: it ends the gateway.
      await gw.send('SIGTERM');
      logFile = join(dir, 'gateway.log');
      writeFileSync(logFile, `${gw.output.join('\n')}\n`);
      const results = await Promise.all(
        logQueries.map(async (c) => {
          const pipeline = gatewayLogPipeline(c.text)!;
          const res = await run('bash', ['-o', 'pipefail', '-c', `cat ${logFile} | ${pipeline}`]).then(
            (r) => ({ ok: r.stdout.trim().length > 0 }),
            () => ({ ok: false }),
          );
          const events = grepEvents(pipeline);
          const excused =
            pipeline === 'grep -i emfile' ||
            (events.length > 0 && events.every((e) => Object.keys(NOT_PRODUCIBLE).some((n) => e.startsWith(n))));
          return { where: `${c.file}:${c.line}`, pipeline, ok: res.ok, excused };
        }),
      );
      expect(results.filter((r) => !r.ok && !r.excused).map((r) => `${r.where}: ${r.pipeline}`)).toEqual([]);
      // The excuses stay exact: an excused query that matches here no longer needs its excuse.
      expect(results.filter((r) => r.excused && r.ok).map((r) => r.where)).toEqual([]);
      expect(results.filter((r) => r.ok).length).toBeGreaterThan(10);
    }, 30_000);

    it('should find what every Loki query looks for in the same output, with Loki\'s json and label-filter rules', () => {
      // Runs after the grep check above, which ended the gateway with its drain.
      expect(gw.output.some((l) => l.includes('"event":"drain.finished"'))).toBe(true);
      const known = loggedEventNames();
      const results = parsedLoki.map((q) => {
        const ok = gw.output.some((l) => logQlMatches(q, l));
        // The event filter names only events the gateway logs; excused like the greps when unproducible.
        const event = q.filters.find((f) => f.label === 'event')!;
        const events = [...known].filter((e) => (event.op === '=' ? e === event.value : new RegExp(`^(?:${event.value})$`).test(e)));
        const excused = events.length > 0 && events.every((e) => Object.keys(NOT_PRODUCIBLE).some((n) => e.startsWith(n)));
        return { where: `${q.file}:${q.line}`, text: q.text, ok, excused, events };
      });
      expect(results.filter((r) => r.events.length === 0).map((r) => `${r.where}: ${r.text} names no logged event`)).toEqual([]);
      expect(results.filter((r) => !r.ok && !r.excused).map((r) => `${r.where}: ${r.text}`)).toEqual([]);
      expect(results.filter((r) => r.excused && r.ok).map((r) => r.where)).toEqual([]);
    });
  });
});
