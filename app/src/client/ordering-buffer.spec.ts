import type { ChatMessage } from '../contracts/events';
import { OrderingBuffer } from './ordering-buffer';

const msg = (seq: number, channelId = 'c1'): ChatMessage => ({
  id: `e.${seq}`, channelId, seq, userId: 'u', content: `m${seq}`, clientMsgId: `client-${seq}`, createdAt: '2024-01-01T00:00:00.000Z',
});
const seqs = (ms: ChatMessage[]) => ms.map((m) => m.seq);

describe(OrderingBuffer.name, () => {
  it('should deliver in-order messages at once', () => {
    const b = new OrderingBuffer(0);
    expect(seqs(b.push(msg(1)))).toEqual([1]);
    expect(seqs(b.push(msg(2)))).toEqual([2]);
    expect(b.lastSeq).toBe(2);
    expect(b.gap).toBeNull();
  });

  it('should hold out-of-order messages and release them when the hole closes', () => {
    const b = new OrderingBuffer(10);
    expect(b.push(msg(13))).toEqual([]);
    expect(b.push(msg(12))).toEqual([]);
    expect(b.gap).toEqual({ afterSeq: 10, beforeSeq: 12 });
    expect(b.heldCount).toBe(2);
    expect(seqs(b.push(msg(11)))).toEqual([11, 12, 13]);
    expect(b.gap).toBeNull();
  });

  it('should drop duplicates, delivered or held', () => {
    const b = new OrderingBuffer(0);
    b.push(msg(1));
    b.push(msg(3));
    expect(b.push(msg(1))).toEqual([]);
    expect(b.push(msg(3))).toEqual([]);
    expect(b.push(msg(0))).toEqual([]);
    expect(b.duplicatesDropped).toBe(3);
    expect(seqs(b.pushAll([msg(2), msg(2), msg(3), msg(4)]))).toEqual([2, 3, 4]);
  });

  it('should report the first hole when several are open', () => {
    const b = new OrderingBuffer(0);
    b.pushAll([msg(3), msg(7)]);
    expect(b.gap).toEqual({ afterSeq: 0, beforeSeq: 3 });
    b.pushAll([msg(1), msg(2)]);
    expect(b.gap).toEqual({ afterSeq: 3, beforeSeq: 7 });
  });

  it('should skip a permanent hole and release what follows', () => {
    const b = new OrderingBuffer(0);
    b.pushAll([msg(5), msg(6), msg(9)]);
    expect(seqs(b.skipGap())).toEqual([5, 6]);
    expect(b.gap).toEqual({ afterSeq: 6, beforeSeq: 9 });
    expect(seqs(b.skipTo(8))).toEqual([9]);
    expect(b.skipTo(3)).toEqual([]);
    expect(b.lastSeq).toBe(9);
  });

  it('should forget held messages on reset (new epoch)', () => {
    const b = new OrderingBuffer(40);
    b.push(msg(45));
    b.reset(2);
    expect(b.gap).toBeNull();
    expect(seqs(b.push(msg(3)))).toEqual([3]);
  });
});
