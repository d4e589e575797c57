/** Runs the real helm binary (tmp/bin/helm, extracted by scripts/setup-helm.sh). */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './k8s-schema';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const CHART_DIR = path.join(REPO_ROOT, 'helm/socket-gateway');
const HELM = path.join(REPO_ROOT, 'tmp/bin/helm');

export function helmBinary(): string {
  if (!existsSync(HELM)) execFileSync('sh', [path.join(REPO_ROOT, 'scripts/setup-helm.sh')], { stdio: 'pipe' });
  return HELM;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function helm(args: string[]): HelmResult {
  try {
    const stdout = execFileSync(helmBinary(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status ?? 1, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? '') };
  }
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  valuesFiles?: string[];
  /** Values passed as a file, exactly as given (how the Pulumi program's values are checked). */
  values?: unknown;
}

/** `helm template`, parsed into objects; throws with helm's message when rendering fails. */
export function helmTemplate(opts: RenderOptions = {}): K8sObject[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'sg-helm-'));
  try {
    const args = ['template', opts.release ?? 'socket-gateway', CHART_DIR, '--namespace', opts.namespace ?? 'socket-gateway'];
    for (const f of opts.valuesFiles ?? []) args.push('--values', f);
    if (opts.values !== undefined) {
      const file = path.join(dir, 'values.json');
      writeFileSync(file, JSON.stringify(opts.values));
      args.push('--values', file);
    }
    const r = helm(args);
    if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${r.stderr}`);
    return parseManifests(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(`rendered YAML does not parse: ${d.errors[0].message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}
