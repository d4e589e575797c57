// Runs the kubernetes-models validators (ajv code compiled from the Kubernetes OpenAPI and CRD
// schemas). They ship as ES modules only, which jest's CommonJS runtime cannot load, so
// k8s-schema.ts runs this file in a plain `node` child process.
// stdin: [{ id, module, kind, object }]   stdout: [{ id, errors: string[] }]
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const items = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const results = [];
for (const { id, module, kind, object } of items) {
  const Model = (await import(module))[kind];
  const errors = [];
  try {
    new Model(object).validate();
  } catch (err) {
    for (const e of err.errors ?? [{ instancePath: '', message: String(err.message) }]) {
      errors.push(`${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);
    }
  }
  results.push({ id, errors });
}
process.stdout.write(JSON.stringify(results));
