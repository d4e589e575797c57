/**
 * The server API checks the key before it reads a body, reads JSON only, and maps size and
 * depth to 413 and 400 without an error log (issue 17, point 6).
 */
import { startTestGateway } from '../support/gateway';

const KEY = 'api-body-key-0123456789abcdef';
const URL_PATH = '/api/v1/notifications';

describe('server API bodies', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => { gw = await startTestGateway({ API_KEYS: KEY }); });
  afterAll(async () => gw.close());

  const post = (body: string, headers: Record<string, string>) => fetch(`${gw.url}${URL_PATH}`, { method: 'POST', headers, body })
    .then(async (r) => ({ status: r.status, headers: r.headers, body: await r.json() }));
  const errorLogs = () => gw.logs.parsed().filter((l) => l.level === 'error');

  it('should answer 401 to a large body without a key, before reading it, and log no error', async () => {
    const res = await post(JSON.stringify({ junk: 'x'.repeat(200_000) }), { 'content-type': 'application/json' });
    expect(res).toMatchObject({ status: 401, body: { ok: false, error: { code: 'AUTH_FAILED' } } });
    expect(errorLogs()).toEqual([]);
  });

  it('should answer 413 to a body over 100 KB with a key, without a stack or an error log', async () => {
    const res = await post(JSON.stringify({ userIds: ['a'], type: 't', priority: 'low', payload: 'x'.repeat(200_000) }), { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' });
    expect(res).toMatchObject({ status: 413, body: { ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.stringContaining('larger') } } });
    expect(JSON.stringify(res.body)).not.toMatch(/\bat \S+ \(|node_modules/);
    expect(errorLogs()).toEqual([]);
  });

  it('should answer 413 to a chunked body (no Content-Length) once it passes 100 KB, and keep serving', async () => {
    const chunk = new TextEncoder().encode(`"${'x'.repeat(16 * 1024)}",`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // A body that would never end: the answer must come from the limit, not from the end.
        if (sent++ < 1000) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${gw.url}${URL_PATH}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit)
      .then(async (r) => ({ status: r.status, body: await r.json() }));
    expect(res).toMatchObject({ status: 413, body: { ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.stringContaining('larger') } } });
    expect(sent).toBeLessThan(1000);
    expect(errorLogs()).toEqual([]);
    const ok = await post(JSON.stringify({ userIds: ['a'], type: 't', priority: 'low', payload: null }), { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' });
    expect(ok.status).toBe(202);
  });

  it('should treat the API path without regard to case the way routing does (key first, body read)', async () => {
    const upper = `${gw.url}${URL_PATH.toUpperCase().replace('/API/V1/NOTIFICATIONS', '/API/v1/notifications')}`;
    const noKey = await fetch(upper, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(noKey.status).toBe(401);
    const withKey = await fetch(upper, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ userIds: ['a'], type: 't', priority: 'low', payload: null }) });
    expect(withKey.status).toBe(202);
  });

  it('should answer 400 to deeply nested JSON and keep serving', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const res = await post(`{"userIds":["a"],"type":"t","priority":"low","payload":${deep}}`, { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' });
    expect(res).toMatchObject({ status: 400, body: { ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.stringContaining('nested') } } });
    expect(errorLogs()).toEqual([]);
    const ok = await post(JSON.stringify({ userIds: ['a'], type: 't', priority: 'low', payload: { a: [1, { b: 2 }] } }), { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' });
    expect(ok.status).toBe(202);
  });

  it('should refuse a form-encoded body with 415', async () => {
    const res = await post('userIds=a&type=t&priority=low', { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-www-form-urlencoded' });
    expect(res).toMatchObject({ status: 415, body: { ok: false, error: { code: 'INVALID_PAYLOAD' } } });
  });

  it('should send no X-Powered-By header, on the API, on health and on unknown paths', async () => {
    for (const path of [URL_PATH, '/healthz', '/nope']) {
      const r = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(r.headers.get('x-powered-by')).toBeNull();
    }
  });
});
