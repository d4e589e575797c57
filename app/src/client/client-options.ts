import type { ServerToClientEvents, ChannelJoinResult, ConnectionReady } from '../contracts/events';
import type { BackoffOptions } from './backoff';
import type { GapInfo } from './channel-subscription';
import type { GatewayClientError } from './errors';
import type { PendingMessage } from './message-sender';
import type { SubscriptionState } from './subscription-state';
import type { TimerHost } from './timers';

/**
 * `idle`: not connected and not trying (before `connect()`, after `disconnect()`, or after a first
 * `connect()` failed); `closed`: after `close()`, for good.
 */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Where the browser announces `online` / `offline` (a `window`). */
export interface NetworkEvents {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}

export interface GatewayClientOptions {
  /** Gateway base URL, e.g. `https://chat.example.com` (Socket.IO path `/socket.io/`). */
  url: string;
  /**
   * Returns a token (JWT), e.g. from your backend. Called only when the client has no token, when
   * the current one is within `refreshBeforeExpiryMs` (at most half its lifetime) of `exp`, or
   * after the gateway refused it; never twice at once. So it should return a new token each time.
   */
  getToken: () => string | Promise<string>;
  /** Gives up `connect()` after this long. @default 10000 */
  connectTimeoutMs?: number;
  /** One connection attempt (handshake to `connection:ready`). @default 10000 */
  handshakeTimeoutMs?: number;
  /** Reconnect, join-retry and send-retry backoff (full jitter). @default { baseMs: 500, maxMs: 10000 } */
  backoff?: Partial<BackoffOptions>;
  /** Timeout of every acknowledged request. @default 5000 */
  ackTimeoutMs?: number;
  /** Join retries after the first attempt. @default 3 */
  subscribeRetries?: number;
  /** Messages waiting to be sent (the offline queue) before `send` refuses with QUEUE_FULL. @default 1000 */
  maxPendingMessages?: number;
  /** Failed attempts of one send before it is given up. @default 8 */
  maxSendFailures?: number;
  /** Send `auth:refresh` with a new token this long before the current one expires (at most half its lifetime). @default 60000 */
  refreshBeforeExpiryMs?: number;
  /** Refresh tokens before they expire; when false the gateway's `auth:expired` leads to a reconnect. @default true */
  autoRefresh?: boolean;
  /** Socket.IO transports, in order of preference. @default ['websocket', 'polling'] */
  transports?: Array<'websocket' | 'polling'>;
  /** Called when messages of a channel cannot be recovered (also emitted as `gap`). */
  onGap?: (gap: GapInfo) => void;
  /**
   * Where to listen for the browser's `online` / `offline` events: offline drops the connection
   * at once (sends wait in the outbox), online reconnects at once. null turns this off.
   * @default window in browsers, null elsewhere
   */
  network?: NetworkEvents | null;
  /** Fake clocks in tests. */
  timers?: TimerHost;
  random?: () => number;
}

/** Events the SDK adds to the gateway's own (which `on()` passes through, typed). */
export interface SdkEvents {
  state: (state: ConnectionState) => void;
  /** Messages of a channel could not be recovered after a reconnect (see GapInfo). */
  gap: (gap: GapInfo) => void;
  subscription: (e: { channelId: string; state: SubscriptionState; error?: GatewayClientError }) => void;
  /** The optimistic pending list changed. */
  pending: (pending: PendingMessage[]) => void;
  /** Something went wrong that no promise reports (failed reconnect attempt, failed refresh). */
  error: (err: GatewayClientError) => void;
  'token:refreshed': (e: { expiresAt: number | null }) => void;
  /** A channel was joined: fires on every join and rejoin, with the ack's `members` and replay. */
  subscribed: (e: ChannelJoinResult) => void;
}

/**
 * What `on()` accepts: every server event of the contract plus the SDK's events. `message:new`
 * is delivered by the SDK per channel in seq order, without duplicates.
 */
export type GatewayClientEvents = ServerToClientEvents & SdkEvents;

export type { ConnectionReady };
