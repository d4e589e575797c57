/**
 * Policies over the resources a stack registers, shared by the per-stack specs. Each returns
 * violations naming the resource; [] means compliant.
 */
import type { RecordedResource } from './program';
import { isSecretValue } from './program';

/** Every value of every Kubernetes Secret must reach the engine marked secret. */
export function plaintextSecretViolations(resources: RecordedResource[]): string[] {
  const out: string[] = [];
  for (const r of resources.filter((x) => x.type === 'kubernetes:core/v1:Secret')) {
    for (const field of ['stringData', 'data']) {
      const v = r.inputs[field];
      if (v === undefined || isSecretValue(v)) continue;
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (!isSecretValue(x)) out.push(`${r.type} ${r.name}: ${field}.${k} is not a Pulumi secret`);
    }
  }
  return out;
}

/** Component type tokens follow socket-gateway:<module>:<Type>; child names carry their component's name. */
export function namingViolations(resources: RecordedResource[]): string[] {
  const components = resources.filter((r) => r.type.startsWith('socket-gateway:'));
  const out: string[] = [];
  for (const c of components) if (!/^socket-gateway:[a-z]+:[A-Z][A-Za-z]+$/.test(c.type)) out.push(`${c.type} ${c.name}: type token must be socket-gateway:<module>:<Type>`);
  for (const r of resources.filter((x) => !x.type.startsWith('socket-gateway:') && x.type !== 'kubernetes:core/v1:Namespace')) {
    if (!components.some((c) => r.name.startsWith(`${c.name}-`))) out.push(`${r.type} ${r.name}: name is not prefixed by a component name`);
  }
  return out;
}
