import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestGateway } from '../support/gateway';
import { signToken } from '../support/tokens';

const run = promisify(execFile);
const STALE = 'stale-from-an-older-build.js';
const ROOT = join(__dirname, '..', '..', '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const version = (pkg: string) => JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version as string;

/** The commands of the client README's "Install" block that make and install the tarballs, one a line. */
function installBlock(): string[] {
  const readme = readFileSync(join(ROOT, 'app', 'client', 'README.md'), 'utf8');
  const block = readme.match(/```sh\n(make install[^`]*npm pack[^`]*)```/);
  if (!block) throw new Error('app/client/README.md has no sh block with make install and npm pack');
  return block[1].split('\n').map((l) => l.trim()).filter(Boolean);
}

/** What an application does with the published packages, done with their `npm pack` tarballs in an empty project. */
describe('@socket-gateway/client and @socket-gateway/react as installed packages', () => {
  let project: string;
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  const tarballs: Record<string, { filename: string; files: string[] }> = {};

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), 'sg-consumer-'));
    const readme = installBlock();
    for (const dir of ['client', 'react']) {
      // Left over from an older build: `npm pack` must build the package from its sources, not pack what lies in dist/.
      writeFileSync(join(ROOT, 'app', dir, 'dist', STALE), 'export const stale = true;\n');
      // The client README's line, run as written, into this project instead of /tmp.
      const line = readme.find((l) => l.startsWith(`(cd app/${dir} && npm pack`));
      expect(line).toBeDefined();
      const { stdout } = await run('sh', ['-c', line!.replace(' /tmp)', ` '${project}')`)], { cwd: ROOT, timeout: 180_000 });
      const filename = stdout.trim().split('\n').at(-1)!;
      const { stdout: listing } = await run('tar', ['-tzf', join(project, filename)]);
      tarballs[dir] = { filename, files: listing.trim().split('\n').map((f) => f.replace(/^package\//, '')) };
    }
    // The README installs the tarballs the two lines made.
    expect(readme.find((l) => l.startsWith('npm install '))).toContain(`npm install /tmp/${tarballs.client.filename} /tmp/${tarballs.react.filename}`);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    // Registry packages (socket.io-client, react and their types) come from npm's local cache when it has them.
    await run('npm', [
      'install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts',
      `./${tarballs.client.filename}`, `./${tarballs.react.filename}`,
      `react@${version('react')}`, `@types/react@${version('@types/react')}`,
    ], { cwd: project, timeout: 180_000 });
    gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000' });
  }, 240_000);

  afterAll(async () => {
    await gw?.close();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('should pack the builds, the types and the README, and no sources, tests or leftovers', () => {
    for (const dir of ['client', 'react']) {
      const files = tarballs[dir].files;
      expect(files).not.toContain(`dist/${STALE}`);
      expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.mjs', 'dist/index.cjs']));
      expect(files.some((f) => f.endsWith('index.d.ts'))).toBe(true);
      expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    }
  });

  it('should connect, join and send through an ESM import', async () => {
    writeFileSync(join(project, 'esm.mjs'), `
      import { GatewayClient, GatewayClientError } from '@socket-gateway/client';
      import { GatewayProvider, useChannel } from '@socket-gateway/react';
      const [url, token] = process.argv.slice(2);
      const c = new GatewayClient({ url, getToken: () => token, transports: ['websocket'] });
      const ready = await c.connect();
      const channel = c.channel('pkg-esm');
      await channel.joined;
      const sent = await channel.send('from an installed package');
      c.close();
      console.log(JSON.stringify({ userId: ready.userId, seq: sent.seq, error: typeof GatewayClientError, react: [typeof GatewayProvider, typeof useChannel] }));
    `);
    const { stdout } = await run(process.execPath, ['esm.mjs', gw.url, await signToken({ sub: 'esm-user' })], { cwd: project, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ userId: 'esm-user', seq: 1, error: 'function', react: ['function', 'function'] });
  });

  it('should connect, join and send through a CJS require', async () => {
    writeFileSync(join(project, 'cjs.cjs'), `
      const { GatewayClient } = require('@socket-gateway/client');
      const { GatewayProvider, usePresence } = require('@socket-gateway/react');
      const [url, token] = process.argv.slice(2);
      (async () => {
        const c = new GatewayClient({ url, getToken: () => token, transports: ['websocket'] });
        const ready = await c.connect();
        await c.subscribe('pkg-cjs');
        const sent = await c.send('pkg-cjs', 'from require');
        c.close();
        console.log(JSON.stringify({ userId: ready.userId, seq: sent.seq, react: [typeof GatewayProvider, typeof usePresence] }));
      })().catch((err) => { console.error(err); process.exit(1); });
    `);
    const { stdout } = await run(process.execPath, ['cjs.cjs', gw.url, await signToken({ sub: 'cjs-user' })], { cwd: project, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ userId: 'cjs-user', seq: 1, react: ['function', 'function'] });
  });

  it('should type-check code that uses the types, from ESM and from CJS, and reject a misuse', async () => {
    const usage = `
      import { GatewayClient, type ChatMessage, type ChannelSnapshot, type ClientErrorCode, type ServerToClientEvents } from '@socket-gateway/client';
      import { useChannel, usePendingMessages, type UseChannelResult } from '@socket-gateway/react';
      const client = new GatewayClient({ url: 'https://chat.example.com', getToken: async () => 'token' });
      client.channel('general').on('message', (m: ChatMessage) => m.seq.toFixed());
      const snap: ChannelSnapshot | null = client.subscription('general');
      const code: ClientErrorCode = 'QUEUE_FULL';
      type Ready = Parameters<ServerToClientEvents['connection:ready']>[0]['userId'];
      export function useView(): [UseChannelResult, number, Ready, typeof code, typeof snap] {
        return [useChannel('general'), usePendingMessages().length, 'u', code, snap];
      }
    `;
    writeFileSync(join(project, 'esm-usage.mts'), usage);
    writeFileSync(join(project, 'cjs-usage.cts'), usage);
    writeFileSync(join(project, 'misuse.mts'), `
      import { GatewayClient } from '@socket-gateway/client';
      new GatewayClient({ url: 'x', getToken: () => 'token' }).channel('c').on('message', (m) => m.nope);
    `);
    // node16 resolution reads the packages' exports maps, as an application's tsc would; no @types/node.
    const tsc = async (files: string[]): Promise<string> => {
      const compilerOptions = { noEmit: true, strict: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', lib: ['es2022', 'dom'], types: [] };
      writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
      return run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project }).then(() => '', (err: { stdout: string }) => err.stdout || 'tsc failed');
    };
    expect(await tsc(['esm-usage.mts', 'cjs-usage.cts'])).toBe('');
    expect(await tsc(['misuse.mts'])).toMatch(/Property 'nope' does not exist on type 'ChatMessage'/);
  }, 120_000);
});
