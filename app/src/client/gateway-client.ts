import { io, type Socket } from 'socket.io-client';
import {
  ERROR_CODES, type Ack, type AckFn, type ChannelJoinResult, type ChatMessage, type ClientEventName,
  type ClientToServerEvents, type ConnectionReady, type DrainingEvent, type ErrorCode, type MessageHistoryPayload,
  type PresenceGetPayload, type PresenceUpdatePayload, type ServerToClientEvents, type ThreadPayload,
} from '../contracts/events';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff';
import { GatewayChannel, type ChannelEvents, type ChannelSnapshot } from './channel-handle';
import { ChannelSubscription, type ChannelLink, type ChannelOptions, type GapInfo, type SubscribeFrom } from './channel-subscription';
import type { ConnectionState, GatewayClientEvents, GatewayClientOptions, NetworkEvents } from './client-options';
import { TypedEmitter } from './emitter';
import { GatewayClientError } from './errors';
import { decodeTokenTimes } from './jwt';
import { MessageSender, type PendingMessage, type SendLink, type SentMessage } from './message-sender';
import type { SubscriptionState } from './subscription-state';
import { TimerSet } from './timers';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type PayloadOf<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[0];
/** The `ok: true` body of an event's ack, without `ok`. */
export type AckBody<E extends ClientEventName> = ClientToServerEvents[E] extends (p: never, ack: AckFn<infer T>) => void ? T : object;

/** setTimeout cannot wait longer than this (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;
const SOCKET_EVENTS = ['connect', 'connect_error', 'disconnect'] as const;
const noop = () => undefined;

interface Resolved {
  url: string;
  getToken: () => string | Promise<string>;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  backoff: BackoffOptions;
  ackTimeoutMs: number;
  subscribeRetries: number;
  maxPendingMessages: number;
  maxSendFailures: number;
  refreshBeforeExpiryMs: number;
  autoRefresh: boolean;
  transports: Array<'websocket' | 'polling'>;
  onGap?: (gap: GapInfo) => void;
  random: () => number;
  network: NetworkEvents | null;
}

/** What the client keeps per channel besides the subscription: the app's handle and the member list. */
interface ChannelRecord {
  handle: GatewayChannel;
  events: TypedEmitter<ChannelEvents>;
  members: readonly string[];
  error: GatewayClientError | null;
  snapshot: ChannelSnapshot | null;
}

/** Browsers' `window`; Node has no online/offline events. */
function defaultNetwork(): NetworkEvents | null {
  const g = globalThis as { addEventListener?: unknown; navigator?: { onLine?: unknown } };
  return typeof g.addEventListener === 'function' && typeof g.navigator?.onLine === 'boolean' ? (globalThis as unknown as NetworkEvents) : null;
}

/**
 * The gateway client (README in this folder): one connection with SDK-owned reconnects,
 * per-channel ordered delivery with replay and gap filling, and an outbox that survives
 * disconnects. Runs in browsers and Node.
 */
export class GatewayClient {
  private readonly o: Resolved;
  private readonly timers: TimerSet;
  private readonly events = new TypedEmitter<GatewayClientEvents>();
  private readonly channels = new Map<string, ChannelSubscription>();
  private readonly records = new Map<string, ChannelRecord>();
  /** `pending()` answers, reused until the outbox changes (stable snapshots for useSyncExternalStore) */
  private pendingCache = new Map<string, PendingMessage[]>();
  private readonly sender: MessageSender;
  private readonly channelOpts: ChannelOptions;
  private readonly inflight = new Set<(err: GatewayClientError) => void>();
  private readonly threads = new Map<string, ThreadPayload>();
  private socket: ClientSocket | null = null;
  private lastSocket: ClientSocket | null = null;
  private current: ConnectionState = 'idle';
  /** Bumped for every socket (and by close); callbacks of older sockets are ignored. */
  private generation = 0;
  private reconnectAttempt = 0;
  private ready: ConnectionReady | null = null;
  private everConnected = false;
  private lastError: GatewayClientError | null = null;
  private connectWait: { promise: Promise<ConnectionReady>; resolve: (r: ConnectionReady) => void; reject: (e: Error) => void; timer: object } | null = null;
  private reconnectTimer: object | null = null;
  private attemptTimer: object | null = null;
  private refreshTimer: object | null = null;
  private drainTimer: object | null = null;
  private tokenExpired = false;
  /** the token of the current (or last accepted) connection; null once the gateway refused it */
  private token: string | null = null;
  /** the one getToken() call in flight, shared by every caller */
  private tokenFlight: Promise<string> | null = null;
  private networkAttached = false;
  /** the browser said `offline` and has not said `online` since */
  private offline = false;
  private readonly onOnline = () => this.networkOnline();
  private readonly onOffline = () => this.networkOffline();
  /** server clock minus local clock, from `connection:ready`, so token expiry is judged on the server's time */
  private skewMs = 0;
  private presenceStatus: PresenceUpdatePayload['status'] | null = null;
  private presenceSubscribed = false;

