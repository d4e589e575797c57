/**
 * The stage's command line (scripts/stage/stage wraps it; `make stage` / `make stage-down` call
 * `up` / `down`). The stage directory is tmp/stage, or STAGE_DIR. `up` also reads STAGE_VALUES
 * (a chart values file, JSON or YAML, merged over the stage's values: e.g. shorter drain settings)
 * and STAGE_SCRAPE_INTERVAL (Prometheus scrape and evaluation interval, default 5s).
 *
 *   up                      start everything, print the URLs and dev tokens
 *   down                    stop every process the stage started (by pid file)
 *   status                  what runs, what nginx routes to, the Redis primary
 *   roll <gateway>          SIGTERM one gateway, let it drain and exit, start it again, wait until routed
 *   kill <name>             SIGKILL one process (a gateway, redis-0, sentinel-1, … or redis-primary)
 *   start <name>            start a killed gateway, Redis node or sentinel again
 */
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { parse } from 'yaml';
import type { ChartValues } from './chart-env';
import { runningPid, signalDaemon, waitExited, waitFor } from './daemons';
import { gatewayByName, rollGateway, startGateway, waitGatewayReady } from './gateways';
import { routedGateways } from './readiness-poller';
import { currentPrimary, startRedisNode } from './redis-set';
import { describeStage, runningDaemons, StageAlreadyUp, startStage, stopStage } from './lifecycle';
import { readState, stageDir, type StageState } from './state';

const out = (line: string) => process.stdout.write(`${line}\n`);

async function devToken(secret: string, sub: string, roles: string[]): Promise<string> {
  return new SignJWT({ roles, channels: ['*'] }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(sub).setIssuedAt().setExpirationTime('24h').sign(new TextEncoder().encode(secret));
}

async function describe(s: StageState): Promise<string> {
  return describeStage(s, { alice: await devToken(s.jwtSecret, 'alice', ['member']), bob: await devToken(s.jwtSecret, 'bob', ['moderator']) });
}

function upState(dir: string): StageState {
  const s = readState(dir);
  if (!s || runningDaemons(dir).length === 0) throw new Usage(`the stage in ${dir} is not up: run make stage`);
  return s;
}

class Usage extends Error {}

async function main(args: string[]): Promise<void> {
  const dir = stageDir();
  const [command, name] = args;
  switch (command) {
    case 'up': {
      try {
        const values = process.env.STAGE_VALUES ? (parse(readFileSync(process.env.STAGE_VALUES, 'utf8')) as ChartValues) : undefined;
        out(await describe(await startStage({ dir, values, scrapeInterval: process.env.STAGE_SCRAPE_INTERVAL || undefined })));
      } catch (err) {
        if (!(err instanceof StageAlreadyUp)) throw err;
        out(`The stage is already up (make stage-down stops it).`);
        out(await describe(readState(dir)!));
      }
      return;
    }
    case 'down': {
      const stopped = await stopStage(dir);
      out(stopped.length ? `stopped ${stopped.join(', ')}` : `nothing of the stage in ${dir} was running`);
      return;
    }
    case 'status': {
      const s = upState(dir);
      const all = ['receiver', ...s.redis.map((n) => n.name), ...s.sentinels.map((n) => n.name), ...s.gateways.map((g) => g.name), 'nginx', 'readiness-poller', ...s.exporters.map((e) => e.name), 'prometheus', 'alertmanager'];
      for (const n of all) out(`${n.padEnd(24)} ${runningPid(dir, n) ? `running (pid ${runningPid(dir, n)})` : 'stopped'}`);
      out(`nginx routes to          ${routedGateways(dir).map((i) => s.gateways[i].name).join(', ') || 'nothing'}`);
      const primary = await currentPrimary(s).catch(() => null);
      out(`Redis primary            ${primary ? `${primary.name} (127.0.0.1:${primary.port})` : 'none named by the sentinels'}`);
      return;
    }
    case 'roll': {
      const s = upState(dir);
      if (!name) throw new Usage('roll needs a gateway name, e.g. socket-gateway-1');
      gatewayByName(s, name);
      out(`${name}: terminating (out of nginx, preStop ${s.preStopSleepSeconds} s, then SIGTERM: readiness off, drain over DRAIN_DELAY_MS ${s.gatewayEnv.DRAIN_DELAY_MS} + DRAIN_WINDOW_MS ${s.gatewayEnv.DRAIN_WINDOW_MS})`);
      const t = await rollGateway(s, name);
      const budgetMs = Number(s.gatewayEnv.DRAIN_DELAY_MS) + Number(s.gatewayEnv.DRAIN_WINDOW_MS);
      out(`${name}: out of nginx after ${t.unroutedMs} ms, SIGTERM at ${t.sigtermMs} ms, drained and exited ${t.drainedMs} ms later (drain budget ${budgetMs} ms), ready ${t.readyMs} ms after restart, routed again ${t.routedMs} ms later`);
      return;
    }
    case 'kill': {
      const s = upState(dir);
      if (!name) throw new Usage('kill needs a process name (socket-gateway-1, redis-primary, sentinel-0, …)');
      const target = name === 'redis-primary' ? (await currentPrimary(s)).name : name;
      if (!signalDaemon(dir, target, 'SIGKILL')) throw new Usage(`${target} is not running`);
      await waitExited(dir, target, 5000);
      out(`killed ${target} (SIGKILL)`);
      return;
    }
    case 'start': {
      const s = upState(dir);
      if (!name) throw new Usage('start needs a process name');
      if (runningPid(dir, name)) throw new Usage(`${name} already runs`);
      if (s.gateways.some((g) => g.name === name)) {
        const { gateway, index } = gatewayByName(s, name);
        startGateway(s, gateway);
        await waitGatewayReady(s, gateway);
        if (runningPid(dir, 'readiness-poller')) {
          await waitFor(`${name} routed by nginx`, s.readiness.periodSeconds * 3000 + 10_000, () => routedGateways(dir).includes(index));
        }
      } else if ([...s.redis, ...s.sentinels].some((n) => n.name === name)) {
        startRedisNode(s, name);
      } else {
        throw new Usage(`start knows gateways, Redis nodes and sentinels, not "${name}"`);
      }
      out(`started ${name}`);
      return;
    }
    default:
      throw new Usage('usage: scripts/stage/stage up|down|status|roll <gateway>|kill <name>|start <name>');
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`stage: ${err.message}\n`);
    process.exit(err instanceof Usage ? 2 : 1);
  },
);
