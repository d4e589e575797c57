import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';
import { CLIENT_EVENTS, type ClientEventName } from '../../src/contracts/events';
import { schemas } from '../../src/contracts/schemas';

/** mulberry32: a tiny seeded PRNG, so a failing input can be replayed from its seed and index. */
export function prng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return { next, int, pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)], chance: (p: number) => next() < p };
}
export interface Rng {
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

/** Marks an emit without any payload argument (the server then sees `undefined`). */
export const NO_PAYLOAD = Symbol('no payload');

export interface FuzzInput {
  event: ClientEventName;
  payload: unknown;
  /** Arguments after the payload and before the ack. */
  extraArgs: unknown[];
  withAck: boolean;
  /** Mutations applied, for the failure report. */
  kinds: string[];
}

/** What the fuzzer knows about the world, so that some inputs reach past validation. */
export interface FuzzWorld {
  channels: readonly string[];
  messageIds: string[];
  token: string;
}

const STRING_NASTIES = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '\udfff\ud800', '😀', '\u202e\u202d', '../../etc/passwd', '*', 'fz-*', '%00',
  '__proto__', 'constructor', 'prototype', '$where', "' OR 1=1 --", '<script>alert(1)</script>', '{{7*7}}', '${jndi:ldap://127.0.0.1/a}',
  'KEYS *', '\r\nSET x y\r\n', 'a'.repeat(128), 'a'.repeat(129), 'm-00000000-1', 'm--1', 'm-x-9007199254740993',
];
const NUMBER_NASTIES = [NaN, Infinity, -Infinity, -0, 0, -1, 1.5, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, Number.MIN_VALUE, 0x7fffffff, 4001];

function valid(event: ClientEventName, w: FuzzWorld, r: Rng, i: number): unknown {
  const ch = r.pick(w.channels);
  const msgId = w.messageIds.length > 0 && r.chance(0.8) ? r.pick(w.messageIds) : `m-nope-${r.int(1, 99)}`;
  const clientMsgId = `fz${i}_${r.int(1e6, 9e6)}`;
  switch (event) {
    case 'channel:join': return r.chance(0.5) ? { channelId: ch } : { channelId: ch, sinceSeq: r.int(0, 20), epoch: 'abcdefgh' };
    case 'channel:leave': return { channelId: ch };
    case 'message:send': return r.chance(0.8) ? { channelId: ch, content: `hello ${i}`, clientMsgId } : { channelId: ch, content: 'in thread', clientMsgId, threadId: 't1' };
    case 'message:edit': return { channelId: ch, messageId: msgId, content: `edited ${i}` };
    case 'message:delete': return { channelId: ch, messageId: msgId };
    case 'message:history': return r.chance(0.5) ? { channelId: ch } : { channelId: ch, afterSeq: r.int(0, 5), limit: r.int(1, 100), threadId: 't1' };
    case 'message:read': return { channelId: ch, seq: r.int(0, 3) };
    case 'auth:refresh': return { token: r.chance(0.3) ? w.token : `${w.token.slice(0, -4)}AAAA` };
    case 'presence:update': return { status: r.pick(['online', 'away', 'dnd', 'invisible']) };
    case 'presence:get': return r.chance(0.5) ? { userIds: ['watcher', 'fuzzer'] } : { channelId: ch };
    case 'presence:subscribe':
    case 'presence:unsubscribe': return r.chance(0.7) ? {} : NO_PAYLOAD;
    case 'user:typing': return { channelId: ch, isTyping: r.chance(0.5) };
    case 'thread:join':
    case 'thread:leave': return { channelId: ch, threadId: `t${r.int(1, 3)}` };
    case 'notification:ack': return { ids: [`n-${r.int(1, 1e6)}`] };
  }
}

function deep(r: Rng, depth: number): unknown {
  let v: unknown = r.pick(['leaf', 1, null, {}]);
  for (let d = 0; d < depth; d++) v = r.chance(0.5) ? [v] : { a: v };
  return v;
}

function binary(r: Rng, size = r.int(0, 64)): unknown {
  const bytes = new Uint8Array(size).map(() => r.int(0, 255));
  switch (r.int(0, 4)) {
    case 0: return Buffer.from(bytes);
    case 1: return bytes.buffer;
    case 2: return bytes;
    case 3: return new Float64Array(bytes.buffer.slice(0, size - (size % 8)));
    default: return new DataView(bytes.buffer);
  }
}