  constructor(options: GatewayClientOptions) {
    this.o = {
      url: options.url,
      getToken: options.getToken,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      ackTimeoutMs: options.ackTimeoutMs ?? 5_000,
      subscribeRetries: options.subscribeRetries ?? 3,
      maxPendingMessages: options.maxPendingMessages ?? 1_000,
      maxSendFailures: options.maxSendFailures ?? 8,
      refreshBeforeExpiryMs: options.refreshBeforeExpiryMs ?? 60_000,
      autoRefresh: options.autoRefresh ?? true,
      transports: options.transports ?? ['websocket', 'polling'],
      onGap: options.onGap,
      random: options.random ?? Math.random,
      network: options.network === undefined ? defaultNetwork() : options.network,
    };
    this.timers = new TimerSet(options.timers);
    this.channelOpts = {
      ackTimeoutMs: this.o.ackTimeoutMs, retries: this.o.subscribeRetries, backoff: this.o.backoff,
      random: this.o.random, historyPageSize: 100,
    };
    const sendLink: SendLink = {
      canSend: (channelId) => this.current === 'connected' && this.channels.get(channelId)?.state !== 'subscribing',
      send: (payload, timeoutMs) => this.rawRequest('message:send', payload, timeoutMs),
    };
    this.sender = new MessageSender(sendLink, this.timers, {
      maxPending: this.o.maxPendingMessages, ackTimeoutMs: this.o.ackTimeoutMs, maxFailures: this.o.maxSendFailures,
      backoff: this.o.backoff, random: this.o.random,
    }, () => {
      this.pendingCache = new Map();
      this.events.emit('pending', this.pending());
    });
  }

  // ---- connection ---------------------------------------------------------------------------

  get state(): ConnectionState {
    return this.current;
  }

  /** The `connection:ready` of the current connection (null while not connected). */
  get connection(): ConnectionReady | null {
    return this.ready;
  }

  /**
   * Connects and resolves on `connection:ready`. Network errors are retried with backoff until
   * `connectTimeoutMs`; a refused token (AUTH_FAILED) or FORBIDDEN rejects at once. Once
   * connected, the client reconnects by itself until `close()`.
   */
  connect(): Promise<ConnectionReady> {
    if (this.current === 'closed') return Promise.reject(new GatewayClientError('CLOSED', 'the client is closed'));
    this.attachNetwork();
    if (this.current === 'connected' && this.ready) return Promise.resolve(this.ready);
    if (!this.connectWait) {
      let resolve!: (r: ConnectionReady) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<ConnectionReady>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(noop);
      const timer = this.timers.set(() => {
        const last = this.lastError ? ` (last error: ${this.lastError.message})` : '';
        this.failConnect(new GatewayClientError('TIMEOUT', `could not connect to ${this.o.url} within ${this.o.connectTimeoutMs} ms${last}`));
      }, this.o.connectTimeoutMs);
      this.connectWait = { promise, resolve, reject, timer };
    }
    if (this.current === 'idle') {
      this.setState('connecting');
      void this.openSocket();
    }
    return this.connectWait.promise;
  }

  /**
   * Drops the connection and stops reconnecting, keeping everything else: channels are joined
   * again and queued sends flow again on the next `connect()`. Requests in flight reject with
   * DISCONNECTED. This is the pair of `connect()` a React effect cleanup wants.
   */
  disconnect(): void {
    if (this.current === 'closed' || this.current === 'idle') return;
    this.generation++;
    this.detachNetwork();
    // Straight to idle: connectionLost() would announce 'reconnecting', which is not going to happen.
    this.current = 'idle';
    this.connectionLost();
    for (const t of [this.reconnectTimer, this.drainTimer]) this.timers.clear(t);
    this.reconnectTimer = this.drainTimer = null;
    this.reconnectAttempt = 0;
    // The next connect() is a first connection again: a refused token rejects it at once.
    this.everConnected = false;
    const wait = this.connectWait;
    this.connectWait = null;
    if (wait) {
      this.timers.clear(wait.timer);
      wait.reject(new GatewayClientError('DISCONNECTED', 'disconnect() was called'));
    }
    this.events.emit('state', 'idle');
  }

