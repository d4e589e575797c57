import { readFileSync } from 'node:fs';
import { CLIENT_EVENTS, ERROR_CODES, type ClientEventName } from '../../src/contracts/events';
import { GatewayChild } from '../support/gateway-child';
import { call, closeAll, collect, connect, next, until, type TestSocket } from '../support/clients';
import { signToken } from '../support/tokens';
import { frameSizes, generate, isValid, NO_PAYLOAD, prng, type FuzzInput } from './fuzz-payloads';

/** A small buffer so that "just over the limit" frames stay cheap to build and send. */
const LIMIT = 64 * 1024;
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const FUZZ_MS = 20_000;
const MAX_INPUTS = 20_000;
const MAX_OVERSIZED = 120;
const BATCH = 16;
const WATCHED = ['fz-a', 'fz-b', 'fz-private'];

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, '')) * 1024;
}

/** The shape of every refusal: `{ ok: false, error: { code, message, retryAfterMs? } }` and nothing else. */
function isDocumentedError(ack: any): boolean {
  if (!ack || ack.ok !== false || typeof ack.error !== 'object' || Object.keys(ack).length !== 2) return false;
  const { code, message, retryAfterMs, ...rest } = ack.error;
  return (ERROR_CODES as readonly string[]).includes(code) && code !== 'INTERNAL_ERROR' && typeof message === 'string'
    && !/\bat \S+ \(|node_modules/.test(message) && (retryAfterMs === undefined || typeof retryAfterMs === 'number') && Object.keys(rest).length === 0;
}

describe('event fuzzer (every client event, generated payloads)', () => {
  let gw: GatewayChild;
  beforeAll(async () => {
    gw = await GatewayChild.start({
      MAX_HTTP_BUFFER_SIZE: String(LIMIT),
      // One socket sends thousands of invalid payloads to check each answer; the cut-off after
      // MAX_INVALID_FRAMES_PER_MINUTE has its own test (security/connection-limits.spec.ts).
      MAX_INVALID_FRAMES_PER_MINUTE: '1000000',
      PRESENCE_COALESCE_MS: '0',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MESSAGE_SEND: '1000000',
      RATE_LIMIT_TYPING: '1000000',
      RATE_LIMIT_PRESENCE_UPDATE: '1000000',
      RATE_LIMIT_CHANNEL_JOIN: '1000000',
      RATE_LIMIT_CHANNEL_REJOIN: '1000000',
      RATE_LIMIT_DEFAULT: '1000000',
    });
  });
  afterEach(() => closeAll());
  afterAll(async () => gw?.stop());

  it('should answer every input with a documented ack, broadcast nothing invalid, stay up with bounded memory and keep serving others', async () => {
    const fuzzerToken = await signToken({ sub: 'fuzzer', channels: ['fz-a', 'fz-b', 'fz-c'] });
    const watcher = await connect(gw.url, await signToken({ sub: 'watcher', channels: ['*'] }));
    for (const channelId of WATCHED) expect(await call(watcher, 'channel:join', { channelId })).toMatchObject({ ok: true });
    const seen = {
      created: collect(watcher, 'message:new'),
      updated: collect(watcher, 'message:updated'),
      deleted: collect(watcher, 'message:deleted'),
      joined: collect(watcher, 'channel:member_joined'),
      left: collect(watcher, 'channel:member_left'),
      typing: collect(watcher, 'user:typing'),
      read: collect(watcher, 'message:read'),
    };
    const fuzzer = await connect(gw.url, fuzzerToken);
    const errorEvents: any[] = [];
    for (const entity of ['channel', 'message', 'user', 'presence', 'thread', 'notification', 'auth']) (fuzzer as any).on(`${entity}:error`, (e: unknown) => errorEvents.push(e));
    const disconnected: string[] = [];
    fuzzer.on('disconnect', (reason) => disconnected.push(reason));

    // What valid inputs may legitimately cause on the watcher; everything else it sees is a leak.
    const allowed = { sends: new Set<string>(), edits: new Set<string>(), deletes: new Set<string>(), typing: new Set<string>(), read: new Set<string>() };
    const okSends = new Set<string>();
    const okJoins: Record<string, number> = {};
    const okLeaves: Record<string, number> = {};
    const invalidNoAck: Record<string, number> = {};
    const failures: string[] = [];
    const perEvent: Record<string, number> = Object.fromEntries(CLIENT_EVENTS.map((e) => [e, 0]));
    const world = { channels: ['fz-a', 'fz-b', 'fz-c', 'fz-private', 'fz-a'], messageIds: [] as string[], token: fuzzerToken };
    const rejoin = async () => {
      for (const channelId of ['fz-a', 'fz-b']) {
        const ack = await call(fuzzer, 'channel:join', { channelId });
        expect(ack).toMatchObject({ ok: true });
        okJoins[channelId] = (okJoins[channelId] ?? 0) + 1;
      }
    };
    await rejoin();

    const rssBefore = rssBytes(gw.pid!);
    const r = prng(SEED);
    const started = Date.now();
    let tried = 0;
    let oversized = 0;
    let validCount = 0;
    const describeInput = (i: number, input: FuzzInput, what: string) =>
      `#${i} (seed ${SEED}) ${input.event} [${input.kinds.join(',')}] ack=${input.withAck}: ${what}; payload ${String(JSON.stringify(input.payload === NO_PAYLOAD ? '<none>' : input.payload) ?? input.payload).slice(0, 200)}`;

    const sendOne = async (i: number, input: FuzzInput): Promise<void> => {
      const valid = isValid(input);
      if (valid) validCount++;
      const p = input.payload as Record<string, any>;
      if (valid) {
        if (input.event === 'message:send') allowed.sends.add(p.clientMsgId);
        if (input.event === 'message:edit') allowed.edits.add(p.messageId);
        if (input.event === 'message:delete') allowed.deletes.add(p.messageId);
        if (input.event === 'user:typing') allowed.typing.add(`${p.channelId}/${p.isTyping}`);
        if (input.event === 'message:read') allowed.read.add(`${p.channelId}/${p.seq}`);
      }
      const args = input.payload === NO_PAYLOAD ? [...input.extraArgs] : [input.payload, ...input.extraArgs];
      if (!input.withAck) {
        if (!valid) invalidNoAck[input.event] = (invalidNoAck[input.event] ?? 0) + 1;
        // Unanswered but valid: it may have joined or left, which the member events then show.
        if (valid && input.event === 'channel:join') okJoins[p.channelId] = (okJoins[p.channelId] ?? 0) + 1;
        if (valid && input.event === 'channel:leave') okLeaves[p.channelId] = (okLeaves[p.channelId] ?? 0) + 1;
        (fuzzer as any).emit(input.event, ...args);
        return;
      }
      let ack: any;
      try {
        ack = await (fuzzer.timeout(5000) as any).emitWithAck(input.event, ...args);
      } catch (err) {
        failures.push(describeInput(i, input, `no ack (${(err as Error).message})`));
        return;
      }
      if (ack?.ok === true) {
        if (!valid) failures.push(describeInput(i, input, `accepted although the schema refuses it: ${JSON.stringify(ack).slice(0, 200)}`));
        if (input.event === 'message:send' && !ack.duplicate && WATCHED.includes(p.channelId)) okSends.add(p.clientMsgId);
        if (input.event === 'message:send') world.messageIds.push(ack.messageId);
        if (input.event === 'channel:join') okJoins[p.channelId] = (okJoins[p.channelId] ?? 0) + 1;
        if (input.event === 'channel:leave' && ack.left) okLeaves[p.channelId] = (okLeaves[p.channelId] ?? 0) + 1;
      } else if (!isDocumentedError(ack)) {
        failures.push(describeInput(i, input, `undocumented answer ${JSON.stringify(ack).slice(0, 300)}`));
      } else if (!valid && ack.error.code !== 'INVALID_PAYLOAD') {
        failures.push(describeInput(i, input, `schema-invalid input answered ${ack.error.code}`));
      }
    };

    /** Frames over the limit must close that one connection (on a throwaway socket) and nothing else. */
    const sendOversized = async (i: number, input: FuzzInput): Promise<void> => {
      const victim = await connect(gw.url, await signToken({ sub: 'fuzzer-big' }));
      const gone = new Promise<string>((resolve) => victim.once('disconnect', resolve));
      const args = input.payload === NO_PAYLOAD ? [...input.extraArgs] : [input.payload, ...input.extraArgs];
      let answered = false;
      (victim as any).emit(input.event, ...args, () => { answered = true; });
      const reason = await Promise.race([gone, new Promise<string>((resolve) => setTimeout(() => resolve('still connected'), 5000))]);
      if (!['transport close', 'transport error'].includes(reason) || answered) failures.push(describeInput(i, input, `oversized frame: ${reason}, answered=${answered}`));
      victim.disconnect();
    };

    while (tried < MAX_INPUTS && Date.now() - started < FUZZ_MS && failures.length < 20) {
      const batch: Array<Promise<void>> = [];
      for (let k = 0; k < BATCH; k++) {
        const i = tried;
        const input = generate(r, i, world, LIMIT);
        if (Math.max(...frameSizes(input)) > LIMIT) {
          if (oversized >= MAX_OVERSIZED) continue;
          oversized++;
          tried++;
          perEvent[input.event]++;
          await sendOversized(i, input);
          continue;
        }
        tried++;
        perEvent[input.event]++;
        batch.push(sendOne(i, input));
      }
      await Promise.all(batch);
      if (!fuzzer.connected) {
        failures.push(`fuzzer connection closed (${disconnected.join(',')}) during inputs up to #${tried}`);
        break;
      }
      if (tried % (BATCH * 8) === 0) await rejoin();
    }
    const elapsedMs = Date.now() - started;
    // eslint-disable-next-line no-console
    console.log(`event fuzzer: ${tried} inputs in ${elapsedMs} ms (seed ${SEED}; ${validCount} schema-valid, ${oversized} over the ${LIMIT}-byte buffer, ${Object.values(invalidNoAck).reduce((a, b) => a + b, 0)} invalid without ack); per event ${JSON.stringify(perEvent)}`);
    expect(failures).toEqual([]);

    await until(() => Object.entries(invalidNoAck).every(([event, n]) => errorEvents.filter((e) => e.event === event && e.code === 'INVALID_PAYLOAD').length >= n), 10_000, 'every ack-less invalid input answered with {entity}:error');
    // A barrier: the watcher's own round trip after every fuzzer call has been answered.
    await until(() => {
      const got = new Set(seen.created.map((m: any) => m.clientMsgId));
      return [...okSends].every((id) => got.has(id));
    }, 10_000, 'every accepted send fanned out');
    await call(watcher, 'presence:get', { userIds: ['watcher'] });

    const rssAfter = rssBytes(gw.pid!);
    // eslint-disable-next-line no-console
    console.log(`event fuzzer: gateway RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MB`);

    expect(tried).toBeGreaterThan(1000);
    for (const event of CLIENT_EVENTS) expect(perEvent[event as ClientEventName]).toBeGreaterThan(20);
    expect(errorEvents.filter((e) => !(ERROR_CODES as readonly string[]).includes(e.code) || e.code === 'INTERNAL_ERROR')).toEqual([]);

    // Nothing reached the watcher that a schema-valid input did not cause.
    expect(seen.created.filter((m: any) => !allowed.sends.has(m.clientMsgId))).toEqual([]);
    expect(seen.updated.filter((m: any) => !allowed.edits.has(m.id))).toEqual([]);
    expect(seen.deleted.filter((m: any) => !allowed.deletes.has(m.messageId))).toEqual([]);
    expect(seen.typing.filter((t: any) => t.userId !== 'fuzzer' || !allowed.typing.has(`${t.channelId}/${t.isTyping}`))).toEqual([]);
    expect(seen.read.filter((x: any) => x.userId !== 'fuzzer' || !allowed.read.has(`${x.channelId}/${x.seq}`))).toEqual([]);
    for (const e of [...seen.joined, ...seen.left, ...seen.created, ...seen.typing]) {
      expect(e.channelId).not.toBe('fz-private');
    }
    for (const channelId of ['fz-a', 'fz-b']) {
      expect(seen.joined.filter((e: any) => e.channelId === channelId && e.userId === 'fuzzer').length).toBeLessThanOrEqual(okJoins[channelId] ?? 0);
      expect(seen.left.filter((e: any) => e.channelId === channelId && e.userId === 'fuzzer').length).toBeLessThanOrEqual(okLeaves[channelId] ?? 0);
    }
    expect([...seen.joined, ...seen.left].filter((e: any) => e.userId !== 'fuzzer')).toEqual([]);

    // The process is up, memory bounded, and other clients unaffected.
    expect(gw.exitCode).toBeNull();
    expect(gw.exitSignal).toBeNull();
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect(rssAfter - rssBefore).toBeLessThan(256 * 2 ** 20);
    expect(watcher.connected).toBe(true);
    const control = await connect(gw.url, await signToken({ sub: 'control' }));
    expect(await call(control, 'channel:join', { channelId: 'fz-control' })).toMatchObject({ ok: true });
    expect(await call(watcher, 'channel:join', { channelId: 'fz-control' })).toMatchObject({ ok: true });
    const roundTrip = next<{ content: string }>(watcher, 'message:new', (m: any) => m.channelId === 'fz-control');
    expect(await call(control, 'message:send', { channelId: 'fz-control', content: 'after the storm', clientMsgId: 'control-after-fuzz' })).toMatchObject({ ok: true, seq: 1 });
    expect((await roundTrip).content).toBe('after the storm');
    expect(await call(fuzzer as TestSocket, 'channel:join', { channelId: 'fz-a' })).toMatchObject({ ok: true });
  }, 90_000);
});
