import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { ENGINE, type Engine, type HandshakeOutcome, type HandshakeRequest } from '../engine/engine.ports';

/** Most handshakes in one engine call (one script's keys and reply stay small). */
const MAX_BATCH = 200;

interface Waiting {
  request: HandshakeRequest;
  resolve: (o: HandshakeOutcome) => void;
  reject: (err: unknown) => void;
}

/**
 * Sends handshakes' state steps to the engine in batches, without a timer: a handshake goes at
 * once when no batch is on its way, else it joins the next one, which leaves when the batch ahead
 * is answered. At a few handshakes a second each goes alone, with no added wait; in a reconnect
 * storm the batches grow with the load, and on one Redis node each is one script call instead of
 * a write, a read and three commands per handshake. The in-process memory engine gains nothing
 * from batches: each goes at once.
 */
@Injectable()
export class HandshakeBatcher {
  private waiting: Waiting[] = [];
  private inFlight = false;
  private scheduled = false;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  admit(request: HandshakeRequest): Promise<HandshakeOutcome> {
    return new Promise<HandshakeOutcome>((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      if (!this.engine.handshakes.batches) this.send(this.waiting.splice(0));
      else if (!this.inFlight && !this.scheduled) {
        // Handshakes that reach this step in the same tick still leave together.
        this.scheduled = true;
        process.nextTick(() => this.next());
      }
    });
  }

  private next(): void {
    this.scheduled = false;
    if (this.waiting.length === 0) return;
    this.inFlight = true;
    this.send(this.waiting.splice(0, MAX_BATCH)).finally(() => {
      this.inFlight = false;
      this.next();
    });
  }

  private send(batch: Waiting[]): Promise<void> {
    const limits = {
      capacity: this.config.rateLimits.connectPerUser,
      windowMs: 60_000,
      maxSockets: this.config.maxSocketsPerUser,
      inboxMax: this.config.notifications.inboxMax,
    };
    return this.engine.handshakes.admit(batch.map((w) => w.request), limits, this.clock.now()).then(
      (outcomes) => batch.forEach((w, i) => w.resolve(outcomes[i])),
      (err: unknown) => batch.forEach((w) => w.reject(err)),
    );
  }
}
