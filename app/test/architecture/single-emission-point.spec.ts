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

  it('should not let callers ask which engine they have (engine.kind, adapter class names)', () => {
    const offenders = sources(SRC)
      // gateway-io.adapter.ts is being rewritten by the runtime upgrade; Engine.createAdapterClients() is its replacement.
      .filter((f) => !f.endsWith(join('socket', 'gateway-io.adapter.ts')))
      .filter((f) => /\bengine\.kind\s*[!=]==|constructor\.name/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
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
