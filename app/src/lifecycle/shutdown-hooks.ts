import { Injectable } from '@nestjs/common';

/**
 * Work that must finish before the process exits (batched notifications, queued webhooks).
 * Features register a flush here; the drain runs them after the last socket is gone.
 */
@Injectable()
export class ShutdownHooks {
  private readonly flushes: Array<{ name: string; run: () => Promise<void> }> = [];

  register(name: string, run: () => Promise<void>): void {
    this.flushes.push({ name, run });
  }

  async flushAll(onError: (name: string, err: unknown) => void): Promise<void> {
    await Promise.all(this.flushes.map((f) => f.run().catch((err) => onError(f.name, err))));
  }
}