/** A random value of an arbitrary type (what a buggy or hostile client might put anywhere). */
function anyValue(r: Rng): unknown {
  switch (r.int(0, 9)) {
    case 0: return r.pick(NUMBER_NASTIES);
    case 1: return r.pick(STRING_NASTIES);
    case 2: return r.chance(0.5);
    case 3: return null;
    case 4: return undefined;
    case 5: return [r.pick(STRING_NASTIES), r.pick(NUMBER_NASTIES)];
    case 6: return { nested: r.pick(STRING_NASTIES) };
    case 7: return deep(r, r.int(2, 40));
    case 8: return binary(r);
    default: return new Date(0);
  }
}

/** A key an attacker would use to pollute prototypes or confuse lookups. */
function smuggle(obj: Record<string, unknown>, r: Rng): Record<string, unknown> {
  const key = r.pick(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'isAdmin', 'userId', 'roles', '']);
  const value = r.pick([{ admin: true, roles: ['admin'] }, { prototype: { polluted: true } }, 'x', 1, null]);
  // JSON.parse makes `__proto__` an own key, as it arrives from the wire (a literal would set the prototype).
  return { ...obj, ...JSON.parse(`{${JSON.stringify(key)}:${JSON.stringify(value)}}`) };
}

function stringKeys(p: unknown): string[] {
  return p && typeof p === 'object' && !Array.isArray(p) ? Object.keys(p).filter((k) => typeof (p as Record<string, unknown>)[k] === 'string') : [];
}

/**
 * One input: a valid base payload for the event, then 0–3 mutations. `bufferLimit` is the
 * gateway's MAX_HTTP_BUFFER_SIZE: huge strings land just under or just over it.
 */
export function generate(r: Rng, i: number, w: FuzzWorld, bufferLimit: number): FuzzInput {
  const event = CLIENT_EVENTS[i % CLIENT_EVENTS.length];
  let payload = valid(event, w, r, i);
  const kinds: string[] = [];
  const extraArgs: unknown[] = [];
  let withAck = true;
  const mutations = r.chance(0.1) ? 0 : r.int(1, 3);
  for (let m = 0; m < mutations; m++) {
    const obj = payload && typeof payload === 'object' && !Array.isArray(payload) && !ArrayBuffer.isView(payload) ? (payload as Record<string, unknown>) : null;
    const keys = obj ? Object.keys(obj) : [];
    const kind = r.pick(['wrongType', 'missingField', 'extraField', 'smuggleKey', 'hugeString', 'deepNesting', 'surrogate', 'binaryField', 'binaryPayload', 'replacePayload', 'arrayPayload', 'numberEdge', 'extraArgs', 'missingAck', 'boundary'] as const);
    kinds.push(kind);
    switch (kind) {
      case 'wrongType':
        if (obj && keys.length) payload = { ...obj, [r.pick(keys)]: anyValue(r) };
        break;
      case 'missingField':
        if (obj && keys.length) { const { [r.pick(keys)]: _gone, ...rest } = obj; payload = rest; }
        break;
      case 'extraField':
        payload = { ...(obj ?? {}), [r.pick(['extra', 'x'.repeat(r.int(1, 300)), '0', 'sinceSeq', 'seq'])]: anyValue(r) };
        break;
      case 'smuggleKey':
        payload = smuggle(obj ?? {}, r);
        break;
      case 'hugeString': {
        // Sized on the encoded frame: a little under the limit is refused by the schema, a little over closes the connection.
        const target = bufferLimit + r.pick([-600, -300, -100, 50, 200, 1000]);
        const base: Record<string, unknown> = obj && keys.length ? { ...obj } : { channelId: 'fz-a' };
        const key = r.pick(stringKeys(base).length ? stringKeys(base) : Object.keys(base));
        base[key] = '';
        const fill = Math.max(0, target - frameBytes(event, base));
        base[key] = (r.chance(0.5) ? 'x' : 'é').repeat(r.chance(0.5) ? fill : Math.floor(fill / 2));
        payload = base;
        break;
      }
      case 'deepNesting':
        payload = obj && keys.length && r.chance(0.6) ? { ...obj, [r.pick(keys)]: deep(r, r.int(50, 2000)) } : deep(r, r.int(50, 2000));
        break;
      case 'surrogate':
        if (obj && stringKeys(obj).length) {
          const k = r.pick(stringKeys(obj));
          payload = { ...obj, [k]: `${obj[k] as string}${r.pick(['\ud800', '\udc00', '\ud83d', '\ude00x', '\ufffe', '\u0000'])}` };
        }
        break;
      case 'binaryField':
        if (obj && keys.length) payload = { ...obj, [r.pick(keys)]: binary(r, r.pick([0, 8, 64, 4096])) };
        break;
      case 'binaryPayload':
        payload = r.chance(0.5) ? binary(r) : [binary(r), binary(r)];
        break;
      case 'replacePayload':
        payload = r.chance(0.2) ? NO_PAYLOAD : anyValue(r);
        break;
      case 'arrayPayload':
        payload = r.chance(0.5) ? [payload] : obj ? Object.entries(obj) : [];
        break;
      case 'numberEdge':
        payload = { ...(obj ?? {}), [r.pick(['sinceSeq', 'seq', 'limit', 'beforeSeq', 'afterSeq', 'channelId'])]: r.pick(NUMBER_NASTIES) };
        break;
      case 'extraArgs':
        for (let n = r.int(1, 3); n > 0; n--) extraArgs.push(anyValue(r));
        break;
      case 'missingAck':
        withAck = false;
        break;
      case 'boundary':
        if (obj) {
          const k = r.pick(['channelId', 'content', 'clientMsgId', 'threadId', 'messageId', 'epoch', 'token']);
          payload = { ...obj, [k]: 'a'.repeat(r.pick([0, 1, 7, 8, 64, 65, 128, 129, 200, 201, 4000, 4001, 8192, 8193])) };
        }
        break;
    }
  }
  return { event, payload, extraArgs, withAck, kinds };
}

