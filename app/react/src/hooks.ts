import type { ConnectionState, PendingMessage, SentMessage } from '@socket-gateway/client';
import { useCallback, useEffect, useSyncExternalStore } from 'react';
import type { ChannelView } from './channel-store';
import type { Shared } from './external-store';
import { useGateway } from './gateway-provider';
import type { PresenceMap, PresenceQuery } from './presence-store';

/** Holds a shared store while the component is mounted. */
function useShared(shared: Shared): void {
  useEffect(() => {
    shared.acquire();
    return () => shared.release();
  }, [shared]);
}

/** The connection state; re-renders on every change. */
export function useConnectionState(): ConnectionState {
  const { client } = useGateway();
  const subscribe = useCallback((fn: () => void) => client.on('state', fn), [client]);
  const get = () => client.state;
  return useSyncExternalStore(subscribe, get, get);
}

export interface UseChannelResult extends ChannelView {
  /** Sends to this channel (optimistic: it shows in `pending` at once, queued while offline). */
  send: (content: string, opts?: { threadId?: string; clientMsgId?: string }) => Promise<SentMessage>;
}

/** Joins `channelId` while mounted (shared by every component that uses the same id). */
export function useChannel(channelId: string): UseChannelResult {
  const { client, stores } = useGateway();
  const store = stores.channel(channelId);
  useShared(store.shared);
  const view = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  const send = useCallback((content: string, opts?: { threadId?: string; clientMsgId?: string }) => client.send(channelId, content, opts), [client, channelId]);
  return { ...view, send };
}

/** Presence of some users (an array) or of a channel's members (its id): userId → entry. */
export function usePresence(query: PresenceQuery): PresenceMap {
  const { stores } = useGateway();
  const store = stores.presenceOf(query);
  useShared(store.shared);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/** Who else is typing in a channel, and a throttled setter for the user's own indicator. */
export function useTyping(channelId: string): { typing: readonly string[]; setTyping: (isTyping: boolean) => void } {
  const { stores } = useGateway();
  const store = stores.typingIn(channelId);
  useShared(store.shared);
  const typing = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  return { typing, setTyping: store.setTyping };
}

/** Every message sent but not acknowledged yet, oldest first (all channels). */
export function usePendingMessages(): readonly PendingMessage[] {
  const { client } = useGateway();
  const subscribe = useCallback((fn: () => void) => client.on('pending', fn), [client]);
  const get = () => client.pending();
  return useSyncExternalStore(subscribe, get, get);
}

