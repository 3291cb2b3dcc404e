/** What every view needs: the API client and the page's one event stream. */
import { createContext } from 'preact';
import { useContext, useEffect, useRef } from 'preact/hooks';
import type { StreamMessage } from '../../src/ui/api.js';
import { Client, Stream } from './client.js';

export interface Ctx {
  client: Client;
  stream: Stream;
}

export const AppContext = createContext<Ctx | undefined>(undefined);

export function useCtx(): Ctx {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error('useCtx outside AppContext');
  return ctx;
}

/**
 * Calls `handler` for each stream message, and `onReconnect` after the stream comes back from a
 * drop. The latest handler is used without resubscribing, so views can pass closures freely.
 */
export function useStream(handler: (m: StreamMessage) => void, onReconnect?: () => void): void {
  const { stream } = useCtx();
  const latest = useRef({ handler, onReconnect });
  latest.current = { handler, onReconnect };
  useEffect(() => {
    const off = stream.subscribe((m) => {
      latest.current.handler(m);
    });
    const offReconnect = stream.onReconnect(() => latest.current.onReconnect?.());
    return () => {
      off();
      offReconnect();
    };
  }, [stream]);
}
