/**
 * The `helm install`/`upgrade` commands the chart README and the runbooks give for the gateway
 * chart, run as written (placeholders filled) against the real helm binary: a shim turns them into
 * `helm template` (no cluster here), and what they would install must pass the schemas and policies.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, helmBinary, parseManifests } from './test/helm';
import { schemaErrors } from './test/k8s-schema';
import { hardeningViolations, publicSurfaceViolations, selectorViolations } from './test/policies';
import { runbookCommands } from '../app/test/deploy/support/documented-commands';

interface Command {
  where: string;
  command: string;
}

/** What a reader types for each placeholder. */
const PLACEHOLDERS: Record<string, string> = { '<your-values.yaml>': 'helm/socket-gateway/ci/gateway-api-standalone-redis.yaml', '<version>': '0.1.0' };
const INSTALLS_GATEWAY_CHART = /^helm\b.*\b(upgrade|install)\b.*\shelm\/socket-gateway(\s|$)/;

function readmeCommands(file: string): Command[] {
  const out: Command[] = [];
  let inShell = false;
  let pending = '';
  readFileSync(path.join(REPO_ROOT, file), 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (/^\s*```/.test(line)) {
        inShell = !inShell && /```(sh|bash)/.test(line);
        return;
      }
      if (!inShell) return;
      pending += line.trim();
      if (pending.endsWith('\\')) {
        pending = `${pending.slice(0, -1).trim()} `;
        return;
      }
      if (INSTALLS_GATEWAY_CHART.test(pending)) out.push({ where: `${file}:${i + 1}`, command: pending });
      pending = '';
    });
  return out;
}

const documented = [...readmeCommands('helm/socket-gateway/README.md'), ...readmeCommands('infra/README.md'), ...runbookCommands((command) => INSTALLS_GATEWAY_CHART.test(command))];

describe('documented helm install and upgrade commands of the gateway chart', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sg-helm-docs-'));
    symlinkSync(path.join(__dirname, 'test/helm-shim.js'), path.join(dir, 'helm'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should find the README install and the runbooks\' upgrade commands', () => {
    expect(documented.map((c) => c.where.split(':')[0])).toEqual(expect.arrayContaining(['helm/socket-gateway/README.md', 'runbooks/deploy-and-rollback.md', 'runbooks/SocketGatewayDown.md']));
  });

  it.each(documented.map((c) => [`${c.where}: ${c.command}`, c] as const))('should render %s into objects that pass the schemas and policies', async (_name, c) => {
    let local = c.command;
    for (const [k, v] of Object.entries(PLACEHOLDERS)) local = local.split(k).join(v);
    expect(local).not.toMatch(/<[a-z-.]+>/i);
    const r = spawnSync('bash', ['-c', local], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 << 20, env: { PATH: `${dir}:${process.env.PATH}`, REAL_HELM: helmBinary(), HOME: process.env.HOME ?? dir } });
    expect(r.status === 0 ? 'exit 0' : `${c.where}: ${local}\nexit ${r.status}\n${r.stderr}`).toBe('exit 0');
    const objs = parseManifests(r.stdout);
    expect(objs.some((o) => o.kind === 'Deployment' && o.metadata.namespace === 'socket-gateway' && o.metadata.name === 'socket-gateway')).toBe(true);
    expect(await schemaErrors(objs)).toEqual([]);
    expect([...publicSurfaceViolations(objs), ...selectorViolations(objs), ...hardeningViolations(objs)]).toEqual([]);
  }, 60_000);
});
