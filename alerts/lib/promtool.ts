import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Finds promtool on PATH; the message says how to install it rather than failing obscurely. */
export function findPromtool(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'promtool');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    'promtool was not found on PATH. Install it with Debian\'s prometheus package: ' +
      '`apt-get install -y --no-install-recommends prometheus` (see alerts/README.md).',
  );
}

export interface PromtoolResult {
  status: number;
  output: string;
}

export function runPromtool(args: string[], cwd?: string): PromtoolResult {
  const res = spawnSync(findPromtool(), args, { cwd, encoding: 'utf8', timeout: 120_000 });
  if (res.error) throw res.error;
  return { status: res.status ?? -1, output: `${res.stdout}${res.stderr}` };
}
