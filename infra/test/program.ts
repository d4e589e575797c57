/**
 * Runs the Pulumi program of one example stack under pulumi.runtime.setMocks (no engine, no
 * cluster) and records every resource it registers. Call once per jest file: the Pulumi runtime
 * keeps process-wide state.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';

export const INFRA_DIR = path.resolve(__dirname, '..');

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  parent?: string;
  /** Provider reference (`urn::id`) the engine would use; '' for the default provider. */
  provider: string;
  /** Whether the resource was registered with `protect`. */
  protect: boolean;
}

/** Plain config of an example stack file, keys without the project prefix. */
export function stackConfig(stack: string): Record<string, unknown> {
  const doc = parse(readFileSync(path.join(INFRA_DIR, `Pulumi.${stack}.yaml`), 'utf8'));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc.config ?? {})) out[k.replace(/^socket-gateway:/, '')] = v;
  return out;
}

export async function runProgram(
  stack: string,
  secrets: Record<string, string>,
  overrides: Record<string, unknown> = {},
  /** Receives every registration, also when the program throws before finishing. */
  resources: RecordedResource[] = [],
): Promise<{ resources: RecordedResource[]; outputs: Record<string, { value: unknown; secret: boolean }> }> {
  const config: Record<string, string> = {};
  // An override of undefined removes that key of the stack file.
  for (const [k, v] of Object.entries({ ...stackConfig(stack), ...overrides, ...secrets })) if (v !== undefined) config[`socket-gateway:${k}`] = typeof v === 'string' ? v : JSON.stringify(v);
  pulumi.runtime.setAllConfig(config, Object.keys(secrets).map((k) => `socket-gateway:${k}`));

  const protectedNames = new Set<string>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider ?? '', protect: protectedNames.has(`${args.type}::${args.name}`) });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        return args.inputs;
      },
    },
    'socket-gateway',
    stack,
    false,
  );
  // The mocks do not pass resource options on; read `protect` off each registration request of
  // this test's own mock monitor (an instance, not a library prototype) before it is mocked.
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: RegisterRequest, cb: unknown): void };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    if (req.getProtect()) protectedNames.add(`${req.getType()}::${req.getName()}`);
    register(req, cb);
  };
  // Required only now: the program must load after setMocks above.
  const program = require('../index') as Record<string, unknown>;
  const outputs: Record<string, { value: unknown; secret: boolean }> = {};
  for (const [k, v] of Object.entries(program)) outputs[k] = await resolve(v as pulumi.Input<unknown>);
  // Registrations are asynchronous; wait until the mock monitor has seen all of them.
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs(); // internal, untyped
  return { resources, outputs };
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getProtect(): boolean | undefined;
}

/** True for a value the Pulumi SDK sent to the engine marked secret. */
export function isSecretValue(v: unknown): boolean {
  return !!v && typeof v === 'object' && (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** The same value with every secret marker removed (what the cluster would receive). */
export function reveal<T>(v: T): T {
  if (isSecretValue(v)) return reveal((v as unknown as { value: T }).value);
  if (Array.isArray(v)) return v.map(reveal) as unknown as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)])) as T;
  return v;
}

/** Resolves an Output (or plain value) and tells whether Pulumi treats it as secret. */
export async function resolve<T>(v: pulumi.Input<T>): Promise<{ value: T; secret: boolean }> {
  if (!pulumi.Output.isInstance(v)) return { value: v as T, secret: false };
  const out = v as pulumi.Output<T>;
  const value = await new Promise<T>((r) => out.apply((x) => r(x)));
  return { value, secret: await pulumi.isSecret(out) };
}
