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
 * Gathers the handshakes that reach their state step within HANDSHAKE_BATCH_MS and sends them to
 * the engine as one batch: on one Redis node one script call for all of them, instead of a
 * write, a read and three commands each. Each handshake waits at most the window; with 0, or on
 * the in-process memory engine, each goes at once, alone.
 */
@Injectable()
export class HandshakeBatcher {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  admit(request: HandshakeRequest): Promise<HandshakeOutcome> {
    return new Promise<HandshakeOutcome>((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      if (this.config.handshakeBatchMs === 0 || !this.engine.handshakes.batches || this.waiting.length >= MAX_BATCH) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.config.handshakeBatchMs);
    });
  }

  private flush(): void {
    const batch = this.waiting;
    this.waiting = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const limits = {
      capacity: this.config.rateLimits.connectPerUser,
      windowMs: 60_000,
      maxSockets: this.config.maxSocketsPerUser,
      inboxMax: this.config.notifications.inboxMax,
    };
    this.engine.handshakes.admit(batch.map((w) => w.request), limits, this.clock.now()).then(
      (outcomes) => batch.forEach((w, i) => w.resolve(outcomes[i])),
      (err: unknown) => batch.forEach((w) => w.reject(err)),
    );
  }
}
