import { existsSync } from 'node:fs';
import { COMMANDS } from '../app/src/ops/ops.commands';
import { join } from 'node:path';
import { DEFAULT_RUNBOOK_BASE_URL } from '../alerts/lib/runbook-url';
import { alertingRules, alertNames } from '../alerts/lib/rules';
import { markdownPages, opsCommands, PROCEDURES, quotedCommands, readPage, RUNBOOKS_DIR } from './lib/runbook-pages';

const alerts = alertNames();
const pages = markdownPages();
const quoted = pages.flatMap((p) => quotedCommands(p));
const cli = opsCommands();

describe('runbooks', () => {
  it.each(alerts)('should have a page for %s with Meaning, Impact, Diagnosis, Mitigation and Escalation', (alert) => {
    const file = `${alert}.md`;
    expect(pages).toContain(file);
    const text = readPage(file);
    expect(text.split('\n')[0]).toBe(`# ${alert}`);
    const headings = text.split('\n').filter((l) => l.startsWith('## '));
    expect(headings).toEqual(['## Meaning', '## Impact', '## Diagnosis', '## Mitigation', '## Escalation']);
    const lines = text.trimEnd().split('\n').length;
    expect(lines).toBeGreaterThanOrEqual(20);
    expect(lines).toBeLessThanOrEqual(60);
  });

  it.each(alertingRules().map((r) => [r.alert, r.labels.severity, r.annotations.runbook_url] as const))(
    'should resolve the runbook_url of %s (%s) to a file',
    (_alert, _severity, url) => {
      expect(url.startsWith(DEFAULT_RUNBOOK_BASE_URL)).toBe(true);
      const file = url.slice(DEFAULT_RUNBOOK_BASE_URL.length);
      expect(existsSync(join(RUNBOOKS_DIR, file)) ? file : `missing runbooks/${file}`).toBe(file);
    },
  );

  it.each([...PROCEDURES])('should have the %s procedure', (procedure) => {
    expect(pages).toContain(`${procedure}.md`);
    expect(readPage(`${procedure}.md`).split('\n')[0]).toMatch(/^# \S/);
  });

  it('should list every page, and only existing pages, in the README index', () => {
    const readme = readPage('README.md');
    const linked = [...readme.matchAll(/\]\(\.\/([^)]+\.md)\)/g)].map((m) => m[1]);
    expect([...new Set(linked)].sort()).toEqual(pages.filter((p) => p !== 'README.md'));
  });

  it('should have no page that is neither an alert, a procedure nor the index', () => {
    const known = new Set([...alerts, ...PROCEDURES, 'README'].map((n) => `${n}.md`));
    expect(pages.filter((p) => !known.has(p))).toEqual([]);
  });

  it('should list in ops-commands.json exactly the ops CLI commands and flags (no --dry-run where the CLI refuses it)', () => {
    const fromCli = Object.fromEntries(
      COMMANDS.map((c) => [c.name, [...new Set(c.usage.match(/--[a-z-]+/g) ?? [])].filter((f) => f !== '--dry-run' || c.mutating).sort()]),
    );
    const fromJson = Object.fromEntries(Object.entries(cli.ops).map(([name, spec]) => [name, [...spec.flags].sort()]));
    expect(fromJson).toEqual(fromCli);
  });

  it('should say where the token comes from wherever a page quotes a smoke test', () => {
    // The in-pod command mints its own token on HS256 installs; through the public route (or under
    // JWKS) on-call needs one granting smoke-* channels, and at 3 a.m. must not have to guess.
    const smokePages = [...new Set(quoted.filter((q) => q.tool === 'smoke').map((q) => q.file))];
    expect(smokePages.length).toBeGreaterThan(3);
    const silent = smokePages.filter((file) => {
      const text = readPage(file);
      const needsToken = quoted.some((q) => q.file === file && q.tool === 'smoke' && q.args.includes('--token'));
      const inPod = /\/app\/bin\/smoke/.test(text);
      return (needsToken && !/smoke-\*/.test(text)) || (inPod && !/mints/.test(text));
    });
    expect(silent).toEqual([]);
  });

  it('should quote ops commands in many pages', () => {
    expect(quoted.filter((q) => q.tool === 'ops').length).toBeGreaterThan(30);
  });

  it('should quote only ops commands, flags and jobs that exist', () => {
    const problems: string[] = [];
    for (const q of quoted) {
      const where = `${q.file}:${q.line}`;
      if (q.tool === 'smoke') {
        for (const flag of q.args.filter((a) => a.startsWith('--'))) {
          if (!cli.smoke.flags.includes(flag)) problems.push(`${where}: smoke has no ${flag}`);
        }
        continue;
      }
      const spec = cli.ops[q.command];
      if (!spec) {
        problems.push(`${where}: no ops command "${q.command}"`);
        continue;
      }
      for (const flag of q.args.filter((a) => a.startsWith('--'))) {
        if (!spec.flags.includes(flag)) problems.push(`${where}: ops ${q.command} has no ${flag}`);
      }
      const job = q.args[0];
      // A placeholder such as <job> stands for any job.
      if (q.command === 'run-maintenance' && job && !/^(--|<)/.test(job) && !cli.maintenanceJobs.includes(job)) {
        problems.push(`${where}: no maintenance job "${job}"`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('should name the namespace in every namespaced kubectl command', () => {
    const problems: string[] = [];
    for (const page of pages) {
      readPage(page)
        .split('\n')
        .forEach((line, i) => {
          // Node-scoped commands have no namespace; everything else must name one.
          for (const m of line.matchAll(/`(kubectl (?!cordon|uncordon|drain|get nodes|describe node)[^`]*)`/g)) {
            // monitoring: where Alertmanager runs (silences).
            if (!/ -n (socket-gateway|ingress-nginx|monitoring)\b/.test(m[1]) && !/ (--all-namespaces|-A)\b/.test(m[1])) {
              problems.push(`${page}:${i + 1}: kubectl without the chart's namespace: ${m[1]}`);
            }
          }
        });
    }
    expect(problems).toEqual([]);
  });
});

describe(quotedCommands.name, () => {
  it('should find ops and smoke commands in both quoting styles, with their arguments', () => {
    const text = [
      'Run `kubectl -n socket-gateway exec deploy/socket-gateway -- /app/bin/ops block-ip 10.0.0.0/8 --ttl 60 --dry-run` first.',
      'Locally: `npm run ops -- no-such-command --force`, then `npm run smoke -- --url http://x --token t`.',
    ].join('\n');
    expect(quotedCommands('example.md', text)).toEqual([
      { file: 'example.md', line: 1, tool: 'ops', command: 'block-ip', args: ['10.0.0.0/8', '--ttl', '60', '--dry-run'] },
      { file: 'example.md', line: 2, tool: 'ops', command: 'no-such-command', args: ['--force'] },
      { file: 'example.md', line: 2, tool: 'smoke', command: '', args: ['--url', 'http://x', '--token', 't'] },
    ]);
  });
});
