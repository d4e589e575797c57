import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { GatewayClient, type ChatMessage } from '../../src/client';
import { startTestGateway } from '../support/gateway';
import { until } from '../support/clients';
import { signToken } from '../support/tokens';

const ROOT = join(__dirname, '..', '..', '..');
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** The demo page in real headless Chromium (Debian's), talking to a Node SDK client through one gateway. */
describe('demo page in Chromium', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let node: GatewayClient;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ DEMO_PAGE: 'true', RATE_LIMIT_CONNECT_PER_IP: '1000' });
    profile = mkdtempSync(join(tmpdir(), 'sg-chromium-'));
    // A persistent context is how Playwright takes a fresh --user-data-dir of our own.
    context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1100, height: 640 } });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && pageErrors.push(msg.text()));
  }, 120_000);

  afterAll(async () => {
    node?.close();
    await context?.close();
    await gw?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('should send from the page to a Node client and show the Node reply in the page', async () => {
    node = new GatewayClient({ url: gw.url, getToken: () => signToken({ sub: 'bob' }) });
    await node.connect();
    await node.subscribe('demo-room');
    const atNode: ChatMessage[] = [];
    node.on('message:new', (m) => atNode.push(m));
    await node.send('demo-room', 'welcome to the demo');

    const res = await page.goto(`${gw.url}/demo`);
    expect(res?.status()).toBe(200);
    expect(await page.evaluate(() => typeof (window as unknown as { SocketGateway?: { GatewayClient?: unknown } }).SocketGateway?.GatewayClient)).toBe('function');
    await page.fill('#token', await signToken({ sub: 'alice' }));
    await page.fill('#channel', 'demo-room');
    await page.click('#connect');
    await page.waitForSelector('#state[data-state="connected"]');
    await page.waitForSelector('#messages .msg:has-text("welcome to the demo")');
    await page.waitForSelector('#members li:has-text("bob")');

    await page.fill('#text', 'hello from the browser');
    await page.press('#text', 'Enter');
    await until(() => atNode.some((m) => m.content === 'hello from the browser'), 10_000, 'page message at the Node client');
    expect(atNode.find((m) => m.content === 'hello from the browser')).toMatchObject({ userId: 'alice', channelId: 'demo-room', seq: 2 });

    await node.send('demo-room', 'hello back from node');
    await page.waitForSelector('#messages .msg[data-seq="3"]:has-text("hello back from node")');
    expect(await page.locator('#messages .msg[data-seq]').allTextContents()).toEqual([
      expect.stringContaining('welcome to the demo'),
      expect.stringContaining('hello from the browser'),
      expect.stringContaining('hello back from node'),
    ]);
    expect(await page.locator('#messages .pending').count()).toBe(0);

    mkdirSync(join(ROOT, 'tmp'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'tmp', 'demo-page.png') });
    expect(pageErrors).toEqual([]);
  });

  it('should not serve the page when DEMO_PAGE is off', async () => {
    const off = await startTestGateway();
    try {
      const res = await fetch(`${off.url}/demo`);
      expect(res.status).toBe(404);
      expect((await fetch(`${off.url}/demo/gateway-client.js`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
