/**
 * Collects the smoke and ops commands the docs give on-call: from the chart's rendered NOTES.txt,
 * the runbooks and the READMEs' shell blocks. Each comes back exactly as written.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR, REPO_ROOT, helmBinary } from '../../../../helm/test/helm';

export interface DocumentedCommand {
  where: string;
  command: string;
}

const TOOL = /(\/app\/bin\/(smoke|ops)|^bin\/(smoke|ops)|npm run (smoke|ops) --)/;
/** A smoke or ops invocation, possibly after VAR=value assignments (never a bare path in prose). */
const isCommand = (c: string) => TOOL.test(c.replace(/^([A-Z_]+=\S+ )+/, '')) && /^([A-Z_]+=\S+ )*(kubectl |npm run |bin\/)/.test(c);

/**
 * NOTES.txt as `helm install` prints it. helm template leaves NOTES out, so a copy of the chart
 * renders the same file through `tpl` into a ConfigMap that helm template does print.
 */
export function renderedNotes(valuesFiles: string[] = [], release = 'socket-gateway', namespace = 'socket-gateway'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sg-notes-'));
  try {
    const chart = path.join(dir, 'socket-gateway');
    cpSync(CHART_DIR, chart, { recursive: true, dereference: true });
    cpSync(path.join(chart, 'templates/NOTES.txt'), path.join(chart, 'notes-source.txt'));
    writeFileSync(path.join(chart, 'templates/zz-notes.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ tpl (.Files.Get "notes-source.txt") . | toJson }}\n');
    const args = ['template', release, chart, '-n', namespace, '--show-only', 'templates/zz-notes.yaml', ...valuesFiles.flatMap((f) => ['-f', f])];
    const out = execFileSync(helmBinary(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return (parse(out) as { data: { notes: string } }).data.notes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Release and namespace the chart is installed as; the docs' own names unless given. */
export interface Install {
  release: string;
  namespace: string;
}

export function notesCommands(valuesFile?: string, install: Install = { release: 'socket-gateway', namespace: 'socket-gateway' }): DocumentedCommand[] {
  const notes = renderedNotes(valuesFile ? [path.join(CHART_DIR, 'ci', valuesFile)] : [], install.release, install.namespace);
  const as = install.release === 'socket-gateway' && install.namespace === 'socket-gateway' ? '' : `, release ${install.release} in ${install.namespace}`;
  return notes
    .split('\n')
    .map((l) => l.trim())
    .filter(isCommand)
    .map((command) => ({ where: `NOTES.txt (${valuesFile ?? 'defaults'}${as})`, command }));
}

/** Commands in backtick code spans of every runbook page (those `keep` selects). */
export function runbookCommands(keep: (command: string) => boolean = isCommand): DocumentedCommand[] {
  const dir = path.join(REPO_ROOT, 'runbooks');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .flatMap((f) =>
      readFileSync(path.join(dir, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => [...line.matchAll(/`([^`]+)`/g)].map((m) => ({ where: `runbooks/${f}:${i + 1}`, command: m[1].trim() }))),
    )
    .filter((c) => keep(c.command));
}

/** Lines of fenced shell blocks in the deployment READMEs. */
export function readmeCommands(): DocumentedCommand[] {
  return ['helm/socket-gateway/README.md', 'infra/README.md'].flatMap((file) => {
    let inShell = false;
    return readFileSync(path.join(REPO_ROOT, file), 'utf8')
      .split('\n')
      .flatMap((line, i) => {
        if (/^\s*```/.test(line)) {
          inShell = !inShell && /```(sh|bash)/.test(line);
          return [];
        }
        const command = line.trim();
        return inShell && isCommand(command) ? [{ where: `${file}:${i + 1}`, command }] : [];
      });
  });
}

/** One entry per distinct command, keeping where it was first seen. */
export function unique(commands: DocumentedCommand[]): DocumentedCommand[] {
  const seen = new Map<string, DocumentedCommand>();
  for (const c of commands) if (!seen.has(c.command)) seen.set(c.command, c);
  return [...seen.values()];
}
