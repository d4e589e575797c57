import type { ClaimedWebhook, DeadLetter, WebhookEvent, WebhookQueue } from '../webhook-queue.port';

interface Entry { event: WebhookEvent; attempts: number; lastError: string; visibleAt: number }

export class MemoryWebhookQueue implements WebhookQueue {
  /** Queued and in-flight events, in enqueue order. */
  private readonly queue = new Map<string, Entry>();
  private readonly dead = new Map<string, DeadLetter>();

  async enqueue(events: WebhookEvent[], now: number): Promise<void> {
    for (const event of events) {
      if (this.queue.has(event.id) || this.dead.has(event.id)) continue;
      this.queue.set(event.id, { event, attempts: 0, lastError: '', visibleAt: now });
    }
  }

  async claim(limit: number, visibilityMs: number, now: number): Promise<ClaimedWebhook[]> {
    const due = [...this.queue.values()].filter((e) => e.visibleAt <= now).sort((a, b) => a.visibleAt - b.visibleAt).slice(0, limit);
    return due.map((e) => {
      e.attempts++;
      e.visibleAt = now + visibilityMs;
      return { event: e.event, attempt: e.attempts };
    });
  }

  async ack(id: string): Promise<void> {
    this.queue.delete(id);
  }

  async retry(id: string, attempt: number, dueAt: number, error: string): Promise<void> {
    const e = this.queue.get(id);
    if (!e || e.attempts !== attempt) return;
    e.visibleAt = dueAt;
    e.lastError = error;
  }

  async deadLetter(id: string, attempt: number, error: string, now: number, maxDead: number): Promise<void> {
    const e = this.queue.get(id);
    if (!e || e.attempts !== attempt) return;
    this.queue.delete(id);
    this.dead.set(id, { event: e.event, attempts: e.attempts, lastError: error, deadAt: now });
    while (this.dead.size > maxDead) this.dead.delete(this.dead.keys().next().value!);
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    return [...this.dead.values()].slice(0, limit);
  }

  async requeueDead(ids: string[] | null, limit: number, now: number): Promise<number> {
    const chosen = (ids ?? [...this.dead.keys()]).filter((id) => this.dead.has(id)).slice(0, limit);
    for (const id of chosen) {
      const d = this.dead.get(id)!;
      this.dead.delete(id);
      this.queue.set(id, { event: d.event, attempts: 0, lastError: d.lastError, visibleAt: now });
    }
    return chosen.length;
  }

  async depth(): Promise<number> {
    return this.queue.size;
  }
}
