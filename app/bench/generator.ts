/**
 * One load-generator process (forked by generator-pool.ts): owns a contiguous range of sockets,
 * well below the per-process open-file limit, and runs the commands of protocol.ts on them.
 * Every loop is bounded by a count and a deadline. Message content carries the phase, channel,
 * per-channel seq and the sender's wall-clock time, so receivers here measure end-to-end latency
 * (same machine, same clock) and count lost and duplicated deliveries per seq.
 */
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { signToken } from '../test/support/tokens';
import { Histogram } from './histogram';
import type {
  Command, ConnectResult, CountsResult, GeneratorInit, JoinResult, Layout, ProbeResult, PublishResult, RejoinResult, Reply,
  Request, StormReport, VerifyResult,
} from './protocol';

interface Slot {
  /** global socket index */
  i: number;
  instance: number;
  socket: Socket | null;
  ready: boolean;
  token?: string;
  /** fan-out channel index, -1 when the socket is not in the fan-out */
  channel: number;
  /** receipts per seq of the current phase */
  receipts: Uint8Array;
  storm?: { lostAt: number | null; backAt: number | null };
}

interface Payload { p: number; c: number; s: number; t: number }

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let init: GeneratorInit;
let slots: Slot[] = [];
let phase = -1;
let received = 0;
let duplicated = 0;
let misrouted = 0;
let unexpectedDisconnects = 0;
let latency = new Histogram();
let storm: { deadInstance: number; deadline: number; baseMs: number; maxMs: number; attempts: number; failed: number; errors: Record<string, number> } | null = null;

function bump(errors: Record<string, number>, key: string): void {
  errors[key] = (errors[key] ?? 0) + 1;
}

function errorCode(err: unknown): string {
  const e = err as { data?: { code?: string }; message?: string; error?: { code?: string } } | undefined;
  return String(e?.data?.code ?? e?.error?.code ?? e?.message ?? err).slice(0, 60);
}

export function instanceOf(g: number, i: Pick<GeneratorInit, 'urls' | 'placement'>): number {
  const p = i.placement;
  if (p.mode === 'by-channel' && g < p.layout.channels * p.layout.members) return Math.floor(g / p.layout.members) % i.urls.length;
  return g % i.urls.length;
}

async function setup(i: GeneratorInit): Promise<void> {
  init = i;
  slots = [];
  for (let j = 0; j < i.count; j++) {
    const g = i.first + j;
    const slot: Slot = { i: g, instance: instanceOf(g, i), socket: null, ready: false, channel: -1, receipts: new Uint8Array(0) };
    // Tokens are signed before any clock starts: signing is the application backend's cost, not the gateway's.
    if (i.jwtSecret) slot.token = await signToken({ sub: `bench-u${g}`, expiresInSec: 7200 }, i.jwtSecret);
    slots.push(slot);
  }
}

/** Opens one socket to `url`; resolves true once usable (gateway: `connection:ready`; baseline: `connect`). */
function open(slot: Slot, url: string, timeoutMs: number, errors: Record<string, number>): Promise<boolean> {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
    auth: slot.token ? { token: slot.token } : {},
    localAddress: init.localAddress,
  } as never);
  slot.socket = socket;
  slot.ready = false;
  socket.on('message:new', (m: { content?: string }) => onMessage(slot, m));
  socket.on('disconnect', () => onDisconnect(slot, socket));
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false, 'timeout'), timeoutMs + 1000);
    const done = (ok: boolean, err?: string) => {
      clearTimeout(timer);
      socket.off('connect_error', onError);
      if (ok) {
        slot.ready = true;
      } else {
        bump(errors, err ?? 'error');
        socket.disconnect();
        if (slot.socket === socket) slot.socket = null;
      }
      resolve(ok);
    };
    const onError = (err: unknown) => done(false, errorCode(err));
    socket.once('connect_error', onError);
    socket.once(init.kind === 'gateway' ? 'connection:ready' : 'connect', () => done(true));
  });
}

