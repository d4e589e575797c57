import type { IpBlock, IpBlockStore } from '../engine.ports';

export class MemoryIpBlocks implements IpBlockStore {
  private readonly blocks = new Map<string, number | null>();

  async block(cidr: string, ttlSec: number | null, now: number): Promise<void> {
    this.blocks.set(cidr, ttlSec ? now + ttlSec * 1000 : null);
  }

  async unblock(cidr: string): Promise<boolean> {
    return this.blocks.delete(cidr);
  }

  async list(now: number): Promise<IpBlock[]> {
    const out: IpBlock[] = [];
    for (const [cidr, expiresAt] of this.blocks) {
      if (expiresAt !== null && expiresAt <= now) this.blocks.delete(cidr);
      else out.push({ cidr, expiresAt });
    }
    return out;
  }
}
