/**
 * The one place an nginx configuration for the gateway is written (tests behind a real proxy,
 * and the stage). It reproduces what ingress-nginx does with the annotations the chart sets
 * (helm/socket-gateway/templates/ingress.yaml), from the same values:
 *
 * | chart value                   | ingress-nginx annotation                        | here                                   |
 * |-------------------------------|-------------------------------------------------|----------------------------------------|
 * | routing.timeoutSeconds        | proxy-read-timeout, proxy-send-timeout          | proxy_read_timeout, proxy_send_timeout |
 * | config.maxHttpBufferSize      | proxy-body-size (whole MiB, rounded up + 1)     | client_max_body_size                   |
 * | routing.stickySessions        | affinity: cookie, affinity-mode: persistent     | route cookie → one upstream per pod    |
 * | routing.cookieName            | session-cookie-name                             | cookie name                            |
 * | routing.cookieMaxAgeSeconds   | session-cookie-max-age                          | Max-Age                                |
 * | routing.cookieSameSite        | session-cookie-samesite                         | SameSite                               |
 * | routing.tls.enabled           | session-cookie-secure                           | Secure                                 |
 * | routing.path                  | the one Ingress path, `<path>socket.io/`        | the one proxied location; others 404   |
 * | routing.trustProxy (1)        | the controller appends to X-Forwarded-For       | $proxy_add_x_forwarded_for             |
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The chart's routing settings that shape the proxy. */
export interface ProxyRouting {
  /** Prefix the public Socket.IO path hangs under (`routing.path`). */
  path: string;
  stickySessions: boolean;
  cookieName: string;
  cookieMaxAgeSeconds: number;
  cookieSameSite: 'Strict' | 'Lax' | 'None';
  /** Affinity cookie marked Secure (`routing.tls.enabled`). */
  secureCookie: boolean;
  timeoutSeconds: number;
  maxHttpBufferSize: number;
}

type ChartRoutingValues = Omit<ProxyRouting, 'secureCookie' | 'maxHttpBufferSize'> & { tls: { enabled: boolean } };

export interface NginxConfigOptions extends ProxyRouting {
  /** `host:port` nginx listens on. */
  listen: string;
  /** `host:port` of every gateway instance (IP literals: nginx resolves names only at start). */
  gateways: string[];
  /**
   * Affinity cookie value of each gateway, in the order of `gateways`. Give stable names when the
   * list changes at run time (the stage's readiness poller), so a cookie keeps naming its instance.
   * @default gw0, gw1, …
   */
  routeNames?: string[];
  /** Directory for the pid file, logs and temp files (nginx runs with `-p <prefix>`). */
  prefix: string;
  /** Worker user when nginx is started as root (workers must read the prefix). @default none */
  user?: string;
  /** Worker processes. @default 1 (one worker keeps round-robin order predictable) */
  workers?: number;
}

const CHART_VALUES = join(__dirname, '..', '..', 'helm', 'socket-gateway', 'values.yaml');

/** The routing settings of a chart values object (defaults from values.yaml where missing). */
export function chartRouting(overrides: { routing?: Partial<ChartRoutingValues>; config?: { maxHttpBufferSize?: number } } = {}): ProxyRouting {
  const values = parse(readFileSync(CHART_VALUES, 'utf8')) as { routing: ChartRoutingValues; config: { maxHttpBufferSize: number } };
  const r = { ...values.routing, ...overrides.routing };
  return {
    path: r.path,
    stickySessions: r.stickySessions,
    cookieName: r.cookieName,
    cookieMaxAgeSeconds: r.cookieMaxAgeSeconds,
    cookieSameSite: r.cookieSameSite,
    secureCookie: r.tls.enabled,
    timeoutSeconds: r.timeoutSeconds,
    maxHttpBufferSize: overrides.config?.maxHttpBufferSize ?? values.config.maxHttpBufferSize,
  };
}

/** ingress-nginx's proxy-body-size as the chart computes it: whole MiB, rounded down, plus one. */
export function bodySizeMiB(maxHttpBufferSize: number): number {
  return Math.floor(maxHttpBufferSize / 1_048_576) + 1;
}

const SAFE = /^[A-Za-z0-9_-]+$/;
const ADDRESS = /^(\d{1,3}\.){3}\d{1,3}:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

