import { GatewayClient, type GatewayClientOptions } from '@socket-gateway/client';
import { createContext, createElement, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { GatewayStores } from './gateway-stores';

interface GatewayContextValue {
  client: GatewayClient;
  stores: GatewayStores;
}

const GatewayContext = createContext<GatewayContextValue | null>(null);

export interface GatewayProviderProps {
  /** A client the application made (and closes). Either this or `options`. */
  client?: GatewayClient;
  /** Options for a client the provider makes and owns (it is disconnected on unmount). */
  options?: GatewayClientOptions;
  /** Call `connect()` on mount and `disconnect()` on unmount. @default true */
  autoConnect?: boolean;
  children?: ReactNode;
}

/**
 * Makes a GatewayClient available to the hooks below it. StrictMode-safe: the effect's
 * mount → unmount → mount is connect → disconnect → connect, and `disconnect()` is reusable.
 */
export function GatewayProvider({ client, options, autoConnect = true, children }: GatewayProviderProps) {
  const [owned] = useState(() => (client ? null : new GatewayClient(required(options))));
  const c = client ?? owned!;
  // Stores only listen once a hook acquires them, so building a spare one in a StrictMode double render costs nothing.
  const value = useMemo<GatewayContextValue>(() => ({ client: c, stores: new GatewayStores(c) }), [c]);

  useEffect(() => {
    if (!autoConnect) return undefined;
    // connect() rejects when the first attempt is refused; useConnectionState() and the client's 'error' event report it.
    c.connect().catch(() => undefined);
    return () => c.disconnect();
  }, [c, autoConnect]);

  return createElement(GatewayContext.Provider, { value }, children);
}

function required(options: GatewayClientOptions | undefined): GatewayClientOptions {
  if (!options) throw new Error('GatewayProvider needs a `client` or `options` prop');
  return options;
}

/** The provider's value; throws outside a GatewayProvider, where no hook can work. */
export function useGateway(): GatewayContextValue {
  const value = useContext(GatewayContext);
  if (!value) throw new Error('socket-gateway hooks must be used inside <GatewayProvider>');
  return value;
}

/** The GatewayClient of the nearest provider, for calls the hooks do not wrap. */
export function useGatewayClient(): GatewayClient {
  return useGateway().client;
}