/** Message content: `phase:channel:seq:sentAt` (cheaper to read than JSON, at tens of thousands per second). */
function encode(p: Payload): string {
  return `${p.p}:${p.c}:${p.s}:${p.t}`;
}

function decode(content: string | undefined): Payload | null {
  const parts = (content ?? '').split(':');
  if (parts.length !== 4) return null;
  const [p, c, s, t] = parts.map(Number);
  return Number.isFinite(p + c + s + t) ? { p, c, s, t } : null;
}

function onMessage(slot: Slot, m: { content?: string }): void {
  const p = decode(m.content);
  if (!p || p.p !== phase) return;
  if (p.c !== slot.channel) {
    misrouted++;
    return;
  }
  received++;
  latency.record(now() - p.t);
  if (p.s >= slot.receipts.length) {
    const grown = new Uint8Array(Math.max(64, p.s * 2 + 1));
    grown.set(slot.receipts);
    slot.receipts = grown;
  }
  if (slot.receipts[p.s] > 0) duplicated++;
  if (slot.receipts[p.s] < 255) slot.receipts[p.s]++;
}

function onDisconnect(slot: Slot, socket: Socket): void {
  if (slot.socket !== socket) return;
  const wasReady = slot.ready;
  slot.ready = false;
  if (storm && slot.storm && slot.instance === storm.deadInstance && slot.storm.backAt === null) {
    slot.storm.lostAt ??= now();
    void reconnect(slot, 0);
    return;
  }
  if (wasReady) unexpectedDisconnects++;
}

/** The SDK's policy: full-jitter exponential backoff, to the surviving instance. */
async function reconnect(slot: Slot, attempt: number): Promise<void> {
  const s = storm!;
  const window = Math.min(s.maxMs, s.baseMs * 2 ** attempt);
  await sleep(Math.floor(Math.random() * window));
  if (storm !== s || now() > s.deadline) return;
  s.attempts++;
  const survivor = (s.deadInstance + 1) % init.urls.length;
  slot.instance = survivor;
  const ok = await open(slot, init.urls[survivor], 10_000, s.errors);
  if (ok) {
    slot.storm!.backAt = now();
  } else {
    s.failed++;
    if (attempt < 20) void reconnect(slot, attempt + 1);
  }
}

async function connectAll(c: Extract<Command, { cmd: 'connect' }>): Promise<ConnectResult> {
  const elu = performance.eventLoopUtilization();
  const hist = new Histogram();
  const errors: Record<string, number> = {};
  const t0 = now();
  const pending: Array<Promise<void>> = [];
  let connected = 0;
  // Open loop at a fixed arrival rate, in ticks of 2 ms that start whatever fell due: a slow
  // server shows up as latency, not as a slower test, and the event loop stays free in between.
  for (let j = 0; j < slots.length;) {
    await sleep(2);
    for (; j < slots.length && t0 + (j * 1000) / c.ratePerSec <= now(); j++) {
      const slot = slots[j];
      const started = now();
      pending.push(open(slot, init.urls[slot.instance], c.timeoutMs, errors).then((ok) => {
        if (ok) {
          connected++;
          hist.record(now() - started);
        }
      }));
    }
  }
  await Promise.all(pending);
  const perInstance = init.urls.map((_, n) => slots.filter((s) => s.ready && s.instance === n).length);
  return { attempted: slots.length, connected, failed: slots.length - connected, errors, latency: hist.toJSON(), perInstance, elu: performance.eventLoopUtilization(elu).utilization };
}

function call(socket: Socket, event: string, payload: unknown, timeoutMs: number): Promise<{ ok: boolean; error?: { code: string } }> {
  return (socket.timeout(timeoutMs) as unknown as { emitWithAck(e: string, p: unknown): Promise<{ ok: boolean; error?: { code: string } }> }).emitWithAck(event, payload);
}

