import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * POSTs one webhook over node:http(s) with pooled keep-alive connections. Resolves with the
 * status code as soon as the response head arrives; rejects on network errors and on the deadline
 * (the request is destroyed, so a receiver that never answers holds no socket past it).
 */
export class WebhookSender {
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 16 });

  post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<number> {
    const target = new URL(url);
    const https = target.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(target, {
        method: 'POST',
        agent: https ? this.httpsAgent : this.httpAgent,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'socket-gateway-webhooks/1', ...headers },
      }, (res) => {
        // The body is not used; draining it lets the connection go back to the pool.
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      req.once('close', () => clearTimeout(timer));
      req.once('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