  /**
   * Terminal: closes the connection and removes every listener and timer; pending promises
   * reject with CLOSED, and every later call does too. Use `disconnect()` to pause instead.
   */
  close(): void {
    if (this.current === 'closed') return;
    this.generation++;
    const err = new GatewayClientError('CLOSED', 'the client was closed');
    this.detachNetwork();
    this.timers.clearAll();
    this.dropSocket();
    this.failInflight(err);
    for (const c of this.channels.values()) c.close(err);
    for (const id of [...this.records.keys()]) this.endRecord(id, err);
    this.channels.clear();
    this.sender.failAll(err);
    const wait = this.connectWait;
    this.connectWait = null;
    wait?.reject(err);
    this.ready = null;
    this.setState('closed');
    this.events.removeAll();
  }

  on<K extends keyof GatewayClientEvents>(event: K, fn: GatewayClientEvents[K]): () => void {
    return this.events.on(event, fn);
  }

  once<K extends keyof GatewayClientEvents>(event: K, fn: GatewayClientEvents[K]): () => void {
    return this.events.once(event, fn);
  }

  off<K extends keyof GatewayClientEvents>(event: K, fn: GatewayClientEvents[K]): void {
    this.events.off(event, fn);
  }

  // ---- channels ------------------------------------------------------------------------------

  /**
   * Joins a channel and keeps it joined across reconnects. Resolves with the first join's ack;
   * messages then arrive as `message:new`, in seq order, once each. `from` resumes after a seq
   * (and epoch) the application persisted; by default delivery starts at the present.
   */
  subscribe(channelId: string, from?: SubscribeFrom): Promise<ChannelJoinResult> {
    if (this.current === 'closed') return Promise.reject(new GatewayClientError('CLOSED', 'the client is closed'));
    return this.join(channelId, from).done;
  }

  /**
   * The channel as an object of its own (joined on first use, kept joined across reconnects):
   * `on('message' | 'member' | 'gap' | 'state')`, `send`, `history`, `leave`. Asking again for a
   * joined channel returns the same object.
   */
  channel(channelId: string, from?: SubscribeFrom): GatewayChannel {
    if (this.current === 'closed') throw new GatewayClientError('CLOSED', 'the client is closed');
    return this.join(channelId, from).handle;
  }

  private join(channelId: string, from?: SubscribeFrom): { done: Promise<ChannelJoinResult>; handle: GatewayChannel } {
    let sub = this.channels.get(channelId);
    if (!sub) {
      sub = new ChannelSubscription(channelId, this.channelLink(), {
        deliver: (messages) => {
          const events = this.records.get(channelId)?.events;
          for (const m of messages) {
            events?.emit('message', m);
            this.events.emit('message:new', m);
          }
        },
        gap: (gap) => {
          this.o.onGap?.(gap);
          this.records.get(channelId)?.events.emit('gap', gap);
          this.events.emit('gap', gap);
        },
        stateChanged: (state, error) => this.onSubscriptionState(channelId, state, error),
        joined: (result) => this.onJoined(result),
      }, this.timers, this.channelOpts, from);
      this.channels.set(channelId, sub);
    }
    const failed = sub.state === 'failed';
    const done = sub.subscribe();
    done.catch(noop);
    let record = this.records.get(channelId);
    if (!record) {
      const events = new TypedEmitter<ChannelEvents>();
      record = { handle: new GatewayChannel(channelId, this, events, done), events, members: [], error: null, snapshot: null };
      this.records.set(channelId, record);
    } else if (failed) {
      record.error = null;
    }
    return { done, handle: record.handle };
  }

  /** Leaves a channel; its queued sends reject with CLOSED. */
  unsubscribe(channelId: string): void {
    const sub = this.channels.get(channelId);
    if (!sub) return;
    this.channels.delete(channelId);
    // The handle hears one last `state` (unsubscribed) from endRecord, not a second one from the machine.
    this.endRecord(channelId, null);
    sub.unsubscribe();
    this.sender.failAll(new GatewayClientError('CLOSED', `unsubscribed from ${channelId}`), channelId);
    for (const [key, t] of this.threads) if (t.channelId === channelId) this.threads.delete(key);
    if (this.current === 'connected') this.rawRequest('channel:leave', { channelId }).catch(noop);
  }

  /**
   * Where a subscription stands; `lastSeq` and `epoch` are what an app persists to resume later.
   * The same object comes back until something in it changes.
   */
  subscription(channelId: string): ChannelSnapshot | null {
    return this.snapshot(channelId);
  }