/** The packet a socket.io-client would send for this input (ack id 1 when it has one). */
function packetOf(input: Pick<FuzzInput, 'event' | 'payload' | 'extraArgs' | 'withAck'>): Packet {
  const args = input.payload === NO_PAYLOAD ? [...input.extraArgs] : [input.payload, ...input.extraArgs];
  return { type: PacketType.EVENT, nsp: '/', data: [input.event, ...args], ...(input.withAck ? { id: 1 } : {}) };
}

/** Bytes of the largest WebSocket frame the input needs (Engine.IO adds one type byte to text frames). */
export function frameSizes(input: Pick<FuzzInput, 'event' | 'payload' | 'extraArgs' | 'withAck'>): number[] {
  const [head, ...attachments] = new Encoder().encode(packetOf(input)) as [string, ...ArrayBufferLike[]];
  return [Buffer.byteLength(`4${head}`), ...attachments.map((a) => (a as ArrayBuffer).byteLength)];
}

function frameBytes(event: ClientEventName, payload: unknown): number {
  return frameSizes({ event, payload, extraArgs: [], withAck: true })[0];
}

/**
 * The payload exactly as the gateway's handler receives it: encoded and decoded by the same
 * socket.io parser (NaN → null, undefined dropped, binary → Buffer), then its first argument.
 */
export function asReceived(input: FuzzInput): unknown {
  const parts = new Encoder().encode(packetOf(input)) as unknown[];
  let decoded: Packet | undefined;
  const decoder = new Decoder();
  decoder.on('decoded', (p: Packet) => { decoded = p; });
  for (const part of parts) {
    decoder.add(typeof part === 'string' ? part : ArrayBuffer.isView(part) ? Buffer.from(part.buffer, part.byteOffset, part.byteLength) : Buffer.from(part as ArrayBuffer));
  }
  const args = (decoded!.data as unknown[]).slice(1);
  return args.length > 0 ? args[0] : undefined;
}

/** Whether the gateway's own schema accepts the payload (then any documented answer is fine). */
export function isValid(input: FuzzInput): boolean {
  return schemas[input.event].safeParse(asReceived(input)).success;
}
