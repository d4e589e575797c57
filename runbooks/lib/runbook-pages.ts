import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const RUNBOOKS_DIR = join(__dirname, '..');

export interface OpsCommands {
  ops: Record<string, { usage: string; flags: string[] }>;
  maintenanceJobs: string[];
  smoke: { usage: string; flags: string[] };
}

export function opsCommands(): OpsCommands {
  return JSON.parse(readFileSync(join(RUNBOOKS_DIR, 'ops-commands.json'), 'utf8')) as OpsCommands;
}

/** Procedures every installation needs, besides one page per alert. */
export const PROCEDURES = [
  'deploy-and-rollback',
  'scaling-and-capacity',
  'node-maintenance',
  'redis-failover-and-recovery',
  'connection-reset',
  'state-reconciliation',
  'token-or-key-compromise',
  'ip-blocking',
  'maintenance-tasks',
  'ingress-nginx-reload',
  'webhook-dead-letters',
  'alertmanager-silences',
] as const;

export function markdownPages(): string[] {
  return readdirSync(RUNBOOKS_DIR).filter((f) => f.endsWith('.md')).sort();
}

export function readPage(file: string): string {
  return readFileSync(join(RUNBOOKS_DIR, file), 'utf8');
}

export interface QuotedCommand {
  file: string;
  line: number;
  tool: 'ops' | 'smoke';
  command: string;
  /** Words after the command, up to the end of the code span or line. */
  args: string[];
}

/**
 * Every ops or smoke invocation a page quotes: `/app/bin/ops <cmd>`, `npm run ops -- <cmd>`,
 * `/app/bin/smoke ...` or `npm run smoke -- ...`.
 */
export function quotedCommands(file: string, text = readPage(file)): QuotedCommand[] {
  const found: QuotedCommand[] = [];
  text.split('\n').forEach((lineText, i) => {
    const re = /(?:\/app\/bin\/(ops|smoke)|npm run (ops|smoke) --)((?:\s+[^\s`|;&)]+)*)/g;
    for (let m = re.exec(lineText); m; m = re.exec(lineText)) {
      const tool = (m[1] ?? m[2]) as 'ops' | 'smoke';
      const words = m[3].trim().split(/\s+/).filter(Boolean);
      found.push({
        file,
        line: i + 1,
        tool,
        command: tool === 'ops' ? (words[0] ?? '') : '',
        args: tool === 'ops' ? words.slice(1) : words,
      });
    }
  });
  return found;
}
