import type { ReadCursorStore } from '../presence.port';

export class MemoryReadCursors implements ReadCursorStore {
  private readonly cursors = new Map<string, number>();

  async advance(channelId: string, userId: string, seq: number): Promise<{ seq: number; moved: boolean }> {
    const key = `${channelId}\u0000${userId}`;
    const current = this.cursors.get(key) ?? 0;
    if (seq <= current) return { seq: current, moved: false };
    this.cursors.set(key, seq);
    return { seq, moved: true };
  }

  async get(channelId: string, userId: string): Promise<number> {
    return this.cursors.get(`${channelId}\u0000${userId}`) ?? 0;
  }
}
