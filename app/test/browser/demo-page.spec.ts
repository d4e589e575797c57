import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { GatewayClient, type ChatMessage } from '../../src/client';
import { startTestGateway } from '../support/gateway';
import { GatewayChild } from '../support/gateway-child';
import { until } from '../support/clients';
import { signToken } from '../support/tokens';

const ROOT = join(__dirname, '..', '..', '..');
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * The demo page (a React app on @socket-gateway/react) in real headless Chromium (Debian's):
 * two users in two browser contexts, plus Node SDK clients, through one gateway.
 */
describe('demo page in Chromium', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const nodes: GatewayClient[] = [];
  const pageErrors: string[] = [];

  /** A user in a browser context of their own (so one can go offline alone), logged in to `channel`. */
  async function openAs(user: string, channel: string): Promise<{ page: Page; context: BrowserContext }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 640 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${user}: ${err.message}`));
    page.on('console', (msg) => msg.type() === 'error' && pageErrors.push(`${user}: ${msg.text()}`));
    const res = await page.goto(`${gw.url}/demo`);
    expect(res?.status()).toBe(200);
    await page.fill('#token', await signToken({ sub: user }));
    await page.fill('#channel', channel);
    await page.click('#connect');
    await page.waitForSelector(`#state[data-state="connected"]:has-text("connected as ${user}")`);
    return { page, context };
  }

  async function node(user: string): Promise<GatewayClient> {
    const c = new GatewayClient({ url: gw.url, getToken: () => signToken({ sub: user }) });
    nodes.push(c);
    await c.connect();
    return c;
  }

  const members = (page: Page) => page.locator('#members li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-user')));

  beforeAll(async () => {
    gw = await startTestGateway({ DEMO_PAGE: 'true', RATE_LIMIT_CONNECT_PER_IP: '1000' });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  }, 120_000);

  afterAll(async () => {
    for (const c of nodes) c.close();
    for (const c of contexts) await c.close();
    await browser?.close();
    await gw?.close();
  });

  it('should let two users join, talk, see each other type and their presence, survive a reconnect and deliver what was written offline', async () => {
    const ch = 'demo-room';
    const carol = await node('carol');
    await carol.subscribe(ch);
    const atCarol: ChatMessage[] = [];
    carol.on('message:new', (m) => atCarol.push(m));
    await carol.send(ch, 'welcome to the demo');

    const alice = await openAs('alice', ch);
    const bob = await openAs('bob', ch);
    // History on join, and the member list from the join ack plus member events.
    await alice.page.waitForSelector('#messages .msg[data-seq="1"]:has-text("welcome to the demo")');
    await until(async () => JSON.stringify(await members(alice.page)) === JSON.stringify(['alice', 'bob', 'carol']), 10_000, 'alice sees three members');
    await until(async () => JSON.stringify(await members(bob.page)) === JSON.stringify(['alice', 'bob', 'carol']), 10_000, 'bob sees three members');

    // Send from one page to the other (and to the Node client).
    await alice.page.fill('#text', 'hello from alice');
    await alice.page.press('#text', 'Enter');
    await bob.page.waitForSelector('#messages .msg[data-seq="2"]:has-text("hello from alice")');
    await until(() => atCarol.some((m) => m.content === 'hello from alice' && m.userId === 'alice'), 10_000, 'page message at the Node client');

    // Typing: bob types, alice sees it; bob's message ends it.
    await bob.page.type('#text', 'hi al');
    await alice.page.waitForSelector('#typing:has-text("bob is typing")');
    await bob.page.press('#text', 'Enter');
    await alice.page.waitForSelector('#messages .msg[data-seq="3"]:has-text("hi al")');
    await until(async () => (await alice.page.textContent('#typing')) === '', 10_000, 'typing indicator cleared');

    // Presence: bob sets away, alice's member list shows it.
    await bob.page.selectOption('#status', 'away');
    await alice.page.waitForSelector('#members li[data-user="bob"][data-status="away"]');

    // alice goes offline: the page lets go of the connection and keeps what she writes as pending.
    await alice.context.setOffline(true);
    await alice.page.waitForSelector('#state[data-state="reconnecting"]');
    await until(async () => !(await members(bob.page)).includes('alice'), 10_000, 'bob sees alice leave');
    // Meanwhile carol leaves and dave joins: alice misses both events.
    carol.unsubscribe(ch);
    const dave = await node('dave');
    await dave.subscribe(ch);
    await until(async () => JSON.stringify(await members(bob.page)) === JSON.stringify(['bob', 'dave']), 10_000, 'bob sees carol leave and dave join');
    await alice.page.fill('#text', 'written offline');
    await alice.page.press('#text', 'Enter');
    await alice.page.waitForSelector('#messages .msg.pending:has-text("written offline")');
    expect(await alice.page.locator('#messages .msg[data-seq]:has-text("written offline")').count()).toBe(0);

    // Back online: reconnect at once, the rejoin's member list replaces the stale one, the pending message goes out.
    await alice.context.setOffline(false);
    await alice.page.waitForSelector('#state[data-state="connected"]');
    await until(async () => JSON.stringify(await members(alice.page)) === JSON.stringify(['alice', 'bob', 'dave']), 10_000, 'alice member list after the reconnect');
    await bob.page.waitForSelector('#messages .msg[data-seq="4"]:has-text("written offline")');
    await alice.page.waitForSelector('#messages .msg[data-seq="4"]:has-text("written offline")');
    expect(await alice.page.locator('#messages .pending').count()).toBe(0);
    expect(await alice.page.locator('#messages .msg[data-seq]').allTextContents()).toEqual([
      expect.stringContaining('welcome to the demo'),
      expect.stringContaining('hello from alice'),
      expect.stringContaining('hi al'),
      expect.stringContaining('written offline'),
    ]);

    mkdirSync(join(ROOT, 'tmp'), { recursive: true });
    await alice.page.screenshot({ path: join(ROOT, 'tmp', 'demo-page.png') });
    expect(pageErrors).toEqual([]);
  });

  it('should serve the SDK bundle for a script tag, exposing SocketGateway.GatewayClient', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${gw.url}/demo`);
    await page.addScriptTag({ url: '/demo/gateway-client.js' });
    const token = await signToken({ sub: 'erin' });
    const userId = await page.evaluate(async (t) => {
      const sdk = (window as unknown as { SocketGateway: typeof import('../../src/client/browser') }).SocketGateway;
      const c = new sdk.GatewayClient({ url: location.origin, getToken: () => t });
      const ready = await c.connect();
      c.close();
      return ready.userId;
    }, token);
    expect(userId).toBe('erin');
  });

  it('should have make run build the demo bundle, and the compiled gateway serve it', async () => {
    // make's own dry run of the target README's quick start gives: the bundle build is part of it.
    const plan = execFileSync('make', ['-n', '-B', 'run'], { cwd: ROOT, encoding: 'utf8' });
    expect(plan).toMatch(/tsc -p tsconfig\.build\.json[\s\S]*node scripts\/build-sdk-bundle\.js[\s\S]*node dist\/app\/src\/main\.js/);
    // What `make run` then starts: dist/app/src/main.js, finding dist/sdk from its compiled location.
    const child = await GatewayChild.start({ DEMO_PAGE: 'true' });
    try {
      expect((await fetch(`${child.url}/demo`)).status).toBe(200);
      const app = await fetch(`${child.url}/demo/demo-app.js`);
      expect(app.status).toBe(200);
      expect(app.headers.get('content-type')).toMatch(/javascript/);
      expect(await app.text()).toContain('demo page (DEMO_PAGE=true, local only)');
    } finally {
      await child.stop();
    }
  });

  it('should not serve the page when DEMO_PAGE is off', async () => {
    const off = await startTestGateway();
    try {
      const res = await fetch(`${off.url}/demo`);
      expect(res.status).toBe(404);
      expect((await fetch(`${off.url}/demo/demo-app.js`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
