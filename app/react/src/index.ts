/** React bindings of `@socket-gateway/client` (see README.md in this package). */
export { GatewayProvider, useGateway, useGatewayClient, type GatewayProviderProps } from './gateway-provider';
export { useChannel, useConnectionState, usePendingMessages, usePresence, useTyping, type UseChannelResult } from './hooks';
export { HISTORY_ON_JOIN, MAX_MESSAGES, type ChannelView } from './channel-store';
export type { PresenceMap, PresenceQuery } from './presence-store';
export { TYPING_RESEND_MS, TYPING_TIMEOUT_MS } from './typing-store';
