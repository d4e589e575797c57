import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helmTemplate } from '../../../helm/test/helm';
import { bodySizeMiB, chartRouting, nginxConfig } from '../../../scripts/nginx/nginx-config';
import { nginxBinary } from '../support/nginx';

const GATEWAYS = ['127.0.0.1:3001', '127.0.0.1:3002', '127.0.0.1:3003'];

/** The ingress-nginx annotations the chart renders for these routing values. */
type Values = Parameters<typeof chartRouting>[0] & object;

/** The Ingress the chart renders with ingress-nginx for these routing values. */
function chartIngress(values: Values): { annotations: Record<string, string>; paths: string[] } {
  const objs = helmTemplate({ values: { ...values, routing: { ...values.routing, provider: 'ingress-nginx', host: 'rt.example.com' } } });
  const ingress = objs.find((o) => o.kind === 'Ingress') as unknown as { metadata: { annotations: Record<string, string> }; spec: { rules: Array<{ http: { paths: Array<{ path: string }> } }> } };
  return { annotations: ingress.metadata.annotations, paths: ingress.spec.rules.flatMap((r) => r.http.paths.map((p) => p.path)) };
}

/** `directive value;` lines of a config, as a map (first occurrence). */
function directives(conf: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of conf.matchAll(/^\s*([a-z_]+) ([^;{]+);$/gm)) if (!out.has(m[1])) out.set(m[1], m[2]);
  return out;
}

describe('nginx config (scripts/nginx/nginx-config.ts)', () => {
  it.each([
    ['the chart defaults', {}],
    ['other timeouts, cookie, TLS and buffer size', {
      routing: { timeoutSeconds: 7200, cookieName: 'route_x', cookieMaxAgeSeconds: 600, cookieSameSite: 'Strict', tls: { enabled: true, secretName: 'rt-tls' } },
      config: { maxHttpBufferSize: 3_500_000 },
    }],
  ] as Array<[string, Values]>)('should carry what the chart tells ingress-nginx, for %s', (_name, values) => {
    const { annotations: ann, paths } = chartIngress(values);
    const routing = chartRouting(values);
    const conf = nginxConfig({ ...routing, listen: '127.0.0.1:8080', gateways: GATEWAYS, prefix: '/tmp/x' });
    const d = directives(conf);
    expect(d.get('proxy_read_timeout')).toBe(`${ann['nginx.ingress.kubernetes.io/proxy-read-timeout']}s`);
    expect(d.get('proxy_send_timeout')).toBe(`${ann['nginx.ingress.kubernetes.io/proxy-send-timeout']}s`);
    expect(d.get('client_max_body_size')).toBe(ann['nginx.ingress.kubernetes.io/proxy-body-size']);
    expect(ann['nginx.ingress.kubernetes.io/affinity']).toBe('cookie');
    const name = ann['nginx.ingress.kubernetes.io/session-cookie-name'];
    expect(conf).toContain(`map $cookie_${name} $sg_upstream`);
    const secure = ann['nginx.ingress.kubernetes.io/session-cookie-secure'] === 'true' ? '; Secure' : '';
    expect(conf).toContain(`"${name}=$sg_route; Path=/; Max-Age=${ann['nginx.ingress.kubernetes.io/session-cookie-max-age']}; HttpOnly; SameSite=${ann['nginx.ingress.kubernetes.io/session-cookie-samesite']}${secure}"`);
    expect(paths).toHaveLength(1);
    expect(conf).toContain(`location ${paths[0]} {`);
    expect(conf).toContain('location / { return 404; }');
    expect(d.get('proxy_pass')).toBe('http://$sg_upstream');
  });

  it('should route every pod by its own cookie value, with the others as backups', () => {
    const conf = nginxConfig({ ...chartRouting(), listen: '127.0.0.1:8080', gateways: GATEWAYS, prefix: '/tmp/x' });
    for (const [i, a] of GATEWAYS.entries()) {
      expect(conf).toContain(`upstream sg_gw${i} {\n    server ${a};\n${GATEWAYS.filter((g) => g !== a).map((g) => `    server ${g} backup;`).join('\n')}\n  }`);
      expect(conf).toContain(`~(^|\\s)${a.replace(/\./g, '\\.')}$ gw${i};`);
    }
  });

  it('should keep each instance\'s cookie value when the list changes (the stage\'s readiness poller names them)', () => {
    const conf = nginxConfig({ ...chartRouting(), listen: '127.0.0.1:8080', gateways: [GATEWAYS[0], GATEWAYS[2]], routeNames: ['gw0', 'gw2'], prefix: '/tmp/x' });
    expect(conf).toContain(`upstream sg_gw2 {\n    server ${GATEWAYS[2]};\n    server ${GATEWAYS[0]} backup;\n  }`);
    expect(conf).toContain('    gw2 sg_gw2;');
    expect(conf).not.toContain('sg_gw1');
    const base = { ...chartRouting(), listen: '127.0.0.1:8080', gateways: GATEWAYS, prefix: '/tmp/x' };
    expect(() => nginxConfig({ ...base, routeNames: ['gw0', 'gw1'] })).toThrow(/routeNames/);
    expect(() => nginxConfig({ ...base, routeNames: ['gw0', 'gw1', 'x; return 500'] })).toThrow(/routeNames/);
  });

  it('should round-robin without a cookie map when stickiness is off (WebSocket-only deployments)', () => {
    const conf = nginxConfig({ ...chartRouting({ routing: { stickySessions: false } }), listen: '127.0.0.1:8080', gateways: GATEWAYS, prefix: '/tmp/x' });
    expect(directives(conf).get('proxy_pass')).toBe('http://sg_gateways');
    expect(conf).not.toContain('Set-Cookie');
  });

  it('should compute the body size the way the chart does', () => {
    expect([65_536, 1_048_575, 1_048_576, 3_500_000].map(bodySizeMiB)).toEqual([1, 1, 2, 4]);
  });

  it('should refuse values that would inject nginx directives', () => {
    const base = { ...chartRouting(), listen: '127.0.0.1:8080', gateways: GATEWAYS, prefix: '/tmp/x' };
    expect(() => nginxConfig({ ...base, cookieName: 'a; return 500' })).toThrow(/cookie name/);
    expect(() => nginxConfig({ ...base, gateways: ['gw.internal:3000'] })).toThrow(/not an IP:port/);
    expect(() => nginxConfig({ ...base, gateways: [] })).toThrow(/at least one/);
    expect(() => nginxConfig({ ...base, path: '/x; return 500;/' })).toThrow(/path/);
  });

  it('should be accepted by nginx -t', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'sg-nginx-t-'));
    try {
      const conf = join(prefix, 'nginx.conf');
      writeFileSync(conf, nginxConfig({ ...chartRouting(), listen: '127.0.0.1:8080', gateways: GATEWAYS, prefix }));
      const r = spawnSync(nginxBinary(), ['-t', '-p', prefix, '-e', join(prefix, 'error.log'), '-c', conf], { encoding: 'utf8' });
      expect(r.stderr).toMatch(/syntax is ok/);
      expect(r.status).toBe(0);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});