  /** @see subscription */
  snapshot(channelId: string): ChannelSnapshot | null {
    const sub = this.channels.get(channelId);
    const record = this.records.get(channelId);
    if (!sub || !record) return null;
    const prev = record.snapshot;
    if (prev && prev.state === sub.state && prev.lastSeq === sub.lastSeq && prev.epoch === sub.currentEpoch && prev.members === record.members && prev.error === record.error) {
      return prev;
    }
    record.snapshot = { channelId, state: sub.state, lastSeq: sub.lastSeq, epoch: sub.currentEpoch, members: record.members, error: record.error };
    return record.snapshot;
  }

  // ---- messages ------------------------------------------------------------------------------

  /**
   * Sends a message. It joins the pending list at once (optimistic UI), waits in the offline
   * queue while disconnected, and is retried with the same clientMsgId on timeouts, UNAVAILABLE
   * and RATE_LIMITED (after `retryAfterMs`). Resolves with the gateway's ack.
   */
  send(channelId: string, content: string, opts: { threadId?: string; clientMsgId?: string } = {}): Promise<SentMessage> & { clientMsgId: string } {
    if (this.current === 'closed') {
      const closed = Promise.reject(new GatewayClientError('CLOSED', 'the client is closed'));
      closed.catch(noop);
      return Object.assign(closed, { clientMsgId: opts.clientMsgId ?? '' });
    }
    const { clientMsgId, done } = this.sender.enqueue(channelId, content, opts);
    done.catch(noop);
    return Object.assign(done, { clientMsgId });
  }

  /** Messages sent but not yet acknowledged, oldest first; the same array until the outbox changes. */
  pending(channelId?: string): PendingMessage[] {
    const key = channelId ?? '\u0000all';
    let list = this.pendingCache.get(key);
    if (!list) this.pendingCache.set(key, (list = this.sender.pending(channelId)));
    return list;
  }

  history(channelId: string, query: Omit<MessageHistoryPayload, 'channelId'> = {}): Promise<AckBody<'message:history'>> {
    return this.request('message:history', { channelId, ...query });
  }

  editMessage(channelId: string, messageId: string, content: string): Promise<AckBody<'message:edit'>> {
    return this.request('message:edit', { channelId, messageId, content });
  }

  deleteMessage(channelId: string, messageId: string): Promise<AckBody<'message:delete'>> {
    return this.request('message:delete', { channelId, messageId });
  }

  markRead(channelId: string, seq: number): Promise<AckBody<'message:read'>> {
    return this.request('message:read', { channelId, seq });
  }

  // ---- presence, typing, threads, notifications ------------------------------------------------

  /** Typing indicators are volatile: dropped while disconnected, never queued. */
  typing(channelId: string, isTyping: boolean, threadId?: string): void {
    if (this.current !== 'connected' || !this.socket) return;
    this.socket.volatile.emit('user:typing', { channelId, isTyping, ...(threadId ? { threadId } : {}) });
  }

  /** Sets the user's status; re-sent after every reconnect. */
  setPresence(status: PresenceUpdatePayload['status']): Promise<AckBody<'presence:update'>> {
    this.presenceStatus = status;
    return this.request('presence:update', { status });
  }

  getPresence(query: PresenceGetPayload): Promise<AckBody<'presence:get'>> {
    return this.request('presence:get', query);
  }

  /** Receives every `presence:changed` (kept across reconnects). */
  subscribePresence(): Promise<AckBody<'presence:subscribe'>> {
    this.presenceSubscribed = true;
    return this.request('presence:subscribe', {});
  }

  unsubscribePresence(): Promise<AckBody<'presence:unsubscribe'>> {
    this.presenceSubscribed = false;
    return this.request('presence:unsubscribe', {});
  }

  /** Joins a thread (kept across reconnects, after its channel is joined again). */
  joinThread(channelId: string, threadId: string): Promise<AckBody<'thread:join'>> {
    this.threads.set(`${channelId}\u0000${threadId}`, { channelId, threadId });
    return this.request('thread:join', { channelId, threadId });
  }

  leaveThread(channelId: string, threadId: string): Promise<AckBody<'thread:leave'>> {
    this.threads.delete(`${channelId}\u0000${threadId}`);
    return this.request('thread:leave', { channelId, threadId });
  }

  ackNotifications(ids: string[]): Promise<AckBody<'notification:ack'>> {
    return this.request('notification:ack', { ids });
  }

