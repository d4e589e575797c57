/**
 * Prints two ready-to-use development tokens and how to connect (used by `make run`).
 * Usage: node dist/app/src/tools/dev-tokens.js --secret-file tmp/dev-jwt-secret [--port 3000]
 */
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';

function arg(name: string, def?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : def;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}

async function token(secret: string, sub: string, roles: string[]): Promise<string> {
  return new SignJWT({ roles, channels: ['*'] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('24h')
    .sign(new TextEncoder().encode(secret));
}

async function main(): Promise<void> {
  const secret = readFileSync(arg('secret-file'), 'utf8').trim();
  const port = arg('port', '3000');
  const alice = await token(secret, 'alice', ['member']);
  const bob = await token(secret, 'bob', ['moderator']);
  const url = `http://localhost:${port}`;
  process.stdout.write(
    [
      '',
      'Development tokens (valid 24 h, signed with the generated secret in tmp/dev-jwt-secret — local use only):',
      `  alice (member):    ${alice}`,
      `  bob   (moderator): ${bob}`,
      '',
      'Connect from Node (socket.io-client):',
      `  node -e "const s=require('socket.io-client').io('${url}',{auth:{token:process.argv[1]}});s.on('connection:ready',r=>{console.log(r);s.emit('channel:join',{channelId:'general'},a=>{console.log(a);process.exit(0)})})" ${alice}`,
      'Round-trip a message (smoke test):',
      `  npm run smoke -- --url ${url} --token ${alice}`,
      `Demo page: ${url}/demo (when DEMO_PAGE=true)`,
      '',
    ].join('\n'),
  );
}

main().catch((err) => {
  process.stderr.write(`dev-tokens: ${err.message}\n`);
  process.exit(1);
});
