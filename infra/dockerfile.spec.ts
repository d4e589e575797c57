/**
 * Static checks of the image definition (no Docker engine here): multi-stage Node slim (.nvmrc),
 * production dependencies only, non-root, read-only-root friendly, signals reaching node, and
 * the ops/smoke CLIs inside.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

interface Instruction {
  op: string;
  args: string;
}

interface Stage {
  from: string;
  name?: string;
  body: Instruction[];
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const logical = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  return logical
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

function stages(ins: Instruction[]): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const out: Stage[] = [];
  for (const i of ins) {
    if (i.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args)!;
      out.push({ from: m[1].replace(/^\$\{(\w+)\}$/, (_, a) => args[a] ?? _), name: m[2], body: [] });
    } else if (out.length === 0 && i.op === 'ARG') {
      const [k, v] = i.args.split('=');
      args[k] = v;
    } else if (out.length) {
      out[out.length - 1].body.push(i);
    }
  }
  return { args, stages: out };
}

const dockerfile = stages(instructions(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')));
const runtime = dockerfile.stages[dockerfile.stages.length - 1];
const ops = (s: Stage, op: string) => s.body.filter((i) => i.op === op);

describe('Dockerfile', () => {
  it('should build in several stages, all from the slim image of the exact Node the tests run on (.nvmrc)', () => {
    const nvmrc = readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim();
    expect(nvmrc).toMatch(/^\d+\.\d+\.\d+$/);
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const s of dockerfile.stages) expect(s.from).toMatch(new RegExp(`^node:${nvmrc.replace(/\./g, '\\.')}-(bookworm-|trixie-)?slim(@sha256:[a-f0-9]{64})?$`));
  });

  it('should require that Node major in engines.node, with matching @types/node', () => {
    const major = readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim().split('.')[0];
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.engines.node).toBe(`^${major}.0.0`);
    expect(pkg.devDependencies['@types/node'].split('.')[0]).toBe(major);
  });

  it('should ship only production dependencies, installed from the lockfile', () => {
    const copied = ops(runtime, 'COPY').find((c) => /node_modules/.test(c.args))!;
    const source = dockerfile.stages.find((s) => s.name === /--from=(\S+)/.exec(copied.args)![1])!;
    expect(ops(source, 'RUN').map((r) => r.args).join('\n')).toMatch(/npm ci --omit=dev/);
    expect(ops(source, 'COPY').map((c) => c.args).join('\n')).toContain('package-lock.json');
  });

  it('should run as a non-root numeric user in the final stage', () => {
    const users = ops(runtime, 'USER');
    expect(users).toHaveLength(1);
    const uid = Number(users[0].args.split(':')[0]);
    expect(Number.isInteger(uid) && uid > 0).toBe(true);
    const afterUser = runtime.body.slice(runtime.body.findIndex((i) => i.op === 'USER'));
    expect(afterUser.filter((i) => i.op === 'RUN')).toEqual([]);
  });

  it('should need nothing writable but /tmp (read-only root filesystem)', () => {
    expect(ops(runtime, 'VOLUME')).toEqual([]);
    expect(ops(runtime, 'ENV').map((e) => e.args).join(' ')).toMatch(/HOME=\/tmp/);
  });

  it('should start node in exec form so SIGTERM reaches it (through tini)', () => {
    const cmd = JSON.parse(ops(runtime, 'CMD').at(-1)!.args);
    const entrypoint = JSON.parse(ops(runtime, 'ENTRYPOINT').at(-1)!.args);
    expect(entrypoint).toEqual(['/usr/bin/tini', '--']);
    expect(ops(runtime, 'RUN').map((r) => r.args).join('\n')).toMatch(/apt-get install .*\btini\b/);
    expect(cmd).toEqual(['node', 'dist/app/src/main.js']);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.start).toBe(cmd.join(' '));
    expect(ops(runtime, 'STOPSIGNAL').map((s) => s.args)).toEqual(['SIGTERM']);
  });

  it('should set NODE_ENV=production, which makes a start without ENGINE and Redis a configuration error (fail closed)', () => {
    expect(ops(runtime, 'ENV').map((e) => e.args).join(' ')).toMatch(/(^|\s)NODE_ENV=production(\s|$)/);
    expect(ops(runtime, 'ENV').map((e) => e.args).join(' ')).not.toMatch(/(^|\s)ENGINE=/);
  });

  it('should expose the public, server API and metrics ports the chart and the app use', () => {
    expect(ops(runtime, 'EXPOSE').flatMap((e) => e.args.split(/\s+/))).toEqual(['3000', '3001', '9464']);
  });

  it('should contain the compiled app, package.json (build info) and the ops and smoke CLIs', () => {
    const copies = ops(runtime, 'COPY').map((c) => c.args);
    expect(copies).toEqual(expect.arrayContaining([expect.stringMatching(/--from=\S+ \/src\/dist \.\/dist/), 'package.json ./', 'bin ./bin']));
    expect(ops(runtime, 'WORKDIR').map((w) => w.args)).toEqual(['/app']);
  });
});

describe('bin/ops and bin/smoke', () => {
  it.each([
    ['ops', 'dist/app/src/ops/ops.cli.js'],
    ['smoke', 'dist/app/src/client/smoke.cli.js'],
  ])('bin/%s should be an executable POSIX sh wrapper that execs node on %s', (name, target) => {
    const file = path.join(ROOT, 'bin', name);
    accessSync(file, constants.X_OK);
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe('#!/bin/sh');
    expect(text).toContain(`exec node "$(dirname "$0")/../${target}" "$@"`);
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('should keep local builds, dependencies, git and secrets out of the context', () => {
    expect(lines).toEqual(expect.arrayContaining(['**/node_modules', 'dist', 'tmp', '.git', '.env']));
  });

  it('should keep what the build needs', () => {
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'app', 'app/src', 'bin', 'scripts']) expect(lines).not.toContain(needed);
  });
});
