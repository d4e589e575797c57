import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const run = (cmd: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

/**
 * The registry audit itself needs the network, so it runs as `scripts/audit.sh` (`make audit`
 * in CI), never inside the test command. Here: the production tree is whole, and the script's
 * decisions (pass, fail on an unlisted finding, honour a documented exception, never pass when
 * the audit endpoint is unreachable) are checked on saved reports.
 */
describe('dependency audit', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'sg-audit-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const report = (vulnerabilities: Record<string, unknown>) => {
    const counts = { info: 0, low: 0, moderate: 0, high: 0, critical: 0 } as Record<string, number>;
    for (const v of Object.values(vulnerabilities) as Array<{ severity: string }>) counts[v.severity]++;
    const file = join(dir, `report-${Object.keys(vulnerabilities).join('-') || 'clean'}.json`);
    writeFileSync(file, JSON.stringify({ auditReportVersion: 2, vulnerabilities, metadata: { vulnerabilities: counts } }));
    return file;
  };
  const vuln = (name: string, severity: string, ghsa: string) => ({
    [name]: { name, severity, range: '<9.9.9', via: [{ source: 1, name, title: 'bad', url: `https://github.com/advisories/${ghsa}`, severity }], fixAvailable: true },
  });

  it('should find the production dependency tree complete and consistent (npm ls --omit=dev)', () => {
    const r = run('npm', ['ls', '--omit=dev', '--all', '--json']);
    const tree = JSON.parse(r.stdout);
    expect(tree.problems ?? []).toEqual([]);
    expect(r.status).toBe(0);
    expect(Object.keys(tree.dependencies)).toEqual(expect.arrayContaining(['socket.io', '@nestjs/core', 'jose', 'ioredis', 'zod']));
  });

  it('should fail on an unlisted high or critical finding, and pass on moderate ones', () => {
    const bad = run('bash', ['scripts/audit.sh'], { AUDIT_JSON: report({ ...vuln('evil-pkg', 'critical', 'GHSA-aaaa-bbbb-cccc'), ...vuln('meh-pkg', 'moderate', 'GHSA-1111-2222-3333') }) });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/critical evil-pkg@<9\.9\.9 GHSA-aaaa-bbbb-cccc/);
    expect(bad.stderr).not.toMatch(/meh-pkg/);
    const ok = run('bash', ['scripts/audit.sh'], { AUDIT_JSON: report(vuln('meh-pkg', 'moderate', 'GHSA-1111-2222-3333')) });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/0 critical, 0 high, 1 moderate/);
  });

  it('should accept a high finding only when the exceptions table lists it with a reason', () => {
    const policy = join(dir, 'SECURITY.md');
    writeFileSync(policy, '# Security\n\n## Audit exceptions\n\n| advisory | package | severity | reason |\n|---|---|---|---|\n| GHSA-aaaa-bbbb-cccc | evil-pkg | high | only reachable through an upload route we do not mount |\n\n## Other\n| GHSA-zzzz-zzzz-zzzz | other-pkg | high | not the exceptions table |\n');
    const listed = run('bash', ['scripts/audit.sh'], { AUDIT_JSON: report(vuln('evil-pkg', 'high', 'GHSA-aaaa-bbbb-cccc')), AUDIT_POLICY: policy });
    expect(listed.status).toBe(0);
    const elsewhere = run('bash', ['scripts/audit.sh'], { AUDIT_JSON: report(vuln('other-pkg', 'high', 'GHSA-zzzz-zzzz-zzzz')), AUDIT_POLICY: policy });
    expect(elsewhere.status).toBe(1);
  });

  it('should never pass when the audit endpoint cannot be asked', () => {
    const file = join(dir, 'unreachable.json');
    writeFileSync(file, JSON.stringify({ message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405 }));
    const r = run('bash', ['scripts/audit.sh'], { AUDIT_JSON: file });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/UNAVAILABLE.*405/);
  });

  it('should give every documented exception in SECURITY.md a reason', () => {
    const section = readFileSync(join(ROOT, 'SECURITY.md'), 'utf8').split(/^## /m).find((s) => s.startsWith('Audit exceptions'));
    expect(section).toBeDefined();
    const rows = section!.split('\n').filter((l) => /^\|\s*(GHSA-|[a-z@])/.test(l) && !/^\|\s*advisory\s*\|/.test(l));
    for (const row of rows) expect(row.split('|').map((c) => c.trim())[4]?.length ?? 0).toBeGreaterThan(20);
  });
});
