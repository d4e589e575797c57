import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const renovate = JSON.parse(readFileSync(join(ROOT, 'renovate.json'), 'utf8')) as {
  packageRules: Array<{ groupName?: string; matchPackageNames: string[]; allowedVersions?: string }>;
};

/** The README section between `## Dependencies` and the next `## `. */
function section(): string {
  const start = readme.indexOf('## Dependencies');
  expect(start).toBeGreaterThan(0);
  return readme.slice(start, readme.indexOf('\n## ', start + 1));
}

describe('dependencies', () => {
  it('should explain every runtime dependency in the README and list none that is not one', () => {
    const named = new Set([...section().split('Held back')[0].matchAll(/`(@?[a-z0-9./-]+)`/g)].map((m) => m[1]));
    const runtime = Object.keys(pkg.dependencies);
    expect(runtime.filter((d) => !named.has(d))).toEqual([]);
    expect([...named].filter((n) => n.includes('/') || /^[a-z]/.test(n)).filter((n) => !runtime.includes(n) && !n.endsWith('.json'))).toEqual([]);
  });

  it('should pin every dependency to an exact version', () => {
    const ranges = Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }).filter(([, v]) => !/^\d+\.\d+\.\d+$/.test(v));
    expect(ranges).toEqual([]);
  });

  it('should hold back exactly the packages the README names, at the versions it gives', () => {
    const heldInReadme = [...section().split('Held back')[1].matchAll(/^\| `([^`]+)` \| ([0-9.]+)/gm)].map((m) => [m[1], m[2]]);
    const heldInRenovate = renovate.packageRules.filter((r) => r.allowedVersions).map((r) => r.matchPackageNames[0]);
    expect(heldInReadme.map(([name]) => name).sort()).toEqual(heldInRenovate.sort());
    for (const [name, version] of heldInReadme) expect({ ...pkg.dependencies, ...pkg.devDependencies }[name]).toBe(version);
  });

  it('should group NestJS, OpenTelemetry, Pulumi and the test tooling for updates', () => {
    const groups = Object.fromEntries(renovate.packageRules.filter((r) => r.groupName).map((r) => [r.groupName, r.matchPackageNames]));
    expect(groups.nestjs).toEqual(['@nestjs/**']);
    expect(groups.opentelemetry).toEqual(['@opentelemetry/**']);
    expect(groups.pulumi).toEqual(['@pulumi/**']);
    expect(groups['test tooling']).toEqual(expect.arrayContaining(['jest', '@swc/jest', 'playwright-core']));
  });

  it('should run on the Node major .nvmrc pins, and say in the README which version that is', () => {
    const nvmrc = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();
    expect(readme).toContain(`the last full run was on Node v${nvmrc}`);
    // Another OS may bring another patch release of the same major (README "Quick start").
    expect(process.versions.node.split('.')[0]).toBe(nvmrc.split('.')[0]);
  });
});