async function joinAll(c: Extract<Command, { cmd: 'join' }>): Promise<JoinResult> {
  const hist = new Histogram();
  const errors: Record<string, number> = {};
  const todo = slots.filter((s) => s.i < c.layout.channels * c.layout.members);
  let joined = 0;
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const slot = todo[next++];
      slot.channel = Math.floor(slot.i / c.layout.members);
      if (!slot.socket || !slot.ready) {
        bump(errors, 'not connected');
        continue;
      }
      const started = now();
      try {
        const ack = await call(slot.socket, 'channel:join', { channelId: `bench-${slot.channel}` }, c.timeoutMs);
        if (ack.ok) {
          joined++;
          hist.record(now() - started);
        } else bump(errors, ack.error?.code ?? 'error');
      } catch (err) {
        bump(errors, errorCode(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, c.concurrency) }, worker));
  return { attempted: todo.length, joined, failed: todo.length - joined, errors, latency: hist.toJSON() };
}

/** The member of channel c that publishes to it; alternates instances so publishing is spread over both. */
export function publisherOf(c: number, layout: Layout): number {
  return c * layout.members + (c % Math.min(2, layout.members));
}

async function publish(c: Extract<Command, { cmd: 'publish' }>): Promise<PublishResult> {
  phase = c.phase;
  received = 0;
  duplicated = 0;
  misrouted = 0;
  latency = new Histogram();
  for (const s of slots) s.receipts = new Uint8Array(0);
  const ackHist = new Histogram();
  const errors: Record<string, number> = {};
  const ackedSeqs: Record<number, number[]> = {};
  const owned = new Map<number, Slot>();
  const last = init.first + slots.length;
  for (let ch = 0; ch < c.layout.channels; ch++) {
    const p = publisherOf(ch, c.layout);
    if (p >= init.first && p < last) owned.set(ch, slots[p - init.first]);
  }
  let sent = 0;
  let acked = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (ch: number, seq: number): Promise<void> => {
    const slot = owned.get(ch)!;
    sent++;
    if (!slot.socket || !slot.ready) {
      failed++;
      bump(errors, 'not connected');
      return Promise.resolve();
    }
    const t = now();
    const content = encode({ p: c.phase, c: ch, s: seq, t });
    const promise = call(slot.socket, 'message:send', { channelId: `bench-${ch}`, content, clientMsgId: `bench-${c.phase}-${ch}-${seq}` }, c.ackTimeoutMs).then(
      (ack) => {
        if (ack.ok) {
          acked++;
          ackHist.record(now() - t);
          (ackedSeqs[ch] ??= []).push(seq);
        } else {
          failed++;
          bump(errors, ack.error?.code ?? 'error');
        }
      },
      (err) => {
        failed++;
        bump(errors, errorCode(err));
      },
    );
    const tracked = promise.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    return tracked;
  };

  const wait = c.startAt - now();
  if (wait > 0) await sleep(wait);
  const elu = performance.eventLoopUtilization();
  const t0 = now();
  const end = t0 + c.durationMs;
  if (c.mode === 'rate') {
    // Message k is due at startAt + k/rate and goes to channel k % channels: one global schedule
    // that every generator walks, each sending the messages of the publishers it owns.
    const total = Math.floor((c.durationMs / 1000) * c.ratePerSec);
    let k = 0;
    // Ticks of 2 ms that send whatever fell due: the event loop stays free for the deliveries
    // this process receives (the timestamp in each message is taken when it is really sent).
    while (k < total && now() < end + 5000) {
      await sleep(2);
      for (; k < total && c.startAt + (k * 1000) / c.ratePerSec <= now(); k++) {
        const ch = k % c.layout.channels;
        if (owned.has(ch)) void send(ch, Math.floor(k / c.layout.channels));
      }
    }
  } else {
    // Closed loop: each publisher keeps `window` sends in flight until the deadline.
    await Promise.all([...owned.keys()].map(async (ch) => {
      let seq = 0;
      const lanes = Array.from({ length: c.window }, async () => {
        while (now() < end && seq < 10_000_000) await send(ch, seq++);
      });
      await Promise.all(lanes);
    }));
  }
  await Promise.all([...inFlight]);
  return { sent, acked, failed, errors, ackLatency: ackHist.toJSON(), ackedSeqs, elapsedMs: now() - t0, elu: performance.eventLoopUtilization(elu).utilization };
}

