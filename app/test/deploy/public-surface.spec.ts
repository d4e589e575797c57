/**
 * With API_PORT the public listener answers only Socket.IO and the health checks; the server API
 * and the demo page move to the internal port. Without it, everything stays on one port.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { startTestGateway } from '../support/gateway';
import { signToken } from '../support/tokens';

const MAIN = join(__dirname, '..', '..', '..', 'dist', 'app', 'src', 'main.js');
const API_KEY = 'surface-api-key-0123456789';

async function get(url: string, key?: string): Promise<number> {
  const res = await fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  await res.arrayBuffer();
  return res.status;
}

describe('public surface with API_PORT', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gw = await startTestGateway({ API_PORT: '0', API_KEYS: API_KEY, DEMO_PAGE: 'true' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('should serve the server API and the demo page only on the API port', async () => {
    expect(gw.apiPort).not.toBe(gw.port);
    expect(await get(`${gw.apiUrl}/api/v1/stats`, API_KEY)).toBe(200);
    expect(await get(`${gw.url}/api/v1/stats`, API_KEY)).toBe(404);
    expect(await get(`${gw.apiUrl}/demo`)).toBe(200);
    expect(await get(`${gw.url}/demo`)).toBe(404);
  });

  it('should keep /metrics off both the public and the API port', async () => {
    expect(await get(`${gw.url}/metrics`)).toBe(404);
    expect(await get(`${gw.apiUrl}/metrics`, API_KEY)).toBe(404);
  });

  it('should keep the health checks and Socket.IO on the public port', async () => {
    expect(await get(`${gw.url}/healthz`)).toBe(200);
    expect(await get(`${gw.url}/readyz`)).toBe(200);
    const socket = io(gw.url, { auth: { token: await signToken({ sub: 'surface' }) }, transports: ['polling', 'websocket'], reconnection: false });
    try {
      const ready = await new Promise<{ userId: string }>((resolve, reject) => {
        socket.once('connection:ready', resolve);
        socket.once('connect_error', reject);
      });
      expect(ready.userId).toBe('surface');
    } finally {
      socket.close();
    }
  });
});

describe('one port without API_PORT', () => {
  it('should serve the server API beside Socket.IO, as before', async () => {
    const gw = await startTestGateway({ API_KEYS: API_KEY });
    try {
      expect(gw.apiUrl).toBe(gw.url);
      expect(await get(`${gw.url}/api/v1/stats`, API_KEY)).toBe(200);
    } finally {
      await gw.close();
    }
  });
});

describe('production start without Redis', () => {
  it('should exit 78 with the configuration error instead of running the memory engine', async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40), PORT: '0', METRICS_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(78);
    expect(stderr).toContain('ENGINE is unset and no Redis is configured');
  });
});
