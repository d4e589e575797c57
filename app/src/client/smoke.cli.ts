/**
 * `npm run smoke -- --url URL [--token TOKEN] [--channel ID] [--timeout-ms MS]`
 * The token: --token, else $SMOKE_TOKEN, else one minted for 60 s from $JWT_SECRET (inside a pod).
 * Exit codes: 0 passed, 1 the gateway check failed, 2 bad usage.
 */
import { runSmoke } from './smoke';
import { GatewayClientError } from './errors';
import { smokeToken } from './smoke-token';

const USAGE = 'usage: npm run smoke -- --url URL [--token TOKEN] [--channel ID] [--timeout-ms MS]  (token: --token, $SMOKE_TOKEN, or minted from $JWT_SECRET)';

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') throw new UsageError('');
    const eq = arg.match(/^--([a-z-]+)=(.*)$/);
    if (eq) {
      out[eq[1]] = eq[2];
    } else if (arg.startsWith('--') && i + 1 < argv.length) {
      out[arg.slice(2)] = argv[++i];
    } else {
      throw new UsageError(`unexpected argument "${arg}"`);
    }
  }
  for (const k of Object.keys(out)) {
    if (!['url', 'token', 'channel', 'timeout-ms'].includes(k)) throw new UsageError(`unknown option --${k}`);
  }
  if (!out.url) throw new UsageError('--url is required');
  if (out['timeout-ms'] !== undefined && !(Number(out['timeout-ms']) > 0)) throw new UsageError('--timeout-ms must be a positive number');
  return out;
}

class UsageError extends Error {}

async function main(): Promise<number> {
  let args: Record<string, string>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    const message = (err as Error).message;
    process.stderr.write(`${message ? `smoke: ${message}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const token = await smokeToken(args.token, process.env);
  if ('error' in token) {
    process.stderr.write(`smoke: ${token.error}\n${USAGE}\n`);
    return 2;
  }
  try {
    const r = await runSmoke({
      url: args.url,
      token: token.token,
      channel: args.channel,
      timeoutMs: args['timeout-ms'] ? Number(args['timeout-ms']) : undefined,
    });
    process.stdout.write(
      `connected to ${args.url} as ${r.userId} (instance ${r.instanceId}) in ${r.connectMs.toFixed(1)} ms\n` +
        `joined ${r.channel}, sent and received seq ${r.seq}\n` +
        `ok: round-trip latency ${r.roundTripMs.toFixed(1)} ms\n`,
    );
    return 0;
  } catch (err) {
    const e = err as GatewayClientError;
    const hint = HINTS[e.code as string] ?? '';
    process.stderr.write(`smoke FAILED [${e.code ?? 'ERROR'}]: ${e.message}${hint ? `\n  hint: ${hint}` : ''}\n`);
    return 1;
  }
}

const HINTS: Record<string, string> = {
  AUTH_FAILED: 'the gateway refused the token (expired, wrong secret/issuer/audience, or revoked)',
  FORBIDDEN: 'the token does not grant the smoke channel (grant `smoke-*` or pass --channel), or the IP is blocked',
  TIMEOUT: 'is the URL right and the gateway up? check `curl URL/healthz` and the ingress',
  CONNECT_FAILED: 'is the URL right and the gateway up? check `curl URL/healthz` and the ingress',
  UNAVAILABLE: 'the instance is draining, full, or cannot reach Redis: check /readyz',
};

main().then((code) => process.exit(code));