function verify(c: Extract<Command, { cmd: 'verify' }>): VerifyResult {
  let expected = 0;
  let delivered = 0;
  let lost = 0;
  for (const slot of slots) {
    if (slot.channel < 0) continue;
    for (const seq of c.acked[slot.channel] ?? []) {
      expected++;
      if ((slot.receipts[seq] ?? 0) > 0) delivered++;
      else lost++;
    }
  }
  const result = { expected, delivered, lost, duplicated, misrouted, latency: latency.toJSON() };
  phase = -1;
  return result;
}

async function probe(c: Extract<Command, { cmd: 'probe' }>): Promise<ProbeResult> {
  const join = new Histogram();
  const presence = new Histogram();
  const errors: Record<string, number> = {};
  let failed = 0;
  const deadline = now() + c.durationMs;
  const mine = slots.filter((s) => c.slots.includes(s.i));
  const timed = async (h: Histogram, socket: Socket, event: string, payload: unknown) => {
    const t = now();
    try {
      const ack = await call(socket, event, payload, c.timeoutMs);
      if (ack.ok) h.record(now() - t);
      else {
        failed++;
        bump(errors, `${event} ${ack.error?.code ?? 'error'}`);
      }
    } catch (err) {
      failed++;
      bump(errors, `${event} ${errorCode(err)}`);
    }
  };
  await Promise.all(mine.map(async (slot) => {
    const period = 1000 / c.opsPerSec;
    const max = Math.ceil((c.durationMs / 1000) * c.opsPerSec) + 1;
    for (let n = 0; n < max && now() < deadline; n++) {
      const started = now();
      if (!slot.socket || !slot.ready) break;
      // A fresh channel each time: the full cost of a first join (membership, presence tracking).
      await timed(join, slot.socket, 'channel:join', { channelId: `probe-${slot.i}-${n}` });
      await timed(presence, slot.socket, 'presence:get', { channelId: `bench-${n % Math.max(1, c.channels)}` });
      const rest = period - (now() - started);
      if (rest > 0) await sleep(rest);
    }
  }));
  return { join: join.toJSON(), presence: presence.toJSON(), failed, errors };
}

/**
 * Each probe socket joins `channels` channels, then until the deadline: drops its connection,
 * reconnects, and rejoins them all at once the way the SDK does (with the epoch and last seq of
 * its previous join), timing from the reconnected socket being usable until the last join ack.
 */
