import { schemaErrors, type K8sObject } from './k8s-schema';

function deployment(container: Record<string, unknown>, extraSpec: Record<string, unknown> = {}): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx', ...container }] } },
      ...extraSpec,
    },
  };
}

describe('schemaErrors', () => {
  it('should accept a well-formed object', async () => {
    expect(await schemaErrors([deployment({ ports: [{ name: 'http', containerPort: 80 }] })])).toEqual([]);
  });

  it('should refuse an unknown field at any depth and name the object and path', async () => {
    const errors = await schemaErrors([deployment({ livenessProbe: { httpGet: { path: '/', port: 80, pathh: '/x' } } }, { replica: 3 })]);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Deployment\/web: \/spec\/replica: unknown field/),
        expect.stringMatching(/^Deployment\/web: \/spec\/template\/spec\/containers\/0\/livenessProbe\/httpGet\/pathh: unknown field/),
      ]),
    );
  });

  it('should refuse wrong types and missing required fields', async () => {
    const errors = await schemaErrors([deployment({ ports: [{ containerPort: 'eighty' }] }), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { n: 1 } } as unknown as K8sObject]);
    expect(errors.some((e) => e.startsWith('Deployment/web: /spec/template/spec/containers/0/ports/0/containerPort'))).toBe(true);
    expect(errors.some((e) => e.startsWith('ConfigMap/c: /data/n'))).toBe(true);
    const missing = await schemaErrors([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ name: 'x' }] } }]);
    expect(missing.join('\n')).toMatch(/Service\/s: \/spec\/ports\/0 must have required property port/);
  });

  it('should check CRD objects against their CRD schemas', async () => {
    const route: K8sObject = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r' },
      spec: { parentRefs: [{ name: 'gw' }], rules: [{ sessionPersistence: { type: 'Cookie', cookieName: 'x' } }] },
    };
    expect(await schemaErrors([route])).toEqual([expect.stringMatching(/^HTTPRoute\/r: \/spec\/rules\/0\/sessionPersistence\/cookieName: unknown field/)]);
    const rule: K8sObject = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'p' },
      spec: { groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'up == 0', for: 'five minutes' }] }] },
    };
    expect((await schemaErrors([rule])).join('\n')).toMatch(/PrometheusRule\/p: \/spec\/groups\/0\/rules\/0\/for must match pattern/);
  });

  it('should refuse kinds it has no schema for', async () => {
    expect(await schemaErrors([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }])).toEqual(['Widget/w: no schema for example.com/v1 Widget']);
  });
});
