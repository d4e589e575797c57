import type { InstanceInfo, InstanceRegistry } from '../engine.ports';

export class MemoryInstances implements InstanceRegistry {
  private readonly entries = new Map<string, { info: InstanceInfo; expiresAt: number }>();

  async heartbeat(instanceId: string, stats: Record<string, unknown>, now: number, ttlMs: number): Promise<void> {
    this.entries.set(instanceId, { info: { instanceId, stats, lastSeen: now }, expiresAt: now + ttlMs });
  }

  async alive(now: number): Promise<InstanceInfo[]> {
    return [...this.entries.values()].filter((e) => e.expiresAt > now).map((e) => e.info);
  }

  async lapsed(now: number): Promise<string[]> {
    return [...this.entries.entries()].filter(([, e]) => e.expiresAt <= now).map(([id]) => id);
  }

  async forget(instanceId: string): Promise<void> {
    this.entries.delete(instanceId);
  }
}
