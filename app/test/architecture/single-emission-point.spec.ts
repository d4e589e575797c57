import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const SRC = join(__dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'client' || name === 'demo' ? [] : sources(p);
    return p.endsWith('.ts') && !p.endsWith('.spec.ts') ? [p] : [];
  });
}

/** Room emits: `.to(...)`, `.in(...)`, `.except(...)`, `.local`, `.volatile`, `.broadcast` followed by an emit. */
const ROOM_EMIT = /\.(to|in|except)\([^)]*\)[\s\S]{0,80}?\.emit\(|\.(local|broadcast|volatile)\b[\s\S]{0,80}?\.emit\(|\bserver\.emit\(|\bnsp\.emit\(/;

/** Direct emits on one socket: `socket.emit(`, `client.emit(`. */
const SOCKET_EMIT = /\b(socket|client)\.emit\(/;

describe('architecture', () => {
  it('should emit to rooms only from the Broadcaster (the single emission point)', () => {
    const offenders = sources(SRC)
      .filter((f) => !f.endsWith(join('socket', 'broadcaster.ts')))
      .filter((f) => ROOM_EMIT.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });

  it('should find the room emits of the Broadcaster itself (the check can fail)', () => {
    expect(ROOM_EMIT.test(readFileSync(join(SRC, 'socket', 'broadcaster.ts'), 'utf8'))).toBe(true);
  });

  it('should emit to single sockets only from the Broadcaster too (socket.emit)', () => {
    const offenders = sources(SRC)
      .filter((f) => !f.endsWith(join('socket', 'broadcaster.ts')))
      .filter((f) => SOCKET_EMIT.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
    expect(SOCKET_EMIT.test(readFileSync(join(SRC, 'socket', 'broadcaster.ts'), 'utf8'))).toBe(true);
  });

  it('should not let callers ask which engine they have (engine.kind, engine classes, adapter class names)', () => {
    const asks = /\bengine\.kind\s*[!=]==|\.kind\s*[!=]==\s*'(memory|redis)'|config\.engine\s*[!=]==|instanceof\s+(Redis|Memory)\w*|constructor\.name/;
    const offenders = sources(SRC)
      // The engine implementations and their factory are the ones allowed to know.
      .filter((f) => !f.includes(`${join('src', 'engine')}`))
      .filter((f) => asks.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
    expect(asks.test("if (engine.kind === 'redis')")).toBe(true);
    expect(asks.test('adapter.constructor.name')).toBe(true);
  });

  it('should say why wherever a failure is dropped on purpose (.catch(() => undefined), an empty catch block)', () => {
    const silent = /\.catch\(\(\) => (undefined|null|\{\s*\})\)|,\s*\(\) => undefined\)|catch\s*(\([^)]*\))?\s*\{\s*\}/;
    const unexplained: string[] = [];
    for (const f of sources(SRC)) {
      const lines = readFileSync(f, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (!silent.test(line)) return;
        // The reason sits on the line itself or in the comment just above it.
        const near = lines.slice(Math.max(0, i - 4), i + 1).join('\n');
        if (!/\/\/|\/\*/.test(near)) unexplained.push(`${relative(SRC, f)}:${i + 1}`);
      });
    }
    expect(unexplained).toEqual([]);
    expect(silent.test('x.catch(() => undefined);')).toBe(true);
  });

  it('should keep gateways thin: few dependencies, and no room, user or timer work of their own', () => {
    const offenders = sources(SRC)
      .filter((f) => f.endsWith('.gateway.ts'))
      .filter((f) => {
        const text = readFileSync(f, 'utf8');
        const ctor = /constructor\(([\s\S]*?)\)\s*\{\}/.exec(text)?.[1] ?? '';
        const deps = (ctor.match(/private readonly|readonly \w+:/g) ?? []).length;
        return deps > 5 || /\bsocket\.(join|leave)\(|socket\.data\.user\s*=|\.track\(/.test(text);
      })
      .map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });

  it('should keep services free of sockets', () => {
    const offenders = sources(SRC)
      .filter((f) => f.endsWith('.service.ts'))
      .filter((f) => /from 'socket\.io'|:\s*Socket\b(?!Context)/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });

  it('should read process.env only in the config module', () => {
    const offenders = sources(SRC)
      // CLIs (ops, smoke, dev tokens) are separate programs with their own environment; tracing reads OTEL_*.
      .filter((f) => !f.includes(join('config', 'config.ts')) && !f.includes(`${join('src', 'tools')}`) && !f.endsWith('.cli.ts') && !f.includes('tracing'))
      .filter((f) => /process\.env/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });
});