async function rejoin(c: Extract<Command, { cmd: 'rejoin' }>): Promise<RejoinResult> {
  const rejoinHist = new Histogram();
  const reconnectHist = new Histogram();
  const errors: Record<string, number> = {};
  let failed = 0;
  let cycles = 0;
  const deadline = now() + c.durationMs;
  const mine = slots.filter((s) => c.slots.includes(s.i));
  await Promise.all(mine.map(async (slot) => {
    const ids = Array.from({ length: c.channels }, (_, k) => `rejoin-${slot.i}-${k}`);
    const seen = new Map<string, { epoch?: string; lastSeq?: number }>();
    const joinEvery = async (socket: Socket): Promise<boolean> => {
      const acks = await Promise.all(ids.map((channelId) => {
        const prev = seen.get(channelId);
        const payload = prev?.epoch ? { channelId, sinceSeq: prev.lastSeq ?? 0, epoch: prev.epoch } : { channelId };
        return call(socket, 'channel:join', payload, c.timeoutMs).catch((err: unknown) => ({ ok: false, error: { code: errorCode(err) } }));
      }));
      let ok = true;
      acks.forEach((ack, k) => {
        const a = ack as { ok: boolean; epoch?: string; lastSeq?: number; error?: { code: string } };
        if (a.ok) seen.set(ids[k], { epoch: a.epoch, lastSeq: a.lastSeq });
        else {
          ok = false;
          bump(errors, `channel:join ${a.error?.code ?? 'error'}`);
        }
      });
      return ok;
    };
    if (!slot.socket || !slot.ready || !(await joinEvery(slot.socket))) {
      failed++;
      return;
    }
    for (let n = 0; n < 10_000 && now() + c.pauseMs < deadline; n++) {
      await sleep(c.pauseMs);
      const old = slot.socket;
      slot.socket = null;
      slot.ready = false;
      old?.disconnect();
      const started = now();
      if (!(await open(slot, init.urls[slot.instance], c.timeoutMs, errors))) {
        failed++;
        continue;
      }
      const ready = now();
      reconnectHist.record(ready - started);
      if (await joinEvery(slot.socket!)) {
        rejoinHist.record(now() - ready);
        cycles++;
      } else failed++;
    }
  }));
  return { cycles, rejoin: rejoinHist.toJSON(), reconnect: reconnectHist.toJSON(), failed, errors };
}

function trim(keep: number): number {
  let closed = 0;
  for (const slot of slots) {
    if (slot.i >= keep && slot.socket) {
      const s = slot.socket;
      slot.socket = null;
      slot.ready = false;
      s.disconnect();
      closed++;
    }
  }
  return closed;
}

function armStorm(c: Extract<Command, { cmd: 'arm-storm' }>): number {
  storm = { deadInstance: c.deadInstance, deadline: now() + c.deadlineMs, baseMs: c.backoffBaseMs, maxMs: c.backoffMaxMs, attempts: 0, failed: 0, errors: {} };
  let armed = 0;
  for (const slot of slots) {
    if (slot.instance === c.deadInstance && slot.socket && slot.ready) {
      slot.storm = { lostAt: null, backAt: null };
      armed++;
    }
  }
  return armed;
}

function stormReport(killAt: number): StormReport {
  const armed = slots.filter((s) => s.storm);
  const backAfterMs = armed.filter((s) => s.storm!.backAt !== null).map((s) => Math.round(s.storm!.backAt! - killAt));
  return { armed: armed.length, back: backAfterMs.length, attempts: storm?.attempts ?? 0, failedAttempts: storm?.failed ?? 0, errors: storm?.errors ?? {}, backAfterMs };
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'connect': return connectAll(command);
    case 'join': return joinAll(command);
    case 'publish': return publish(command);
    case 'counts': return { received, unexpectedDisconnects } satisfies CountsResult;
    case 'verify': return verify(command);
    case 'probe': return probe(command);
    case 'rejoin': return rejoin(command);
    case 'trim': return trim(command.keep);
    case 'arm-storm': return armStorm(command);
    case 'storm-report': return stormReport(command.killAt);
    case 'close': {
      storm = null;
      for (const s of slots) s.socket?.disconnect();
      return slots.length;
    }
  }
}

if (require.main === module) {
  let ready: Promise<void> | null = null;
  process.on('message', (msg: Request | { init: GeneratorInit }) => {
    if ('init' in msg) {
      ready = setup(msg.init);
      ready.then(() => process.send!({ id: 0, ok: true }), (err) => process.send!({ id: 0, ok: false, error: String(err) }));
      return;
    }
    Promise.resolve(ready)
      .then(() => handle(msg.command))
      .then(
        (result) => process.send!({ id: msg.id, ok: true, result } satisfies Reply),
        (err) => process.send!({ id: msg.id, ok: false, error: String(err?.stack ?? err) } satisfies Reply),
      );
  });
  // The parent going away must never leave thousands of sockets behind.
  process.on('disconnect', () => process.exit(0));
}
