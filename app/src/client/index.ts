/**
 * The client SDK of the Socket Gateway (see README.md in this folder). Browser-safe: nothing
 * here imports Node modules.
 */
export { GatewayClient, type AckBody } from './gateway-client';
export type { ConnectionState, GatewayClientEvents, GatewayClientOptions, NetworkEvents, SdkEvents } from './client-options';
export { GatewayChannel, type ChannelEvents, type ChannelSnapshot } from './channel-handle';
export type { GapInfo, SubscribeFrom } from './channel-subscription';
export type { PendingMessage, PendingStatus, SentMessage } from './message-sender';
export type { SubscriptionState } from './subscription-state';
export type { BackoffOptions } from './backoff';
export type { TimerHost } from './timers';
export { GatewayClientError, type ClientErrorCode } from './errors';
export type * from '../contracts/events';
