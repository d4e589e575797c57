import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { schemas } from '../../src/contracts/schemas';
import { Broadcaster } from '../../src/socket/broadcaster';
import { EventDispatcher } from '../../src/socket/event-dispatcher';
import { startTestGateway } from '../support/gateway';
import { call, closeAll, connect } from '../support/clients';
import { signToken } from '../support/tokens';

const SRC = join(__dirname, '..', '..', 'src');
const NODE_MODULES = join(__dirname, '..', '..', '..', 'node_modules');

function files(dir: string, keep: (p: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p, keep) : keep(p) ? [p] : [];
  });
}

describe(EventDispatcher.name, () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;

  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterEach(() => closeAll());
  afterAll(() => gw.close());

  it('should bind a handler for every event of the contract once, at start-up', () => {
    expect(gw.app.get(EventDispatcher).events()).toEqual(Object.keys(schemas).sort());
  });

  it('should give an authenticated socket exactly one onAny listener and no per-event listeners', async () => {
    const client = await connect(gw.url, await signToken({ sub: 'listener-count', channels: ['*'] }));
    // Handlers must still run through that one listener.
    expect((await call(client, 'channel:join', { channelId: 'listeners' })).ok).toBe(true);
    const sockets = [...gw.app.get(Broadcaster).localSockets()];
    expect(sockets).toHaveLength(1);
    const [socket] = sockets;
    expect(socket.listenersAny()).toHaveLength(1);
    // Left: the connection gateway's `disconnecting` cleanup and Socket.IO's own no-op `error`
    // listener, each one function shared by every socket (next test).
    const perEvent = socket.eventNames().filter((e) => socket.listeners(e as never).length > 0);
    expect(perEvent.map(String).sort()).toEqual(['disconnecting', 'error']);
    expect(Object.keys(schemas).some((event) => socket.listeners(event as never).length > 0)).toBe(false);
  });

  it('should share the one listener between sockets (no closure per socket)', async () => {
    await connect(gw.url, await signToken({ sub: 'shared-a' }));
    await connect(gw.url, await signToken({ sub: 'shared-b' }));
    const [a, b] = [...gw.app.get(Broadcaster).localSockets()];
    expect(a.listenersAny()[0]).toBe(b.listenersAny()[0]);
    for (const event of a.eventNames()) expect(a.listeners(event as never)).toEqual(b.listeners(event as never));
  });

  it('should reassign no prototype of a framework class anywhere in the app', () => {
    const assignment = /\.prototype\.[A-Za-z_$][\w$]*\s*=(?!=)/;
    // The check can fail (the sample is assembled so that this file does not match it itself).
    expect(assignment.test(['Widget', 'prototype', 'render = function () {}'].join('.'))).toBe(true);
    const offenders = files(SRC, (p) => p.endsWith('.ts'))
      .filter((f) => assignment.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });

  it('should import no private module of Nest or Socket.IO (only their package entry points)', () => {
    const deep = /from '(@nestjs\/[a-z-]+|socket\.io)\/[^']+'/;
    const offenders = files(SRC, (p) => p.endsWith('.ts'))
      .filter((f) => deep.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
    // The check can fail: Nest's own packages reach into each other this way.
    expect(deep.test(readFileSync(join(NODE_MODULES, '@nestjs', 'websockets', 'web-sockets-controller.d.ts'), 'utf8'))).toBe(true);
  });
});
