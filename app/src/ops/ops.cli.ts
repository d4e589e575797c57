/**
 * The ops CLI: `npm run ops -- <command>` locally, `/app/bin/ops <command>` in the container.
 * Talks to the server API of one instance; fleet-wide effects travel through the engine.
 */
import { COMMANDS, UsageError, type OpsArgs } from './ops.commands';
import { OpsApiError, OpsClient } from './ops.client';

export function parseArgs(argv: string[]): { command: string | undefined; args: OpsArgs } {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const [key, inline] = a.slice(2).split('=', 2);
      if (inline !== undefined) flags[key] = inline;
      else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') && key !== 'dry-run' && key !== 'json') flags[key] = argv[++i];
      else flags[key] = true;
    } else if (command === undefined) command = a;
    else positional.push(a);
  }
  return { command, args: { positional, flags } };
}

function help(): string {
  return [
    'usage: ops <command> [options] [--url URL] [--api-key KEY]',
    '  --url      gateway base URL (default $GATEWAY_URL, else http://127.0.0.1:$API_PORT, else :$PORT, else :3000)',
    '  --api-key  server API key (default $GATEWAY_API_KEY, else the first of $API_KEYS)',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(58)} ${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, out: (l: string) => void, err: (l: string) => void): Promise<number> {
  const { command, args } = parseArgs(argv);
  if (!command || command === 'help' || args.flags.help) {
    out(help());
    return command ? 0 : 2;
  }
  const spec = COMMANDS.find((c) => c.name === command);
  if (!spec) {
    err(`unknown command "${command}"\n${help()}`);
    return 2;
  }
  if (args.flags['dry-run'] && !spec.mutating) {
    err(`${command} changes nothing; --dry-run does not apply`);
    return 2;
  }
  // Inside the pod the server API listens on API_PORT when the chart gives it its own port.
  const url = String(args.flags.url ?? env.GATEWAY_URL ?? `http://127.0.0.1:${env.API_PORT || env.PORT || 3000}`).replace(/\/+$/, '');
  const key = typeof args.flags['api-key'] === 'string' ? args.flags['api-key'] : env.GATEWAY_API_KEY ?? env.API_KEYS?.split(',')[0]?.trim();
  try {
    await spec.run(new OpsClient(url, key), args, out);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${command}: ${e.message}\nusage: ops ${spec.usage}`);
      return 2;
    }
    if (e instanceof OpsApiError) err(`${command} failed: ${e.code}${e.status ? ` (HTTP ${e.status})` : ''}: ${e.message}`);
    else err(`${command} failed: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, (l) => process.stdout.write(`${l}\n`), (l) => process.stderr.write(`${l}\n`)).then((code) => {
    process.exitCode = code;
  });
}
