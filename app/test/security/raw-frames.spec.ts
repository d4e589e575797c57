import { ERROR_CODES } from '../../src/contracts/events';
import { GatewayChild } from '../support/gateway-child';
import { call, closeAll, connect, next } from '../support/clients';
import { signToken } from '../support/tokens';
import { prng } from './fuzz-payloads';
import { RawClient, type Frame } from './raw-client';

const LIMIT = 64 * 1024;
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const RANDOM_FRAMES = 20_000;
const RANDOM_MS = 15_000;

/**
 * What the protocol requires after a frame: `close` (Engine.IO/Socket.IO must drop the
 * connection: parse errors, invalid state, oversized frames), `open` (harmless: the connection
 * must still answer an ack round trip), or `either` (both are correct; only the process matters).
 */
type Expect = 'close' | 'open' | 'either';
interface Case { name: string; frames: Frame[]; expect: Expect; answer?: RegExp }

const nest = (depth: number, inner: string) => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
const placeholder = '{"_placeholder":true,"num":0}';

/** Frames sent right after the Engine.IO open packet, before any namespace is joined. */
const BEFORE_CONNECT: Case[] = [
  { name: 'garbage text', frames: ['hello world'], expect: 'close' },
  { name: 'an empty frame', frames: [''], expect: 'close' },
  { name: 'an unknown Engine.IO packet type', frames: ['9'], expect: 'close' },
  { name: 'an empty Socket.IO packet', frames: ['4'], expect: 'close' },
  { name: 'an unknown Socket.IO packet type', frames: ['4x'], expect: 'close' },
  { name: 'an event before the namespace connect (events before auth)', frames: ['42["message:send",{"channelId":"raw","content":"x","clientMsgId":"pre-auth-1"}]'], expect: 'close' },
  { name: 'an ack before connect', frames: ['431[{"ok":true}]'], expect: 'close' },
  { name: 'a disconnect before connect', frames: ['41'], expect: 'close' },
  { name: 'a CONNECT_ERROR sent by the client', frames: ['44{"message":"x"}'], expect: 'close' },
  { name: 'a namespace connect with truncated JSON', frames: ['40{"token":"abc'], expect: 'close' },
  { name: 'a namespace connect with an array auth', frames: ['40[1,2]'], expect: 'close' },
  { name: 'a connect without a token', frames: ['40'], expect: 'open', answer: /^44\{"message":"AUTH_FAILED","data":\{"code":"AUTH_FAILED"/ },
  { name: 'a connect with a numeric token', frames: ['40{"token":123}'], expect: 'open', answer: /^44\{"message":"AUTH_FAILED"/ },
  { name: 'a connect with a huge token under the buffer limit', frames: [`40{"token":"${'a'.repeat(LIMIT - 100)}"}`], expect: 'open', answer: /^44\{"message":"AUTH_FAILED"/ },
  { name: 'a connect with __proto__ in the auth payload', frames: ['40{"__proto__":{"token":"x"},"constructor":{"prototype":{"token":"y"}}}'], expect: 'open', answer: /^44\{"message":"AUTH_FAILED"/ },
  { name: 'a connect to an unknown namespace (/admin)', frames: ['40/admin,'], expect: 'either', answer: /^44\/admin,\{"message":"Invalid namespace"\}/ },
  { name: 'a connect to a namespace path trick', frames: ['40/../admin,{"token":"x"}'], expect: 'either', answer: /^44\/\.\.\/admin,\{"message":"Invalid namespace"\}/ },
  { name: 'an Engine.IO close (ignored on WebSocket)', frames: ['1'], expect: 'either' },
  { name: 'a client ping (wrong heartbeat direction in v4)', frames: ['2'], expect: 'close' },
  { name: 'an unsolicited pong', frames: ['3'], expect: 'either' },
  { name: 'an upgrade packet on a WebSocket', frames: ['5'], expect: 'either' },
  { name: 'a noop packet', frames: ['6'], expect: 'either' },
  { name: 'a binary frame with no pending packet', frames: [Buffer.from([0x34, 0x32, 0xff, 0x00, 0x7b])], expect: 'close' },
  { name: 'an empty binary frame', frames: [Buffer.alloc(0)], expect: 'close' },
  { name: 'a text frame over the buffer limit', frames: [`42["message:send","${'x'.repeat(LIMIT + 10)}"]`], expect: 'close' },
  { name: 'a binary frame over the buffer limit', frames: [Buffer.alloc(LIMIT + 1, 0x41)], expect: 'close' },
];

/** Frames sent on a connection that joined the main namespace with a valid token. */
const AFTER_CONNECT: Case[] = [
  { name: 'garbage after a valid handshake', frames: ['garbage'], expect: 'close' },
  { name: 'message:send with truncated JSON', frames: ['42["message:send",{"channelId":"raw","content":"x"'], expect: 'close' },
  { name: 'message:send with a trailing comma', frames: ['42["message:send",{"channelId":"raw","content":"x",}]'], expect: 'close' },
  { name: 'message:send with a NaN literal', frames: ['421["message:send",{"channelId":"raw","content":NaN}]'], expect: 'close' },
  { name: 'an event packet without payload', frames: ['42'], expect: 'open' },
  { name: 'an empty event array', frames: ['42[]'], expect: 'close' },
  { name: 'an event object instead of an array', frames: ['42{"event":"message:send"}'], expect: 'close' },
  { name: 'a reserved event name (disconnect)', frames: ['42["disconnect"]'], expect: 'close' },
  { name: 'a reserved event name (newListener)', frames: ['42["newListener","message:send"]'], expect: 'close' },
  { name: 'a second namespace connect', frames: [`40{"token":"x"}`], expect: 'close' },
  { name: 'illegal attachment count', frames: ['45a-["channel:join",{}]'], expect: 'close' },
  { name: 'more attachments than allowed', frames: ['4511-["channel:join",{}]'], expect: 'close' },
  { name: 'a placeholder pointing past the attachments', frames: ['451-1["channel:join",{"_placeholder":true,"num":5}]', Buffer.from('x')], expect: 'close' },
  { name: 'a binary frame with no pending packet', frames: [Buffer.from('42["x"]')], expect: 'close' },
  { name: 'a text frame over the buffer limit', frames: [`421["message:send",{"channelId":"raw","content":"${'x'.repeat(LIMIT)}","clientMsgId":"raw-huge-1"}]`], expect: 'close' },
  { name: 'a binary attachment over the buffer limit', frames: ['451-1["channel:join",{"channelId":{"_placeholder":true,"num":0}}]', Buffer.alloc(LIMIT + 1)], expect: 'close' },
  { name: 'the event name "error"', frames: ['42["error",{"message":"boom"}]'], expect: 'open' },
  { name: 'prototype names as events', frames: ['42["__proto__",{}]', '42["constructor"]', '42["hasOwnProperty","x"]', '427["toString"]'], expect: 'open' },
  { name: 'a numeric event name', frames: ['42[1,2]'], expect: 'open' },
  { name: 'an unknown event with an ack', frames: ['428["admin:shutdown",{"now":true}]'], expect: 'open' },
  { name: 'an ack for an id never sent', frames: ['431["x"]', '43["x"]'], expect: 'open' },
  { name: 'a huge ack id', frames: [`42${'9'.repeat(23)}["presence:get",{"userIds":["x"]}]`], expect: 'open', answer: /^431e\+23\[\{"ok":true/ },
  { name: 'a binary payload as the whole argument', frames: ['451-9["channel:join",{"_placeholder":true,"num":0}]', Buffer.from([1, 2, 3])], expect: 'open', answer: /^439\[\{"ok":false,"error":\{"code":"INVALID_PAYLOAD"/ },
  { name: 'a binary channelId', frames: ['451-10["channel:join",{"channelId":{"_placeholder":true,"num":0}}]', Buffer.from('general')], expect: 'open', answer: /^4310\[\{"ok":false,"error":\{"code":"INVALID_PAYLOAD"/ },
  { name: 'a deeply nested payload (30k levels) under the limit', frames: [`4211["channel:join",${nest(30_000, '1')}]`], expect: 'open', answer: /^4311\[\{"ok":false,"error":\{"code":"INVALID_PAYLOAD"/ },
  { name: 'a deeply nested binary placeholder', frames: [`451-12["channel:join",${nest(20_000, placeholder)}]`, Buffer.from('x')], expect: 'either' },
  { name: 'an unknown namespace after connect', frames: ['40/admin,{"token":"x"}'], expect: 'open', answer: /^44\/admin,\{"message":"Invalid namespace"\}/ },
  { name: 'a namespace disconnect', frames: ['41'], expect: 'either' },
  { name: 'a burst of 500 events in one go', frames: Array.from({ length: 500 }, (_, i) => `42${1000 + i}["presence:get",{"userIds":["u${i}"]}]`), expect: 'open', answer: /^431499\[/ },
];

/** Checks every ack frame the server sent: an array holding one documented answer. */
function undocumentedAcks(frames: Frame[]): string[] {
  const bad: string[] = [];
  for (const f of frames) {
    if (typeof f !== 'string' || !f.startsWith('43')) continue;
    const m = /^43[0-9.e+]*(\[.*)$/s.exec(f);
    const body = m ? JSON.parse(m[1])[0] : undefined;
    const ok = body?.ok === true || (body?.ok === false && (ERROR_CODES as readonly string[]).includes(body.error?.code) && body.error.code !== 'INTERNAL_ERROR' && typeof body.error.message === 'string');
    if (!ok) bad.push(f.slice(0, 200));
  }
  return bad;
}

describe('raw Engine.IO / Socket.IO frames over a plain WebSocket', () => {
  let gw: GatewayChild;
  let token: string;
  let inputs = 0;
  beforeAll(async () => {
    // MAX_HTTP_BUFFER_SIZE left at its default (LIMIT): the 1009 closes below prove the default.
    gw = await GatewayChild.start({ LOG_LEVEL: 'warn', RATE_LIMIT_DEFAULT: '1000000' });
    token = await signToken({ sub: 'raw' });
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    // eslint-disable-next-line no-console
    console.log(`raw frames: ${inputs} inputs tried (seed ${SEED})`);
    await gw?.stop();
  });

  /** Runs one case on its own connection and checks the connection's fate and the server's health. */
  async function runCase(c: Case, connected: boolean): Promise<void> {
    const raw = connected ? await RawClient.connected(gw.url, token) : await RawClient.open(gw.url);
    const before = raw.frames.length;
    for (const f of c.frames) raw.send(f);
    inputs += c.frames.length;
    if (c.answer) {
      const answer = await raw.waitFor((f) => typeof f === 'string' && c.answer!.test(f), 5000, `answer ${c.answer}`).catch((e: Error) => e.message);
      expect(String(answer)).toMatch(c.answer);
    }
    if (c.expect === 'close') {
      expect(await raw.closesWithin(5000)).toBe(true);
      if (c.name.includes('over the buffer limit')) expect(raw.closeCode).toBe(1009);
    } else if (c.expect === 'open') {
      // Reconnect-free proof that the same connection still serves: an ack round trip.
      if (!connected) raw.send(`40${JSON.stringify({ token })}`);
      if (!connected) await raw.waitFor((f) => typeof f === 'string' && f.startsWith('40{'), 5000, 'namespace connect');
      expect(await raw.roundTrip(77)).toMatchObject({ ok: true });
    } else {
      await raw.closesWithin(200);
    }
    expect(undocumentedAcks(raw.frames.slice(before))).toEqual([]);
    raw.close();
    expect(gw.exitCode).toBeNull();
  }

  it.each(BEFORE_CONNECT.map((c) => [c.name, c] as const))('before connect: %s', async (_name, c) => runCase(c, false));

  it.each(AFTER_CONNECT.map((c) => [c.name, c] as const))('after connect: %s', async (_name, c) => runCase(c, true));

  it('should survive many Engine.IO opens that never join a namespace, and keep serving a real client', async () => {
    const opens = await Promise.all(Array.from({ length: 200 }, () => RawClient.open(gw.url)));
    inputs += opens.length;
    const s = await connect(gw.url, await signToken({ sub: 'beside-the-opens' }));
    expect(await call(s, 'channel:join', { channelId: 'raw-opens' })).toMatchObject({ ok: true });
    for (const o of opens) o.close();
  });

  it('should refuse malformed polling requests and oversized polling bodies without affecting others', async () => {
    const base = `${gw.url}/socket.io/`;
    const statuses = await Promise.all([
      fetch(`${base}?EIO=3&transport=polling`), // Engine.IO v3 clients are not accepted
      fetch(`${base}?EIO=4&transport=carrier-pigeon`),
      fetch(`${base}?EIO=4&transport=polling&sid=does-not-exist`),
      fetch(`${base}?EIO=4&transport=polling&sid=${'%00'.repeat(100)}`),
    ].map((p) => p.then((r) => r.status)));
    inputs += statuses.length;
    expect(statuses).toEqual([400, 400, 400, 400]);
    const open = await (await fetch(`${base}?EIO=4&transport=polling`)).text();
    const sid = JSON.parse(open.slice(1)).sid as string;
    const big = await fetch(`${base}?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: `4${'x'.repeat(LIMIT + 10)}`, headers: { 'content-type': 'text/plain' } });
    inputs++;
    // Refused before it is buffered or parsed.
    expect(big.status).toBe(413);
    const open2 = await (await fetch(`${base}?EIO=4&transport=polling`)).text();
    const sid2 = JSON.parse(open2.slice(1)).sid as string;
    const garbage = await fetch(`${base}?EIO=4&transport=polling&sid=${sid2}`, { method: 'POST', body: '\u001e\u001e9garbage\u001e', headers: { 'content-type': 'text/plain' } });
    inputs++;
    expect([200, 400]).toContain(garbage.status);
    expect(gw.exitCode).toBeNull();
  });

  it('should survive thousands of randomly mutated frames, answer every ack in the documented shape, and leave other clients unaffected', async () => {
    const watcher = await connect(gw.url, await signToken({ sub: 'raw-watcher' }));
    expect(await call(watcher, 'channel:join', { channelId: 'raw' })).toMatchObject({ ok: true });
    const leaked: unknown[] = [];
    watcher.on('message:new', (m) => leaked.push(m));
    const r = prng(SEED);
    const seeds = [
      '421["message:send",{"channelId":"raw","content":"mutant","clientMsgId":"raw-mutant-1"}]',
      '422["channel:join",{"channelId":"raw","sinceSeq":0}]',
      '423["message:edit",{"channelId":"raw","messageId":"m-x-1","content":"y"}]',
      '424["presence:get",{"userIds":["a","b"]}]',
      '425["notification:ack",{"ids":["n1"]}]',
      '451-6["user:typing",{"channelId":{"_placeholder":true,"num":0},"isTyping":true}]',
    ];
    const mutate = (s: string): string => {
      const chars = [...s];
      const ops = r.int(1, 4);
      for (let k = 0; k < ops; k++) {
        const at = r.int(0, chars.length);
        switch (r.int(0, 5)) {
          case 0: chars.splice(at); break; // truncate
          case 1: chars.splice(at, 1); break;
          case 2: chars.splice(at, 0, r.pick(['"', '[', ']', '{', '}', ',', ':', '\\', '\u0000', '\ud800', '-', '9', 'e', 'null', '"__proto__"', '/'])); break;
          case 3: chars[at] = String.fromCharCode(r.int(0, 0xffff)); break;
          case 4: chars.splice(at, 0, ...chars.slice(r.int(0, chars.length))); break; // duplicate a tail
          default: chars.splice(0, 2, r.pick(['40', '41', '42', '43', '44', '45', '46', '47', '4', '0', '1', '6', ''])); break;
        }
      }
      return chars.join('');
    };
    const started = Date.now();
    let raw = await RawClient.connected(gw.url, token);
    const clients = [raw];
    let tried = 0;
    let reconnects = 0;
    while (tried < RANDOM_FRAMES && Date.now() - started < RANDOM_MS) {
      if (!raw.isOpen) {
        raw = await RawClient.connected(gw.url, token);
        clients.push(raw);
        reconnects++;
      }
      const frame: Frame = r.chance(0.1)
        ? Buffer.from(Array.from({ length: r.int(0, 64) }, () => r.int(0, 255)))
        : mutate(r.pick(seeds));
      raw.send(frame);
      tried++;
      // Yield now and then so the socket notices a close before the next frame.
      if (tried % 20 === 0) await raw.closesWithin(5);
    }
    inputs += tried;
    for (const c of clients) expect(undocumentedAcks(c.frames)).toEqual([]);
    for (const c of clients) c.close();
    // eslint-disable-next-line no-console
    console.log(`raw frames: ${tried} random frames in ${Date.now() - started} ms, ${reconnects} connections closed by the server`);
    expect(gw.exitCode).toBeNull();
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect(watcher.connected).toBe(true);
    // Mutants may be valid sends; any that got through were acked and are allowed. The watcher still gets a control message.
    const control = await connect(gw.url, await signToken({ sub: 'raw-control' }));
    await call(control, 'channel:join', { channelId: 'raw' });
    const got = next<{ clientMsgId: string }>(watcher, 'message:new', (m: any) => m.clientMsgId === 'raw-control-1');
    expect(await call(control, 'message:send', { channelId: 'raw', content: 'still fine', clientMsgId: 'raw-control-1' })).toMatchObject({ ok: true });
    expect(await got).toMatchObject({ clientMsgId: 'raw-control-1' });
  }, 60_000);
});
