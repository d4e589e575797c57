import WebSocket from 'ws';

export type Frame = string | Buffer;

/**
 * A bare Engine.IO v4 WebSocket connection with no Socket.IO client in between, so tests can
 * write any frame the protocol allows or forbids and watch exactly what the server answers.
 */
export class RawClient {
  readonly frames: Frame[] = [];
  closeCode: number | null = null;
  readonly closed: Promise<number>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code) => { this.closeCode = code; this.wake(); resolve(code); }));
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      const frame = isBinary ? (data as Buffer) : data.toString();
      // Answer heartbeats like a real client, so a long case is not cut by a ping timeout.
      if (frame === '2') ws.send('3');
      this.frames.push(frame);
      this.wake();
    });
  }

  /** Opens the transport and waits for the Engine.IO open packet (`0{"sid":…}`). */
  static async open(baseUrl: string, headers: Record<string, string> = {}): Promise<RawClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { headers, perMessageDeflate: false });
    const client = new RawClient(ws);
    await client.waitFor((f) => typeof f === 'string' && f.startsWith('0{'), 5000, 'engine.io open packet');
    return client;
  }

  /** Opens and joins the main namespace with a token; resolves once the server says `40{"sid":…}`. */
  static async connected(baseUrl: string, token: string): Promise<RawClient> {
    const client = await RawClient.open(baseUrl);
    client.send(`40${JSON.stringify({ token })}`);
    await client.waitFor((f) => typeof f === 'string' && f.startsWith('40{'), 5000, 'namespace connect');
    return client;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: Frame): void {
    if (this.isOpen) this.ws.send(frame);
  }

  /** Resolves with the first frame (received so far or later) matching `pred`; rejects on timeout or close. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs = 5000, what = 'frame'): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { done(); reject(new Error(`no ${what} within ${timeoutMs} ms`)); }, timeoutMs);
      const check = () => {
        const hit = this.frames.find(pred);
        if (hit !== undefined) { done(); resolve(hit); return true; }
        if (this.closeCode !== null) { done(); reject(new Error(`connection closed (${this.closeCode}) before ${what}`)); return true; }
        return false;
      };
      const done = () => { clearTimeout(timer); this.waiters = this.waiters.filter((w) => w !== waiter); };
      const waiter = () => void check();
      if (!check()) this.waiters.push(waiter);
    });
  }

  /** Resolves true when the server closes the connection within `timeoutMs`, false otherwise. */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([this.closed.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), timeoutMs); })]);
    clearTimeout(timer);
    return closed;
  }

  /** Ack round trip on the main namespace: proves the connection still serves events. */
  async roundTrip(id: number, timeoutMs = 5000): Promise<unknown> {
    this.send(`42${id}["presence:get",{"userIds":["nobody"]}]`);
    const frame = await this.waitFor((f) => typeof f === 'string' && f.startsWith(`43${id}[`), timeoutMs, `ack ${id}`);
    return JSON.parse((frame as string).slice(`43${id}`.length))[0];
  }

  close(): void {
    this.ws.terminate();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