export function nginxConfig(o: NginxConfigOptions): string {
  if (!SAFE.test(o.cookieName)) throw new Error(`cookie name "${o.cookieName}" may only hold letters, digits, _ and -`);
  for (const a of [o.listen, ...o.gateways]) if (!ADDRESS.test(a)) throw new Error(`"${a}" is not an IP:port address`);
  if (o.gateways.length === 0) throw new Error('at least one gateway is needed');
  if (!/^\/([A-Za-z0-9._~-]+\/)*$/.test(o.path)) throw new Error(`path "${o.path}" must start and end with / and hold only URL-safe characters`);
  if (!['Strict', 'Lax', 'None'].includes(o.cookieSameSite)) throw new Error(`cookie SameSite "${o.cookieSameSite}" must be Strict, Lax or None`);
  const cookieVar = `$cookie_${o.cookieName}`;
  if (o.routeNames && (o.routeNames.length !== o.gateways.length || !o.routeNames.every((r) => SAFE.test(r)))) {
    throw new Error('routeNames must name every gateway with letters, digits, _ and -');
  }
  const routes = o.gateways.map((address, i) => ({ route: o.routeNames?.[i] ?? `gw${i}`, address }));
  const esc = (s: string) => s.replace(/[.[\]]/g, '\\$&');
  const lines = [
    '# Generated by scripts/nginx/nginx-config.ts; do not edit.',
    ...(o.user ? [`user ${o.user};`] : []),
    'daemon off;',
    `worker_processes ${o.workers ?? 1};`,
    `pid ${o.prefix}/nginx.pid;`,
    `error_log ${o.prefix}/error.log warn;`,
    'events { worker_connections 4096; }',
    'http {',
    `  access_log ${o.prefix}/access.log;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${o.prefix}/${t}_temp;`),
    `  client_max_body_size ${bodySizeMiB(o.maxHttpBufferSize)}m;`,
    '  # WebSocket upgrade: pass Upgrade through, keep other requests on keep-alive.',
    '  map $http_upgrade $connection_upgrade { default upgrade; "" ""; }',
    '  upstream sg_gateways {',
    ...o.gateways.map((a) => `    server ${a} max_fails=1 fail_timeout=5s;`),
    '  }',
  ];
  if (o.stickySessions) {
    lines.push(
      '  # Cookie affinity as ingress-nginx does it: the first response names the pod that served it;',
      '  # later requests carrying the cookie go to that pod (the others are backups, in case it is gone).',
      ...routes.flatMap(({ route, address }) => [
        `  upstream sg_${route} {`,
        `    server ${address};`,
        ...o.gateways.filter((a) => a !== address).map((a) => `    server ${a} backup;`),
        '  }',
      ]),
      `  map ${cookieVar} $sg_upstream {`,
      '    default sg_gateways;',
      ...routes.map(({ route }) => `    ${route} sg_${route};`),
      '  }',
      '  # $upstream_addr lists every server tried; the last one answered.',
      '  map $upstream_addr $sg_route {',
      '    default "";',
      ...routes.map(({ route, address }) => `    ~(^|\\s)${esc(address)}$ ${route};`),
      '  }',
      '  map $sg_route $sg_set_cookie {',
      '    "" "";',
      `    default "${o.cookieName}=$sg_route; Path=/; Max-Age=${o.cookieMaxAgeSeconds}; HttpOnly; SameSite=${o.cookieSameSite}${o.secureCookie ? '; Secure' : ''}";`,
      '  }',
    );
  }
  lines.push(
    '  server {',
    `    listen ${o.listen};`,
    '    # Only Socket.IO is public, as on the Ingress: the server API, /demo and /metrics are not.',
    '    location / { return 404; }',
    `    location ${o.path}socket.io/ {`,
    `      proxy_pass http://${o.stickySessions ? '$sg_upstream' : 'sg_gateways'};`,
    '      proxy_http_version 1.1;',
    '      proxy_set_header Upgrade $http_upgrade;',
    '      proxy_set_header Connection $connection_upgrade;',
    '      proxy_set_header Host $host;',
    '      # Appends the peer address: with TRUST_PROXY=1 the gateway reads exactly this last entry.',
    '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '      proxy_set_header X-Forwarded-Proto $scheme;',
    `      proxy_read_timeout ${o.timeoutSeconds}s;`,
    `      proxy_send_timeout ${o.timeoutSeconds}s;`,
    '      # Long-polling answers must reach the client as they are written.',
    '      proxy_buffering off;',
    ...(o.stickySessions ? ['      add_header Set-Cookie $sg_set_cookie always;'] : []),
    '    }',
    '  }',
    '}',
    '',
  );
  return lines.join('\n');
}
