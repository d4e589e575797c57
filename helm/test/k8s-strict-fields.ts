/**
 * Refuses fields the Kubernetes schema does not define. The kubernetes-models validators check
 * types, required fields, enums and patterns but let unknown fields through (the API server
 * would drop or reject them), so this walks each object against the same generator's TypeScript
 * interfaces with the real TypeScript checker: an object key with no matching property and no
 * index signature is an unknown field.
 */
import * as path from 'node:path';
import ts from 'typescript';
import { SUPPORTED_KINDS, modelFor } from './k8s-models';

const REPO_ROOT = path.resolve(__dirname, '../..');
const ROOT_FILE = path.join(REPO_ROOT, 'helm/test/__kubernetes_types__.ts');

interface TypeIndex {
  checker: ts.TypeChecker;
  types: Map<string, ts.Type>;
}

let cached: TypeIndex | null = null;

function typeAlias(i: number): string {
  return `K${i}`;
}

/** One program for every supported kind; building it is the slow part, so it is built once. */
function loadTypes(): TypeIndex {
  if (cached) return cached;
  const kinds = SUPPORTED_KINDS.map((k) => {
    const i = k.lastIndexOf('/');
    return { key: k, model: modelFor(k.slice(0, i), k.slice(i + 1))! };
  });
  const source = kinds.map(({ model }, i) => `export type { I${model.kind} as ${typeAlias(i)} } from '${model.module}';`).join('\n');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    path.resolve(fileName) === ROOT_FILE
      ? ts.createSourceFile(fileName, source, languageVersion)
      : getSourceFile(fileName, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => path.resolve(f) === ROOT_FILE || fileExists(f);
  const program = ts.createProgram({ rootNames: [ROOT_FILE], options, host });
  const checker = program.getTypeChecker();
  const root = checker.getSymbolAtLocation(program.getSourceFile(ROOT_FILE)!)!;
  const exported = new Map(checker.getExportsOfModule(root).map((s) => [s.getName(), s]));
  const types = new Map<string, ts.Type>();
  kinds.forEach(({ key }, i) => {
    const sym = exported.get(typeAlias(i));
    if (!sym) throw new Error(`no TypeScript interface found for ${key}`);
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    const type = checker.getDeclaredTypeOfSymbol(target);
    if (checker.getPropertiesOfType(type).length === 0) throw new Error(`interface of ${key} did not resolve (${checker.typeToString(type)})`);
    types.set(key, type);
  });
  cached = { checker, types };
  return cached;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isOpen(t: ts.Type): boolean {
  return (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0;
}

function arrayElement(checker: ts.TypeChecker, t: ts.Type): ts.Type | undefined {
  return checker.isArrayType(t) ? checker.getTypeArguments(t as ts.TypeReference)[0] : undefined;
}

function accepts(checker: ts.TypeChecker, t: ts.Type, v: Json): boolean {
  if (isOpen(t)) return true;
  if (typeof v === 'string') return (t.flags & ts.TypeFlags.StringLike) !== 0;
  if (typeof v === 'number') return (t.flags & ts.TypeFlags.NumberLike) !== 0;
  if (typeof v === 'boolean') return (t.flags & ts.TypeFlags.BooleanLike) !== 0;
  if (Array.isArray(v)) return arrayElement(checker, t) !== undefined;
  return (t.flags & ts.TypeFlags.Object) !== 0 && arrayElement(checker, t) === undefined;
}

function walk(checker: ts.TypeChecker, value: Json | undefined, type: ts.Type, at: string, errors: string[]): void {
  if (value === null || value === undefined || isOpen(type)) return;
  const t = checker.getNonNullableType(type);
  if (t.isUnion()) {
    const candidates = t.types.filter((m) => accepts(checker, m, value));
    if (candidates.length === 0) {
      errors.push(`${at || '/'}: ${JSON.stringify(value)} is not a ${checker.typeToString(t)}`);
      return;
    }
    if (candidates.length === 1) return walk(checker, value, candidates[0], at, errors);
    let first: string[] | null = null;
    for (const c of candidates) {
      const sub: string[] = [];
      walk(checker, value, c, at, sub);
      if (sub.length === 0) return;
      first ??= sub;
    }
    errors.push(...first!);
    return;
  }
  if (!accepts(checker, t, value)) {
    errors.push(`${at || '/'}: ${JSON.stringify(value)} is not a ${checker.typeToString(t)}`);
    return;
  }
  if (Array.isArray(value)) {
    const element = arrayElement(checker, t)!;
    value.forEach((v, i) => walk(checker, v, element, `${at}/${i}`, errors));
    return;
  }
  if (typeof value !== 'object') return;
  const index = checker.getIndexInfosOfType(t).find((info) => info.keyType.flags & ts.TypeFlags.String);
  for (const [key, v] of Object.entries(value)) {
    const prop = checker.getPropertyOfType(t, key);
    // An AlertmanagerConfig route's child routes are free JSON in the CRD (its schema cannot recurse),
    // but Routes to the operator: check them as the parent's own type.
    if (prop && key === 'routes' && Array.isArray(v) && checker.getPropertyOfType(t, 'receiver') && checker.getPropertyOfType(t, 'groupBy')) {
      v.forEach((child, i) => walk(checker, child, t, `${at}/${key}/${i}`, errors));
      continue;
    }
    if (prop) walk(checker, v, checker.getTypeOfSymbol(prop), `${at}/${key}`, errors);
    else if (index) walk(checker, v, index.type, `${at}/${key}`, errors);
    else errors.push(`${at}/${key}: unknown field (not in the schema of ${checker.typeToString(t)})`);
  }
}

/** Unknown-field (and shape) errors of one object, as JSON-pointer-like paths; [] when clean. */
export function unknownFieldErrors(object: { apiVersion: string; kind: string }): string[] {
  const { checker, types } = loadTypes();
  const type = types.get(`${object.apiVersion}/${object.kind}`);
  if (!type) return [`/: no schema for ${object.apiVersion} ${object.kind}`];
  const errors: string[] = [];
  walk(checker, object as unknown as Json, type, '', errors);
  return errors;
}
