/** A small client of the server HTTP API for the ops CLI (fetch, bounded by a timeout). */
export class OpsApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export class OpsClient {
  constructor(private readonly baseUrl: string, private readonly apiKey: string | undefined, private readonly timeoutMs = 10_000) {}

  async call<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    if (!this.apiKey) throw new OpsApiError(0, 'NO_API_KEY', 'no API key: pass --api-key or set GATEWAY_API_KEY (or API_KEYS, as inside the gateway container)');
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${this.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new OpsApiError(0, 'UNREACHABLE', `cannot reach ${this.baseUrl}: ${(err as Error).message}`);
    }
    const text = await res.text();
    let json: { ok?: boolean; error?: { code: string; message: string } } & Record<string, unknown>;
    try {
      json = JSON.parse(text);
    } catch {
      throw new OpsApiError(res.status, 'BAD_RESPONSE', `unexpected answer from ${path} (HTTP ${res.status})`);
    }
    if (!res.ok || json.ok === false) {
      throw new OpsApiError(res.status, json.error?.code ?? 'HTTP_ERROR', json.error?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }

  async readyz(): Promise<{ status: number; body: unknown }> {
    try {
      const res = await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(this.timeoutMs) });
      return { status: res.status, body: await res.json() };
    } catch (err) {
      throw new OpsApiError(0, 'UNREACHABLE', `cannot reach ${this.baseUrl}: ${(err as Error).message}`);
    }
  }
}