  /** Any client event of the contract, with an ack timeout; `ok: false` answers reject with GatewayClientError. */
  async request<E extends ClientEventName>(event: E, payload: PayloadOf<E>, opts: { timeoutMs?: number } = {}): Promise<AckBody<E>> {
    const ack = await this.rawRequest<AckBody<E> & object>(event, payload, opts.timeoutMs);
    if (!ack.ok) throw GatewayClientError.fromBody(ack.error);
    const { ok, ...body } = ack as { ok: true } & Record<string, unknown>;
    void ok;
    return body as AckBody<E>;
  }

  /** Counters for leak checks: live SDK timers, requests in flight, queued sends, listeners. */
  diagnostics(): { timers: number; inflight: number; pendingMessages: number; listeners: number; socketListeners: number; connected: boolean } {
    const s = this.lastSocket;
    const socketListeners = s ? s.listenersAny().length + SOCKET_EVENTS.reduce((n, e) => n + s.listeners(e).length, 0) : 0;
    return {
      timers: this.timers.size,
      inflight: this.inflight.size,
      pendingMessages: this.sender.size,
      listeners: this.events.listenerCount(),
      socketListeners,
      connected: s?.connected ?? false,
    };
  }

  // ---- internals: the socket -------------------------------------------------------------------

  private async openSocket(): Promise<void> {
    const gen = ++this.generation;
    this.timers.clear(this.reconnectTimer);
    this.reconnectTimer = null;
    let token: string;
    try {
      token = await this.obtainToken();
    } catch (err) {
      this.attemptFailed(gen, new GatewayClientError('AUTH_FAILED', `the token provider failed: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    if (gen !== this.generation) return;
    this.token = token;
    // Socket.IO's own reconnection is off: the SDK reconnects, so that an attempt can take a new
    // token when the old one was refused or is about to expire, and the backoff is the SDK's (full jitter).
    const socket: ClientSocket = io(this.o.url, {
      auth: { token }, transports: this.o.transports, reconnection: false, forceNew: true,
      timeout: this.o.handshakeTimeoutMs, autoConnect: false,
      // Behind a proxy that blocks WebSocket, fall back to long-polling within the same attempt.
      tryAllTransports: true,
    });
    this.socket = socket;
    this.lastSocket = socket;
    socket.on('connect_error', (err) => this.onConnectError(gen, err));
    socket.on('disconnect', () => this.onDisconnect(gen));
    socket.onAny((event: string, ...args: unknown[]) => this.onServerEvent(gen, event, args));
    this.attemptTimer = this.timers.set(() => {
      this.attemptTimer = null;
      this.attemptFailed(gen, new GatewayClientError('TIMEOUT', `no connection:ready within ${this.o.handshakeTimeoutMs} ms`));
    }, this.o.handshakeTimeoutMs);
    socket.connect();
  }

  private onConnectError(gen: number, err: Error & { data?: { code?: string; message?: string; retryAfterMs?: number }; description?: unknown }): void {
    const data = err.data;
    if (data?.code && (ERROR_CODES as readonly string[]).includes(data.code)) {
      // A refused token is never offered again: the next attempt asks the provider for a new one.
      if (data.code === 'AUTH_FAILED' && gen === this.generation) this.token = null;
      this.attemptFailed(gen, new GatewayClientError(data.code as ErrorCode, `connection refused (${data.code}): ${data.message ?? err.message}`, data.retryAfterMs));
      return;
    }
    const detail = describeTransportError(err);
    this.attemptFailed(gen, new GatewayClientError('CONNECT_FAILED', `cannot reach ${this.o.url}: ${detail}`));
  }

  private attemptFailed(gen: number, err: GatewayClientError): void {
    if (gen !== this.generation || this.current === 'closed') return;
    this.lastError = err;
    this.timers.clear(this.attemptTimer);
    this.attemptTimer = null;
    this.dropSocket();
    if (!this.everConnected && this.connectWait && (err.code === 'AUTH_FAILED' || err.code === 'FORBIDDEN')) {
      this.failConnect(err);
      return;
    }
    this.events.emit('error', err);
    this.scheduleReconnect(err.retryAfterMs ?? 0);
  }

  private failConnect(err: GatewayClientError): void {
    const wait = this.connectWait;
    if (!wait) return;
    this.connectWait = null;
    this.timers.clear(wait.timer);
    wait.reject(err);
    if (!this.everConnected) {
      // A first connection that fails stops trying; the application decides whether to call connect() again.
      this.generation++;
      this.timers.clear(this.reconnectTimer);
      this.timers.clear(this.attemptTimer);
      this.reconnectTimer = this.attemptTimer = null;
      this.dropSocket();
      this.setState('idle');
    }
  }

  private scheduleReconnect(minDelayMs = 0): void {
    if (this.current === 'closed' || this.current === 'idle') return;
    if (this.current !== 'connecting') this.setState('reconnecting');
    const floor = this.offline ? this.o.backoff.maxMs : minDelayMs;
    const delay = Math.max(floor, backoffDelay(this.reconnectAttempt++, this.o.backoff, this.o.random));
    this.timers.clear(this.reconnectTimer);
    this.reconnectTimer = this.timers.set(() => {
      this.reconnectTimer = null;
      void this.openSocket();
    }, delay);
  }

  private onDisconnect(gen: number): void {
    if (gen !== this.generation) return;
    this.connectionLost();
    // After server:draining the drain timer reconnects at the delay the server asked for.
    if (this.drainTimer) return;
    if (this.tokenExpired) {
      // The token ran out: reconnect at once, the provider gives a fresh one.
      this.tokenExpired = false;
      this.reconnectAttempt = 0;
      this.setState('reconnecting');
      void this.openSocket();
      return;
    }
    this.scheduleReconnect();
  }

  private connectionLost(): void {
    this.timers.clear(this.attemptTimer);
    this.timers.clear(this.refreshTimer);
    this.attemptTimer = this.refreshTimer = null;
    this.dropSocket();
    this.ready = null;
    this.failInflight(new GatewayClientError('DISCONNECTED', 'the connection was lost'));
    for (const c of this.channels.values()) c.onConnectionLost();
    this.sender.connectionLost();
    if (this.current === 'connected') this.setState('reconnecting');
  }

  /** Detaches every listener before closing, so nothing of this socket reaches the client again. */
  private dropSocket(): void {
    const s = this.socket;
    if (!s) return;
    this.socket = null;
    s.offAny();
    s.removeAllListeners();
    s.disconnect();
  }

  private onServerEvent(gen: number, event: string, args: unknown[]): void {
    if (gen !== this.generation) return;
    switch (event) {
      case 'connection:ready':
        this.onReady(args[0] as ConnectionReady);
        break;
      case 'message:new': {
        const m = args[0] as ChatMessage;
        const sub = this.channels.get(m.channelId);
        if (sub) sub.onMessage(m);
        else this.events.emit('message:new', m);
        return;
      }
      case 'auth:expired':
        this.tokenExpired = true;
        this.token = null;
        break;
      case 'channel:member_joined':
      case 'channel:member_left':
        this.onMember(event === 'channel:member_joined', args[0] as { channelId: string; userId: string });
        break;
      case 'server:draining':
        this.onDraining(args[0] as DrainingEvent);
        break;
    }
    (this.events.emit as (e: string, ...a: unknown[]) => void)(event, ...args);
  }

  private onReady(info: ConnectionReady): void {
    this.timers.clear(this.attemptTimer);
    this.attemptTimer = null;
    this.ready = info;
    this.tokenExpired = false;
    this.everConnected = true;
    this.reconnectAttempt = 0;
    this.lastError = null;
    const serverNow = Date.parse(info.serverTime);
    if (!Number.isNaN(serverNow)) this.skewMs = serverNow - this.timers.now();
    this.setState('connected');
    const wait = this.connectWait;
    if (wait) {
      this.connectWait = null;
      this.timers.clear(wait.timer);
      wait.resolve(info);
    }
    this.scheduleRefresh();
    for (const c of this.channels.values()) c.onConnected();
    const quiet = (p: Promise<unknown>) => p.catch((err: GatewayClientError) => this.reportQuiet(err));
    if (this.presenceSubscribed) quiet(this.request('presence:subscribe', {}));
    if (this.presenceStatus) quiet(this.request('presence:update', { status: this.presenceStatus }));
    this.sender.pump();
  }

  private onSubscriptionState(channelId: string, state: SubscriptionState, error?: GatewayClientError): void {
    const record = this.records.get(channelId);
    if (record && error) record.error = error;
    this.events.emit('subscription', { channelId, state, ...(error ? { error } : {}) });
    if (record && state !== 'subscribed') {
      // 'subscribed' is announced by onJoined, with the members of the join.
      const snap = this.snapshot(channelId);
      if (snap) record.events.emit('state', snap);
    }
    if (state === 'subscribing') return;
    if (state === 'subscribed') {
      for (const t of this.threads.values()) {
        if (t.channelId === channelId) this.request('thread:join', t).catch((err: GatewayClientError) => this.reportQuiet(err));
      }
    }
    this.sender.pump(channelId);
  }

  /** Every join and rejoin: the ack's member list replaces the one a reconnect may have made stale. */
  private onJoined(result: ChannelJoinResult): void {
    const record = this.records.get(result.channelId);
    if (record) {
      record.members = [...result.members];
      record.error = null;
      const snap = this.snapshot(result.channelId);
      if (snap) record.events.emit('state', snap);
    }
    this.events.emit('subscribed', result);
  }

  private onMember(joined: boolean, e: { channelId: string; userId: string }): void {
    const record = this.records.get(e?.channelId);
    if (!record) return;
    const has = record.members.includes(e.userId);
    if (joined === has) return;
    record.members = joined ? [...record.members, e.userId] : record.members.filter((u) => u !== e.userId);
    record.events.emit('member', { userId: e.userId, joined, members: record.members });
  }

  private endRecord(channelId: string, err: GatewayClientError | null): void {
    const record = this.records.get(channelId);
    if (!record) return;
    this.records.delete(channelId);
    const last = record.snapshot;
    record.handle.ended({
      channelId, state: 'unsubscribed', lastSeq: last?.lastSeq ?? null, epoch: last?.epoch ?? null, members: [], error: err,
    });
  }

  private onDraining(e: DrainingEvent): void {
    if (this.drainTimer) return;
    const delay = Math.max(0, Number(e?.reconnectInMs) || 0);
    this.drainTimer = this.timers.set(() => {
      this.drainTimer = null;
      if (this.current === 'closed') return;
      // Leave before the draining instance closes us, at the moment it suggested (spread by its jitter).
      if (this.socket) this.connectionLost();
      this.reconnectAttempt = 0;
      this.setState('reconnecting');
      void this.openSocket();
    }, delay);
  }

  // ---- internals: tokens ------------------------------------------------------------------------

  /**
   * The token for a connection attempt: the current one while it is good, else a new one. So a
   * fleet that reconnects at once does not all call the application's token endpoint.
   */
  private obtainToken(): Promise<string> {
    const token = this.token;
    if (token && this.tokenUsable(token)) return Promise.resolve(token);
    return this.freshToken();
  }

  /** Calls getToken, or joins the call already in flight: never two at once. */
  private freshToken(): Promise<string> {
    if (this.tokenFlight) return this.tokenFlight;
    const flight = (async () => this.o.getToken())();
    this.tokenFlight = flight;
    const done = () => {
      if (this.tokenFlight === flight) this.tokenFlight = null;
    };
    flight.then(done, done);
    return flight;
  }

  /** Not refused and not within the refresh lead of `exp` (tokens without `exp` stay good until refused). */
  private tokenUsable(token: string): boolean {
    const claims = decodeTokenTimes(token);
    if (!claims?.exp) return true;
    const serverNow = this.timers.now() + this.skewMs;
    return serverNow < claims.exp * 1000 - this.refreshLead(claims, serverNow);
  }

  /** How long before `exp` a token is replaced: `refreshBeforeExpiryMs`, at most half its lifetime. */
  private refreshLead(claims: { exp?: number; iat?: number }, serverNow: number): number {
    const expMs = (claims.exp ?? 0) * 1000;
    const lifetime = expMs - (claims.iat !== undefined ? claims.iat * 1000 : serverNow);
    return Math.min(this.o.refreshBeforeExpiryMs, Math.max(0, lifetime / 2));
  }

  // ---- internals: the browser's network state ---------------------------------------------------

  private attachNetwork(): void {
    if (this.networkAttached || !this.o.network) return;
    this.networkAttached = true;
    this.o.network.addEventListener('online', this.onOnline);
    this.o.network.addEventListener('offline', this.onOffline);
  }

  private detachNetwork(): void {
    this.offline = false;
    if (!this.networkAttached || !this.o.network) return;
    this.networkAttached = false;
    this.o.network.removeEventListener('online', this.onOnline);
    this.o.network.removeEventListener('offline', this.onOffline);
  }

  /**
   * The browser lost its network: a WebSocket can take a heartbeat (~45 s) to notice, so let go
   * of it now; sends wait in the outbox. Until `online`, attempts wait the longest backoff
   * (`backoff.maxMs`), in case the browser was wrong.
   */
  private networkOffline(): void {
    if (this.current !== 'connected' && this.current !== 'connecting' && this.current !== 'reconnecting') return;
    this.offline = true;
    this.generation++;
    this.connectionLost();
    if (this.current === 'connecting' || this.current === 'reconnecting') this.scheduleReconnect();
  }

  /** The network is back: reconnect at once instead of waiting out the backoff. */
  private networkOnline(): void {
    this.offline = false;
    if (this.current !== 'connecting' && this.current !== 'reconnecting') return;
    if (this.drainTimer) return;
    this.timers.clear(this.attemptTimer);
    this.attemptTimer = null;
    this.dropSocket();
    this.reconnectAttempt = 0;
    void this.openSocket();
  }

  private scheduleRefresh(): void {
    this.timers.clear(this.refreshTimer);
    this.refreshTimer = null;
    if (!this.o.autoRefresh || !this.token) return;
    const claims = decodeTokenTimes(this.token);
    if (!claims?.exp) return;
    const serverNow = this.timers.now() + this.skewMs;
    const expMs = claims.exp * 1000;
    const lead = this.refreshLead(claims, serverNow);
    const delay = Math.max(0, expMs - lead - serverNow);
    if (delay > MAX_TIMER_MS) {
      this.refreshTimer = this.timers.set(() => this.scheduleRefresh(), MAX_TIMER_MS);
      return;
    }
    this.refreshTimer = this.timers.set(() => {
      this.refreshTimer = null;
      void this.refreshToken();
    }, delay);
  }

  private async refreshToken(): Promise<void> {
    const gen = this.generation;
    const previousExp = this.token ? decodeTokenTimes(this.token)?.exp ?? 0 : 0;
    let token: string;
    try {
      token = await this.freshToken();
    } catch (err) {
      this.reportQuiet(new GatewayClientError('AUTH_FAILED', `the token provider failed: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    if (gen !== this.generation || this.current !== 'connected') return;
    if ((decodeTokenTimes(token)?.exp ?? Infinity) <= previousExp) {
      // Refreshing with a token that expires no later would loop; let auth:expired reconnect instead.
      this.reportQuiet(new GatewayClientError('AUTH_FAILED', 'the token provider returned a token that expires no later than the current one'));
      return;
    }
    try {
      const ack = await this.rawRequest<{ expiresAt: number | null }>('auth:refresh', { token });
      if (gen !== this.generation) return;
      if (!ack.ok) {
        this.reportQuiet(GatewayClientError.fromBody(ack.error));
        return;
      }
      this.token = token;
      this.events.emit('token:refreshed', { expiresAt: ack.expiresAt });
      this.scheduleRefresh();
    } catch (err) {
      this.reportQuiet(err as GatewayClientError);
    }
  }

  // ---- internals: requests ---------------------------------------------------------------------

  private channelLink(): ChannelLink {
    return {
      connected: () => this.current === 'connected',
      request: (event, payload, timeoutMs) => this.rawRequest(event, payload, timeoutMs),
    };
  }

  /** Emits with an ack on the current socket; rejects with TIMEOUT, DISCONNECTED or CLOSED. */
  private rawRequest<R extends object>(event: string, payload: unknown, timeoutMs = this.o.ackTimeoutMs): Promise<Ack<R>> {
    const socket = this.socket;
    if (!socket || this.current !== 'connected') {
      return Promise.reject(new GatewayClientError('DISCONNECTED', `not connected (${event})`));
    }
    return new Promise<Ack<R>>((resolve, reject) => {
      const fail = (err: GatewayClientError) => {
        this.inflight.delete(fail);
        this.timers.clear(timer);
        reject(err);
      };
      const timer = this.timers.set(() => fail(new GatewayClientError('TIMEOUT', `no answer to ${event} within ${timeoutMs} ms`)), timeoutMs);
      this.inflight.add(fail);
      (socket.emit as (e: string, p: unknown, ack: (r: Ack<R>) => void) => void)(event, payload, (ack) => {
        if (!this.inflight.delete(fail)) return;
        this.timers.clear(timer);
        resolve(ack);
      });
    });
  }

  private failInflight(err: GatewayClientError): void {
    for (const fail of [...this.inflight]) fail(err);
  }

  private reportQuiet(err: GatewayClientError): void {
    if (err?.code === 'DISCONNECTED' || err?.code === 'CLOSED') return;
    this.events.emit('error', err instanceof GatewayClientError ? err : new GatewayClientError('INTERNAL_ERROR', String(err)));
  }

  private setState(state: ConnectionState): void {
    if (state === this.current) return;
    this.current = state;
    this.events.emit('state', state);
  }
}

/** Socket.IO reports network failures as "websocket error"; the cause, when there is one, says more. */
function describeTransportError(err: Error & { description?: unknown }): string {
  const d = err.description as { message?: string; error?: { message?: string; code?: string } } | undefined;
  const cause = d?.error?.code ?? d?.error?.message ?? d?.message;
  return cause ? `${err.message} (${cause})` : err.message;
}
