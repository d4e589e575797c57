/**
 * Message ids carry their channel epoch and seq so that edits and deletes find the message
 * without a second index: `m-<epoch>-<seq>`.
 */
export function messageIdFor(epoch: string, seq: number): string {
  return `m-${epoch}-${seq}`;
}

/** Returns the seq of a message id of the given epoch, or null when the id is not one of ours. */
export function seqFromMessageId(messageId: string, epoch: string): number | null {
  const prefix = `m-${epoch}-`;
  if (!messageId.startsWith(prefix)) return null;
  const seq = Number(messageId.slice(prefix.length));
  return Number.isSafeInteger(seq) && seq > 0 ? seq : null;
}

/** A short random epoch; a new one is drawn whenever a channel's sequence starts over. */
export function newEpoch(): string {
  return Math.random().toString(36).slice(2, 10).padEnd(8, '0');
}
