import type { ChatMessage } from '../contracts/events';
import type { OrderingBuffer } from './ordering-buffer';

/** One page of `message:history { afterSeq }`. */
export interface HistoryPage {
  messages: ChatMessage[];
  hasMore: boolean;
  epoch: string;
}

export type FetchAfter = (afterSeq: number) => Promise<HistoryPage>;

export type FillOutcome =
  /** no hole left (or nothing more on the server) */
  | { kind: 'filled' }
  /** history no longer holds the seq right after the released point: the hole is permanent */
  | { kind: 'unavailable'; afterSeq: number; firstAvailableSeq: number | null }
  /** the channel's sequence restarted while we were reading */
  | { kind: 'epoch_changed'; epoch: string };

/**
 * Pages `message:history { afterSeq }` into the buffer, delivering as it goes. With `untilDone`
 * (after a rejoin with `hasMore`) it reads until the server says there is no more; otherwise
 * (a live hole) it stops as soon as the hole is closed.
 */
export async function fillFromHistory(
  buffer: OrderingBuffer,
  fetchAfter: FetchAfter,
  deliver: (messages: ChatMessage[]) => void,
  opts: { epoch: string; untilDone: boolean },
): Promise<FillOutcome> {
  for (;;) {
    if (!opts.untilDone && !buffer.gap) return { kind: 'filled' };
    const afterSeq = buffer.lastSeq;
    const page = await fetchAfter(afterSeq);
    if (page.epoch !== opts.epoch) return { kind: 'epoch_changed', epoch: page.epoch };
    const first = page.messages[0];
    if (first && first.seq > afterSeq + 1) {
      return { kind: 'unavailable', afterSeq, firstAvailableSeq: first.seq };
    }
    if (!first) {
      // Nothing after afterSeq in history, yet a later message is held: it was trimmed away.
      return buffer.gap ? { kind: 'unavailable', afterSeq, firstAvailableSeq: null } : { kind: 'filled' };
    }
    deliver(buffer.pushAll(page.messages));
    // A page that released nothing would be asked for again forever.
    if (buffer.lastSeq === afterSeq) return { kind: 'unavailable', afterSeq, firstAvailableSeq: first.seq };
    // Without hasMore but with a hole left, what follows may have been appended since: read again.
    if (!page.hasMore && !buffer.gap) return { kind: 'filled' };
  }
}
