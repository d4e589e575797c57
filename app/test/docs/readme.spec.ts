import { readFileSync } from 'node:fs';
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

  it('should list every client event of the contract in the events table', () => {
    const contract = readFileSync(join(ROOT, 'app', 'src', 'contracts', 'events.ts'), 'utf8');
    const block = contract.slice(contract.indexOf('export const CLIENT_EVENTS'), contract.indexOf('] as const'));
    const events = [...block.matchAll(/'([a-z]+:[a-z_]+)'/g)].map((m) => m[1]);
    expect(events.length).toBeGreaterThan(10);
    expect(events.filter((e) => !readme.includes(`\`${e}\``))).toEqual([]);
  });

  it('should quote the two quick-start commands that exist in the Makefile', () => {
    const makefile = readFileSync(join(ROOT, 'Makefile'), 'utf8');
    expect(readme).toMatch(/make run\s+#/);
    expect(readme).toMatch(/make test\s+#/);
    expect(makefile).toMatch(/^run:/m);
    expect(makefile).toMatch(/^test:/m);
  });
});
