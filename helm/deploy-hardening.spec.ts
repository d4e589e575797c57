/**
 * Chart behaviour of the deploy hardening (issue 15): fail-closed engine, public surface, secret
 * checksum, Gateway API stickiness, cookie SameSite and NetworkPolicy egress, each rendered by
 * the real helm binary and validated against the Kubernetes schemas.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CHART_DIR, helm, helmTemplate } from './test/helm';
import { schemaErrors, type K8sObject } from './test/k8s-schema';
import { containerEnv, publicSurfaceViolations, selectorViolations } from './test/policies';
import { renderedNotes } from '../app/test/deploy/support/documented-commands';

type Dict = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const kind = (objs: K8sObject[], k: string) => objs.find((o) => o.kind === k) as Dict | undefined;
const gatewayContainer = (objs: K8sObject[]) => kind(objs, 'Deployment')!.spec.template.spec.containers[0];
const env = (objs: K8sObject[]) => containerEnv(objs, gatewayContainer(objs));
const refusal = (set: string) => {
  const r = helm(['template', 'socket-gateway', CHART_DIR, '--set', set]);
  expect(r.code).not.toBe(0);
  return r.stderr;
};
const gatewayApi = { provider: 'gateway-api', host: 'rt.example.com', gatewayApi: { parentRefs: [{ name: 'public' }] } };

describe('chart engine choice', () => {
  it('should pass ENGINE=redis and make REDIS_URL mandatory in the pod by default', () => {
    const objs = helmTemplate();
    expect(env(objs).ENGINE).toBe('redis');
    const redisUrl = gatewayContainer(objs).env.find((e: Dict) => e.name === 'REDIS_URL');
    expect(redisUrl.valueFrom.secretKeyRef.optional).toBe(false);
  });

  it('should refuse the memory engine with more than one replica or with autoscaling', () => {
    expect(refusal('config.engine=memory')).toMatch(/config.engine=memory keeps state inside one pod: set replicaCount=1 and autoscaling.enabled=false/);
    expect(refusal('config.engine=memory,autoscaling.enabled=false,replicaCount=2')).toMatch(/config.engine=memory keeps state inside one pod/);
    const objs = helmTemplate({ values: { config: { engine: 'memory' }, autoscaling: { enabled: false }, replicaCount: 1 } });
    expect(env(objs).ENGINE).toBe('memory');
  });

  it('should not hand the memory engine a Redis setting the gateway would refuse beside it', () => {
    // The gateway exits on ENGINE=memory with REDIS_URL or REDIS_MODE set: a Secret that still
    // holds REDIS_URL (the Pulumi program writes one) must not crash-loop a memory-engine pod.
    const single = { autoscaling: { enabled: false }, replicaCount: 1 };
    const objs = helmTemplate({ values: { ...single, config: { engine: 'memory' } } });
    expect(gatewayContainer(objs).env.map((e: Dict) => e.name)).not.toContain('REDIS_URL');
    expect(env(objs)).not.toHaveProperty('REDIS_MODE');
    const sentinel = helm(['template', 'socket-gateway', CHART_DIR, '--set', 'config.engine=memory,autoscaling.enabled=false,replicaCount=1,config.redisTopology.mode=sentinel,config.redisTopology.sentinels={s:26379},config.redisTopology.sentinelName=m']);
    expect(sentinel.code).not.toBe(0);
    expect(sentinel.stderr).toMatch(/config.engine=memory runs without Redis: leave config.redisTopology.mode at standalone/);
  });
});

describe('chart NOTES.txt', () => {
  it('should call REDIS_URL required only where the pods read it (standalone topology)', () => {
    expect(renderedNotes()).toContain('REDIS_URL is required');
    const sentinel = renderedNotes([`${CHART_DIR}/ci/ingress-nginx-external-redis.yaml`]);
    expect(sentinel).toContain('Secrets are read from the existing Secret');
    expect(sentinel).not.toContain('REDIS_URL');
  });

  it('should give the server API address on the internal Service when the main one is a LoadBalancer', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sg-notes-lb-'));
    try {
      writeFileSync(path.join(dir, 'lb.yaml'), 'service:\n  type: LoadBalancer\n');
      expect(renderedNotes([path.join(dir, 'lb.yaml')])).toContain('The server API (/api/v1) is internal: http://socket-gateway-internal.socket-gateway.svc:8080');
      expect(renderedNotes()).toContain('The server API (/api/v1) is internal: http://socket-gateway.socket-gateway.svc:8080');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('chart public surface', () => {
  it.each([
    ['gateway-api', { routing: gatewayApi }],
    ['ingress-nginx', { routing: { provider: 'ingress-nginx', host: 'rt.example.com' } }],
    ['ingress-traefik', { routing: { provider: 'ingress-traefik', host: 'rt.example.com' } }],
  ])('should route only /socket.io/ to the http port with %s', (_p, values) => {
    const objs = helmTemplate({ values });
    expect(objs.filter((o) => o.kind === 'Ingress' || o.kind === 'HTTPRoute')).toHaveLength(1);
    expect(publicSurfaceViolations(objs)).toEqual([]);
  });

  it('should give the server API its own internal Service port and API_PORT', async () => {
    const objs = helmTemplate();
    const ports = kind(objs, 'Service')!.spec.ports.map((p: Dict) => `${p.name}:${p.port}->${p.targetPort}`);
    expect(ports).toEqual(['http:80->http', 'api:8080->api', 'metrics:9464->metrics']);
    expect(env(objs).API_PORT).toBe('3001');
    expect(await schemaErrors(objs)).toEqual([]);
  });

  it.each(['LoadBalancer', 'NodePort'])('should keep the API and metrics ports on a ClusterIP Service with service.type %s', async (type) => {
    const objs = helmTemplate({ values: { service: { type }, monitoring: { serviceMonitor: { enabled: true } } } });
    const services = objs.filter((o) => o.kind === 'Service') as Dict[];
    const ports = (s: Dict) => s.spec.ports.map((p: Dict) => `${p.name}:${p.port}->${p.targetPort}`);
    expect(services.map((s) => [s.metadata.name, s.spec.type ?? 'ClusterIP', ports(s)]).sort()).toEqual([
      ['socket-gateway', type, ['http:80->http']],
      ['socket-gateway-internal', 'ClusterIP', ['api:8080->api', 'metrics:9464->metrics']],
      // What the ServiceMonitor scrapes: it keeps draining pods listed until they are gone.
      ['socket-gateway-metrics', 'ClusterIP', ['metrics:9464->metrics']],
    ]);
    expect(publicSurfaceViolations(objs)).toEqual([]);
    expect(selectorViolations(objs)).toEqual([]);
    expect(await schemaErrors(objs)).toEqual([]);
  });

  it('should refuse a routing.path other than /', () => {
    expect(refusal('routing.path=/realtime')).toMatch(/routing.path/);
  });
});

describe('chart checksum/secret', () => {
  const checksum = (objs: K8sObject[]) => kind(objs, 'Deployment')!.spec.template.metadata.annotations['checksum/secret'];

  it('should roll the pods when the deployer passes a new secret hash', () => {
    const a = checksum(helmTemplate({ values: { secrets: { checksum: 'sha256-aaaa' } } }));
    const b = checksum(helmTemplate({ values: { secrets: { checksum: 'sha256-bbbb' } } }));
    expect(a).toBe('sha256-aaaa');
    expect(b).not.toBe(a);
    expect(checksum(helmTemplate())).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('chart Gateway API stickiness', () => {
  const route = (objs: K8sObject[]) => kind(objs, 'HTTPRoute')!.spec.rules[0];

  it('should default to WebSocket-only without sessionPersistence', () => {
    const objs = helmTemplate({ values: { routing: gatewayApi } });
    expect(env(objs).TRANSPORTS).toBe('websocket');
    expect(route(objs)).not.toHaveProperty('sessionPersistence');
  });

  it('should add polling and cookie sessionPersistence only when asked explicitly', async () => {
    const objs = helmTemplate({ values: { routing: { ...gatewayApi, sessionPersistence: true } } });
    expect(env(objs).TRANSPORTS).toBe('websocket,polling');
    expect(route(objs).sessionPersistence).toMatchObject({ type: 'Cookie', sessionName: 'sg_affinity' });
    expect(await schemaErrors(objs)).toEqual([]);
  });

  it('should refuse polling behind Gateway API without sessionPersistence', () => {
    const r = helm(['template', 'socket-gateway', CHART_DIR, '--set', 'routing.provider=gateway-api,routing.host=a.example.com,routing.gatewayApi.parentRefs[0].name=gw,config.transports={websocket,polling}']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/config.transports includes polling, which needs routing.sessionPersistence=true/);
  });
});

describe('chart affinity cookie SameSite', () => {
  it('should set SameSite on the nginx and Traefik cookies', () => {
    const nginx = helmTemplate({ values: { routing: { provider: 'ingress-nginx', host: 'a.example.com', cookieSameSite: 'Strict' } } });
    expect(kind(nginx, 'Ingress')!.metadata.annotations['nginx.ingress.kubernetes.io/session-cookie-samesite']).toBe('Strict');
    const traefik = helmTemplate({ values: { routing: { provider: 'ingress-traefik', host: 'a.example.com', cookieSameSite: 'None', tls: { enabled: true, secretName: 'tls' } } } });
    expect(kind(traefik, 'Service')!.metadata.annotations).toMatchObject({ 'traefik.ingress.kubernetes.io/service.sticky.cookie.samesite': 'none', 'traefik.ingress.kubernetes.io/service.sticky.cookie.secure': 'true' });
  });

  it('should refuse SameSite=None without TLS', () => {
    expect(refusal('routing.provider=ingress-nginx,routing.host=a.example.com,routing.cookieSameSite=None')).toMatch(/cookieSameSite=None needs routing.tls.enabled/);
  });
});

describe('chart NetworkPolicy egress', () => {
  const egress = (objs: K8sObject[]) => kind(objs, 'NetworkPolicy')!.spec.egress as Dict[];

  it('should allow NodeLocal DNSCache beside kube-dns', () => {
    const rules = egress(helmTemplate({ values: { networkPolicy: { enabled: true } } }));
    expect(rules).toContainEqual({ to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] });
    expect(rules.some((r) => r.to?.[0]?.podSelector?.matchLabels?.['k8s-app'] === 'kube-dns')).toBe(true);
  });

  it('should allow the webhook port only when a webhook URL is set', async () => {
    const off = egress(helmTemplate({ values: { networkPolicy: { enabled: true } } }));
    const on = helmTemplate({ values: { networkPolicy: { enabled: true }, config: { webhookUrl: 'https://hooks.example.com/sg' } } });
    const custom = egress(helmTemplate({ values: { networkPolicy: { enabled: true, webhookPeers: [{ ipBlock: { cidr: '10.9.0.0/16' } }] }, config: { webhookUrl: 'http://hooks.internal:8080/sg' } } }));
    expect(off.some((r) => r.ports?.[0]?.port === 443)).toBe(false);
    expect(egress(on)).toContainEqual({ ports: [{ port: 443, protocol: 'TCP' }] });
    expect(custom).toContainEqual({ ports: [{ port: 8080, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '10.9.0.0/16' } }] });
    expect(await schemaErrors(on)).toEqual([]);
  });

  it('should close the API and metrics ports when their peer lists are empty, not open them to every source', () => {
    const np = kind(helmTemplate({ values: { networkPolicy: { enabled: true, apiPeers: [], prometheusPeers: [] } } }), 'NetworkPolicy')!;
    // A rule without `from` admits every source: an empty list must drop the rule instead.
    expect(np.spec.ingress.map((r: Dict) => [r.ports[0].port, r.from === undefined ? 'any source' : r.from.length])).toEqual([['http', 1]]);
  });

  it('should admit only apiPeers to the server API port', () => {
    const np = kind(helmTemplate({ values: { networkPolicy: { enabled: true } } }), 'NetworkPolicy')!;
    expect(np.spec.ingress).toContainEqual({ ports: [{ port: 'api', protocol: 'TCP' }], from: [{ podSelector: {} }] });
  });
});

describe('chart config.extraEnv', () => {
  /** The names config.extraEnv may not hold (values.schema.json). */
  const reserved = (): string[] => {
    const schema = JSON.parse(readFileSync(`${CHART_DIR}/values.schema.json`, 'utf8'));
    return schema.properties.config.properties.extraEnv.propertyNames.not.enum;
  };
  /** Every variable the chart itself sets in the pod, over renderings that switch every optional one on. */
  const chartSetNames = (): Set<string> => {
    const names = new Set<string>();
    const full = {
      config: { corsOrigins: ['https://a.example.com'], webhookUrl: 'https://hooks.example.com/sg', jwt: { issuer: 'i', audience: 'a' } },
      otel: { endpoint: 'http://otel:4318' },
      routing: { provider: 'ingress-nginx', host: 'a.example.com' },
    };
    const renderings = [
      helmTemplate({ values: full }),
      helmTemplate({ values: { ...full, config: { ...full.config, redisAdapter: 'sharded', jwt: { jwksUrl: 'https://auth.example.com/jwks' }, redisTopology: { mode: 'cluster', clusterNodes: ['r:6379'] } } } }),
      helmTemplate({ values: { ...full, config: { ...full.config, redisTopology: { mode: 'sentinel', sentinels: ['s:26379'], sentinelName: 'm' } } } }),
    ];
    for (const objs of renderings) {
      const c = gatewayContainer(objs);
      for (const k of Object.keys(containerEnv(objs, c))) names.add(k);
      for (const e of c.env as Dict[]) names.add(e.name);
    }
    return names;
  };

  it('should reserve every variable the chart sets, so extraEnv cannot override or duplicate one', () => {
    const missing = [...chartSetNames()].filter((n) => !reserved().includes(n));
    expect(missing).toEqual([]);
  });

  it.each(['ENGINE', 'API_PORT', 'TRANSPORTS', 'REDIS_MODE', 'REDIS_PASSWORD', 'TRUST_PROXY'])('should refuse config.extraEnv.%s naming it', (name) => {
    expect(refusal(`config.extraEnv.${name}=x`)).toContain(`Property name of "${name}" does not match`);
  });

  it('should pass other variables into the ConfigMap', () => {
    expect(env(helmTemplate({ values: { config: { extraEnv: { HISTORY_MAX_LEN: 500 } } } })).HISTORY_MAX_LEN).toBe('500');
  });
});
