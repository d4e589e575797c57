/**
 * Validates rendered Kubernetes objects against the Kubernetes and CRD schemas, refusing unknown
 * fields: the compiled OpenAPI validators (types, required, enums, formats) run in a child
 * process, the strict field walk runs here.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { modelFor } from './k8s-models';
import { unknownFieldErrors } from './k8s-strict-fields';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export function objectRef(o: K8sObject): string {
  return `${o.kind}/${o.metadata?.name ?? '?'}`;
}

function runValidators(items: { id: number; module: string; kind: string; object: unknown }[]): Promise<{ id: number; errors: string[] }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'k8s-validate.mjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`k8s-validate.mjs exited ${code}: ${err}`));
      else resolve(JSON.parse(out));
    });
    child.stdin.end(JSON.stringify(items));
  });
}

/** Every problem of every object, each prefixed with `Kind/name`; [] when all are valid. */
export async function schemaErrors(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  const items: { id: number; module: string; kind: string; object: unknown }[] = [];
  objects.forEach((o, id) => {
    const model = modelFor(o.apiVersion, o.kind);
    if (!model) problems.push(`${objectRef(o)}: no schema for ${o.apiVersion} ${o.kind}`);
    else items.push({ id, ...model, object: o });
  });
  for (const { id, errors } of await runValidators(items)) {
    for (const e of errors) problems.push(`${objectRef(objects[id])}: ${e}`);
  }
  for (const item of items) {
    for (const e of unknownFieldErrors(objects[item.id])) problems.push(`${objectRef(objects[item.id])}: ${e}`);
  }
  return problems;
}
