import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('should document every environment variable the config module reads', () => {
    const config = ['config.ts', 'redis-config.ts'].map((f) => readFileSync(join(ROOT, 'app', 'src', 'config', f), 'utf8')).join('\n');
    const names = [...config.matchAll(/r\.(?:int|raw|bool|list|oneOf|url)\('([A-Z_]+)'/g)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(30);
    const undocumented = [...new Set(names)].filter((n) => !readme.includes(`| \`${n}\``));
    expect(undocumented).toEqual([]);
  });

  it('should state the default the config module has for every numeric, boolean and choice variable', () => {
    const config = ['config.ts', 'redis-config.ts'].map((f) => readFileSync(join(ROOT, 'app', 'src', 'config', f), 'utf8')).join('\n');
    const documented = new Map<string, string>();
    // The configuration table comes first; later tables (Redis topologies) reuse some names.
    for (const m of readme.matchAll(/^\| `([A-Z_]+)` \| ([^|]*) \|/gm)) if (!documented.has(m[1])) documented.set(m[1], m[2].trim());
    // Read only when set: API_PORT's 0 (unset, the API shares PORT) and ENGINE's 'redis' (unset, derived), as the README says.
    const conditional = new Set(['API_PORT', 'ENGINE']);
    const found = [...config.matchAll(/r\.(int|bool|oneOf)(?:<[^>]*>)?\('([A-Z_]+)', ([^,)]+)[,)]/g)].filter((m) => !conditional.has(m[2]));
    expect(found.length).toBeGreaterThan(40);
    const wrong = found.flatMap(([, kind, name, literal]) => {
      const value = kind === 'oneOf' ? literal.trim().replace(/^'|'$/g, '') : kind === 'bool' ? literal.trim() : String(literal.replace(/_/g, '').split('*').reduce((a, b) => a * Number(b), 1));
      return documented.get(name) === `\`${value}\`` ? [] : [`${name}: code ${value}, README ${documented.get(name)}`];
    });
    expect(wrong).toEqual([]);
  });

  it('should list every client event of the contract in the events table', () => {
    const contract = readFileSync(join(ROOT, 'app', 'src', 'contracts', 'events.ts'), 'utf8');
    const block = contract.slice(contract.indexOf('export const CLIENT_EVENTS'), contract.indexOf('] as const'));
    const events = [...block.matchAll(/'([a-z]+:[a-z_]+)'/g)].map((m) => m[1]);
    expect(events.length).toBeGreaterThan(10);
    expect(events.filter((e) => !readme.includes(`\`${e}\``))).toEqual([]);
  });

  it('should list RATE_LIMITED among the errors of every client event (each has a bucket, see event-limits.spec.ts)', () => {
    const contract = readFileSync(join(ROOT, 'app', 'src', 'contracts', 'events.ts'), 'utf8');
    const block = contract.slice(contract.indexOf('export const CLIENT_EVENTS'), contract.indexOf('] as const'));
    const events = [...block.matchAll(/'([a-z]+:[a-z_]+)'/g)].map((m) => m[1]);
    const rows = readme.split('\n').filter((l) => /^\| `[a-z]+:[a-z_]+`/.test(l));
    const unlimited = events.filter((e) => !rows.some((r) => r.startsWith(`| \`${e}\``) || r.includes(`/ \`${e}\` |`) ? r.includes('`RATE_LIMITED`') : false));
    expect(unlimited).toEqual([]);
  });

  it('should quote the two quick-start commands that exist in the Makefile', () => {
    const makefile = readFileSync(join(ROOT, 'Makefile'), 'utf8');
    expect(readme).toMatch(/make run\s+#/);
    expect(readme).toMatch(/make test\s+#/);
    expect(makefile).toMatch(/^run:/m);
    expect(makefile).toMatch(/^test:/m);
  });

  it('should name in SECURITY.md only test files that exist', () => {
    const security = readFileSync(join(ROOT, 'SECURITY.md'), 'utf8');
    const named = [...security.matchAll(/`((?:app|scripts)\/[\w./-]+\.(?:ts|sh))`/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((f) => !existsSync(join(ROOT, f)))).toEqual([]);
  });
});
