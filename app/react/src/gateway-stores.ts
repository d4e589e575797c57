import type { GatewayClient } from '@socket-gateway/client';
import { ChannelStore } from './channel-store';
import { Shared } from './external-store';
import { PresenceStore, type PresenceQuery } from './presence-store';
import { TypingStore } from './typing-store';

/** One provider's stores, made on first use and shared by every hook that asks for the same key. */
export class GatewayStores {
  private readonly channels = new Map<string, ChannelStore>();
  private readonly presence = new Map<string, PresenceStore>();
  private readonly typing = new Map<string, TypingStore>();
  /** `presence:subscribe` while any usePresence is mounted */
  readonly presenceFeed: Shared;

  constructor(readonly client: GatewayClient) {
    this.presenceFeed = new Shared(
      () => void client.subscribePresence().catch(() => undefined),
      () => void client.unsubscribePresence().catch(() => undefined),
    );
  }

  channel(id: string): ChannelStore {
    return getOrMake(this.channels, id, () => new ChannelStore(this.client, id));
  }

  presenceOf(query: PresenceQuery): PresenceStore {
    const key = typeof query === 'string' ? `c:${query}` : `u:${[...query].sort().join(',')}`;
    return getOrMake(this.presence, key, () => new PresenceStore(this.client, query, this.presenceFeed));
  }

  typingIn(channelId: string): TypingStore {
    return getOrMake(this.typing, channelId, () => new TypingStore(this.client, channelId));
  }
}

function getOrMake<T>(map: Map<string, T>, key: string, make: () => T): T {
  let v = map.get(key);
  if (!v) map.set(key, (v = make()));
  return v;
}
