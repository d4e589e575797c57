/**
 * The probe and scrape paths the chart uses really exist in the app, on the ports the chart
 * sends them to: the real gateway, configured from the rendered ConfigMap, is asked.
 */
import { helmTemplate } from './test/helm';
import { APP_ENDPOINTS } from './test/app-contract';
import { containerEnv } from './test/policies';
import { servedEndpoints } from './test/repo-inputs';

describe('app endpoints the chart relies on', () => {
  it('should be served by the real gateway started with the rendered configuration', async () => {
    const objs = helmTemplate();
    const deployment = objs.find((o) => o.kind === 'Deployment') as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const env = containerEnv(objs, deployment.spec.template.spec.containers[0]);
    expect(env).toMatchObject({ PORT: '3000', API_PORT: '3001', METRICS_PORT: '9464' });
    const ports = Object.fromEntries(deployment.spec.template.spec.containers[0].ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
    expect(ports).toEqual({ http: Number(env.PORT), api: Number(env.API_PORT), metrics: Number(env.METRICS_PORT) });
    const candidates = [...new Set(Object.values(APP_ENDPOINTS).flat())];
    const served = await servedEndpoints({ ...env, JWT_SECRET: 'j'.repeat(40) }, candidates);
    expect(served).toEqual(APP_ENDPOINTS);
  }, 60_000);
});
