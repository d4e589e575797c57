/**
 * Stack configuration: read once from `pulumi config`, validated as a whole so one error lists
 * every bad key, then passed around typed. Secrets stay Pulumi secrets (Outputs) and are kept
 * apart from the plain config so that chart values can never contain them.
 */
import * as pulumi from '@pulumi/pulumi';

export type RoutingProvider = 'gateway-api' | 'ingress-traefik' | 'ingress-nginx' | 'none';
export type Transport = 'websocket' | 'polling';

export interface StackConfig {
  /** Kubeconfig context the provider deploys to (never the current context implicitly). */
  context: string;
  /** Namespace of the gateway and the standalone Redis. @default "socket-gateway" */
  namespace: string;
  /** `digest` (sha256:…) pins the image and wins over `tag`. */
  image: { repository: string; tag: string; digest: string };
  /** Names of existing docker-registry Secrets in the namespace. @default [] */
  imagePullSecrets: string[];
  /** `protect` on the Namespace and the standalone Redis StatefulSet and PVC. @default true */
  protect: boolean;
  /** CORS_ORIGINS: browser origins allowed to connect. @default [] */
  corsOrigins: string[];
  /** WEBHOOK_URL (needs the secret webhookSecret); empty disables webhooks. */
  webhookUrl: string;
  /** MAX_CONNECTIONS per pod. @default 10000 */
  maxConnections: number;
  /** Extra non-secret environment variables of the gateway (ConfigMap). @default {} */
  extraEnv: Record<string, string>;
  /** Chart values merged over everything computed, last; validated against values.schema.json. @default {} */
  values: Record<string, unknown>;
  /** Replicas when autoscaling is off. @default 3 */
  replicas: number;
  autoscaling: { enabled: boolean; minReplicas: number; maxReplicas: number; connectedSocketsTarget: number | null };
  resources: { cpuRequest: string; memoryRequest: string; cpuLimit: string; memoryLimit: string };
  /** Public host name; required unless routing.provider is none. */
  host: string;
  tls: { enabled: boolean; secretName: string };
  routing: {
    provider: RoutingProvider;
    gatewayName: string;
    gatewayNamespace: string;
    gatewaySectionName: string;
    /** Namespace of the ingress controller / Gateway pods, allowed in by the NetworkPolicy. */
    peerNamespace: string;
    /** gateway-api: cookie sessionPersistence (experimental channel); without it WebSocket only. @default false */
    sessionPersistence: boolean;
    /**
     * TRUST_PROXY of the gateway (unless provider is none): how many proxies append to
     * X-Forwarded-For in front of it, or their CIDRs. @default 1 (the ingress controller)
     */
    trustProxy: number | string[];
  };
  /** @default ["websocket", "polling"] */
  transports: Transport[];
  drain: { preStopSleepSeconds: number; delayMs: number; windowMs: number };
  redis: {
    mode: 'standalone' | 'external';
    image: string;
    storageSize: string;
    storageClass: string;
    /** Memory limit of the Redis container; maxmemory is 80% of it. @default "512Mi" */
    memoryLimit: string;
    /** A PDB with maxUnavailable 0 (node drains wait for an operator). @default false */
    blockNodeDrains: boolean;
    externalCidrs: string[];
    /**
     * How the gateway reaches an external Redis: `url` (the secret redisUrl), `sentinel` or
     * `cluster` (REDIS_MODE; the secret redisPassword is the data nodes' password). @default "url"
     */
    topology: 'url' | 'sentinel' | 'cluster';
    /** `host:port` of the sentinels (topology sentinel). */
    sentinels: string[];
    /** The primary's group name (topology sentinel). */
    sentinelName: string;
    /** `host:port` seed nodes (topology cluster). */
    clusterNodes: string[];
    /** TLS to the data nodes (sentinel and cluster). @default false */
    tls: boolean;
    /** REDIS_WAIT_REPLICAS: replicas that must hold a message before its send is acked. @default 0 */
    waitReplicas: number;
  };
  auth: { jwksUrl: string; issuer: string; audience: string };
  monitoring: { enabled: boolean; release: string; runbookBaseUrl: string; prometheusNamespace: string };
  otlpEndpoint: string;
  networkPolicy: boolean;
}

/** The plain (non-secret) stack config keys. */
export const STACK_KEYS = [
  'context', 'namespace', 'image', 'imagePullSecrets', 'protect', 'replicas', 'autoscaling', 'resources', 'host', 'tls', 'routing', 'transports', 'drain', 'redis',
  'auth', 'monitoring', 'otlpEndpoint', 'networkPolicy', 'corsOrigins', 'webhookUrl', 'maxConnections', 'extraEnv', 'values',
];

/** Names of the secret config keys (`pulumi config set --secret <key>`). */
export const SECRET_KEYS = ['jwtSecret', 'apiKeys', 'redisPassword', 'redisUrl', 'redisSentinelPassword', 'webhookSecret', 'kubeconfig'] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];
export type StackSecrets = Partial<Record<SecretKey, pulumi.Output<string>>>;

export class StackConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'StackConfigError';
  }
}

type Raw = Record<string, unknown>;

class Checker {
  readonly problems: string[] = [];

  obj(key: string, v: unknown): Raw {
    if (v === undefined) return {};
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Raw;
    this.problems.push(`${key} must be an object`);
    return {};
  }

  /** Unknown keys are typos; refusing them beats silently ignoring a setting. */
  known(key: string, v: Raw, allowed: string[]): void {
    for (const k of Object.keys(v)) if (!allowed.includes(k)) this.problems.push(`${key ? `${key}.` : ''}${k} is not a known setting (known: ${allowed.join(', ')})`);
  }

  str(key: string, v: unknown, def: string, pattern?: RegExp, hint?: string): string {
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string' || (pattern && !pattern.test(v))) {
      this.problems.push(`${key} must be ${hint ?? 'a string'} (got ${JSON.stringify(v)})`);
      return def;
    }
    return v;
  }

  int(key: string, v: unknown, def: number, min: number, max: number): number {
    if (v === undefined || v === null) return def;
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${key} must be an integer between ${min} and ${max} (got ${JSON.stringify(v)})`);
      return def;
    }
    return n;
  }

  bool(key: string, v: unknown, def: boolean): boolean {
    if (v === undefined || v === null) return def;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    this.problems.push(`${key} must be true or false (got ${JSON.stringify(v)})`);
    return def;
  }

  oneOf<T extends string>(key: string, v: unknown, def: T, allowed: readonly T[]): T {
    if (v === undefined || v === null) return def;
    if (!(allowed as readonly unknown[]).includes(v)) {
      this.problems.push(`${key} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
      return def;
    }
    return v as T;
  }

  strMap(key: string, v: unknown, keyPattern: RegExp, hint: string): Record<string, string> {
    const m = this.obj(key, v);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(m)) {
      if (!keyPattern.test(k)) this.problems.push(`${key}.${k}: ${hint}`);
      else if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') this.problems.push(`${key}.${k} must be a string (got ${JSON.stringify(x)})`);
      else out[k] = String(x);
    }
    return out;
  }

  strList(key: string, v: unknown, def: string[], pattern?: RegExp, hint?: string): string[] {
    if (v === undefined || v === null) return def;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || (pattern && !pattern.test(x)))) {
      this.problems.push(`${key} must be a list of ${hint ?? 'strings'} (got ${JSON.stringify(v)})`);
      return def;
    }
    return v as string[];
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HOST = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$/;
const QUANTITY_FACTOR: Record<string, number> = { '': 1, m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
/** A QUANTITY as a number, to compare a request with its limit. */
function quantityValue(q: string): number {
  const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti)?$/.exec(q);
  return m ? Number(m[1]) * QUANTITY_FACTOR[m[2] ?? ''] : NaN;
}
const URL_RE = /^https?:\/\/\S+$/;
const CIDR = /^[0-9a-fA-F.:]+\/[0-9]{1,3}$/;
const ORIGIN = /^https?:\/\/[^/\s]+$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
/** Names that would carry a secret into a ConfigMap, or that the chart itself sets. */
const FORBIDDEN_ENV = /SECRET|PASSWORD|TOKEN|API_?KEY|CREDENTIAL|PRIVATE|^REDIS_URL$|^(PORT|API_PORT|METRICS_PORT|ENGINE|INSTANCE_ID)$/;
/** An exact version (x.y.z) or a digest: a floating tag could change Redis under a running stack. */
const PINNED_IMAGE = /^\S+:(\d+\.\d+\.\d+)(-[a-z0-9.]+)?(@sha256:[a-f0-9]{64})?$|^\S+@sha256:[a-f0-9]{64}$/;
export const DEFAULT_REDIS_IMAGE = 'redis:7.4.6-alpine';
const PROXY_CIDR = /^([0-9a-fA-F.:]+(\/[0-9]{1,3})?|loopback|linklocal|uniquelocal)$/;
const HOST_PORT = /^[A-Za-z0-9.-]+:[0-9]{1,5}$/;

/**
 * Pure: raw config values (as `pulumi config` holds them) and the names of the secrets that are
 * set, to a typed config; throws one StackConfigError naming every problem.
 */
export function parseStackConfig(raw: Raw, secretsSet: readonly string[]): StackConfig {
  const c = new Checker();
  c.known('', raw, STACK_KEYS);

  const image = c.obj('image', raw.image);
  c.known('image', image, ['repository', 'tag', 'digest']);
  const autoscaling = c.obj('autoscaling', raw.autoscaling);
  c.known('autoscaling', autoscaling, ['enabled', 'minReplicas', 'maxReplicas', 'connectedSocketsTarget']);
  const resources = c.obj('resources', raw.resources);
  c.known('resources', resources, ['cpuRequest', 'memoryRequest', 'cpuLimit', 'memoryLimit']);
  const tls = c.obj('tls', raw.tls);
  c.known('tls', tls, ['enabled', 'secretName']);
  const routing = c.obj('routing', raw.routing);
  c.known('routing', routing, ['provider', 'gatewayName', 'gatewayNamespace', 'gatewaySectionName', 'peerNamespace', 'sessionPersistence', 'trustProxy']);
  const drain = c.obj('drain', raw.drain);
  c.known('drain', drain, ['preStopSleepSeconds', 'delayMs', 'windowMs']);
  const redis = c.obj('redis', raw.redis);
  c.known('redis', redis, ['mode', 'image', 'storageSize', 'storageClass', 'memoryLimit', 'blockNodeDrains', 'externalCidrs', 'topology', 'sentinels', 'sentinelName', 'clusterNodes', 'tls', 'waitReplicas']);
  const provider = c.oneOf('routing.provider', routing.provider, 'gateway-api', ['gateway-api', 'ingress-traefik', 'ingress-nginx', 'none'] as const);
  const sessionPersistence = c.bool('routing.sessionPersistence', routing.sessionPersistence, false);
  // Behind Gateway API without (trusted) sessionPersistence, polling has no stickiness: WebSocket only.
  const defaultTransports = provider === 'gateway-api' && !sessionPersistence ? ['websocket'] : ['websocket', 'polling'];
  const auth = c.obj('auth', raw.auth);
  c.known('auth', auth, ['jwksUrl', 'issuer', 'audience']);
  const monitoring = c.obj('monitoring', raw.monitoring);
  c.known('monitoring', monitoring, ['enabled', 'release', 'runbookBaseUrl', 'prometheusNamespace']);

  const config: StackConfig = {
    context: c.str('context', raw.context, '', /^\S+$/, 'a kubeconfig context name'),
    namespace: c.str('namespace', raw.namespace, 'socket-gateway', DNS_LABEL, 'a DNS label'),
    image: {
      repository: c.str('image.repository', image.repository, '', /^\S+$/, 'an image repository'),
      tag: c.str('image.tag', image.tag === undefined ? undefined : String(image.tag), '', /^[\w][\w.-]{0,127}$/, 'an image tag'),
      digest: c.str('image.digest', image.digest, '', /^sha256:[a-f0-9]{64}$/, 'sha256:<64 hex digits>'),
    },
    imagePullSecrets: c.strList('imagePullSecrets', raw.imagePullSecrets, [], DNS_LABEL, 'Secret names'),
    protect: c.bool('protect', raw.protect, true),
    corsOrigins: c.strList('corsOrigins', raw.corsOrigins, [], ORIGIN, 'origins (scheme://host[:port], no path)'),
    webhookUrl: c.str('webhookUrl', raw.webhookUrl, '', URL_RE, 'an http(s) URL'),
    maxConnections: c.int('maxConnections', raw.maxConnections, 10_000, 1, 1_000_000),
    extraEnv: c.strMap('extraEnv', raw.extraEnv, ENV_NAME, 'must be an UPPER_CASE variable name'),
    values: c.obj('values', raw.values),
    replicas: c.int('replicas', raw.replicas, 3, 1, 500),
    autoscaling: {
      enabled: c.bool('autoscaling.enabled', autoscaling.enabled, true),
      minReplicas: c.int('autoscaling.minReplicas', autoscaling.minReplicas, 3, 1, 500),
      maxReplicas: c.int('autoscaling.maxReplicas', autoscaling.maxReplicas, 20, 1, 500),
      connectedSocketsTarget: autoscaling.connectedSocketsTarget === undefined ? null : c.int('autoscaling.connectedSocketsTarget', autoscaling.connectedSocketsTarget, 5000, 1, 1_000_000),
    },
    resources: {
      cpuRequest: c.str('resources.cpuRequest', resources.cpuRequest, '250m', QUANTITY, 'a CPU quantity'),
      memoryRequest: c.str('resources.memoryRequest', resources.memoryRequest, '256Mi', QUANTITY, 'a memory quantity'),
      cpuLimit: c.str('resources.cpuLimit', resources.cpuLimit === undefined ? undefined : String(resources.cpuLimit), '1', QUANTITY, 'a CPU quantity'),
      memoryLimit: c.str('resources.memoryLimit', resources.memoryLimit, '512Mi', QUANTITY, 'a memory quantity'),
    },
    host: c.str('host', raw.host, '', HOST, 'a DNS host name'),
    tls: { enabled: c.bool('tls.enabled', tls.enabled, false), secretName: c.str('tls.secretName', tls.secretName, '', DNS_LABEL, 'a Secret name') },
    routing: {
      provider,
      gatewayName: c.str('routing.gatewayName', routing.gatewayName, '', DNS_LABEL, 'a Gateway name'),
      gatewayNamespace: c.str('routing.gatewayNamespace', routing.gatewayNamespace, '', DNS_LABEL, 'a namespace'),
      gatewaySectionName: c.str('routing.gatewaySectionName', routing.gatewaySectionName, '', DNS_LABEL, 'a listener name'),
      peerNamespace: c.str('routing.peerNamespace', routing.peerNamespace, '', DNS_LABEL, 'a namespace'),
      sessionPersistence,
      trustProxy: Array.isArray(routing.trustProxy)
        ? c.strList('routing.trustProxy', routing.trustProxy, [], PROXY_CIDR, 'proxy CIDRs (or loopback, linklocal, uniquelocal)')
        : c.int('routing.trustProxy', routing.trustProxy, 1, 0, 10),
    },
    transports: c.strList('transports', raw.transports, defaultTransports, /^(websocket|polling)$/, 'websocket or polling') as Transport[],
    drain: {
      preStopSleepSeconds: c.int('drain.preStopSleepSeconds', drain.preStopSleepSeconds, 5, 0, 300),
      delayMs: c.int('drain.delayMs', drain.delayMs, 5000, 0, 600_000),
      windowMs: c.int('drain.windowMs', drain.windowMs, 20_000, 0, 3_600_000),
    },
    redis: {
      mode: c.oneOf('redis.mode', redis.mode, 'standalone', ['standalone', 'external'] as const),
      image: c.str('redis.image', redis.image, DEFAULT_REDIS_IMAGE, PINNED_IMAGE, 'a pinned image (name:x.y.z[-variant] or a digest)'),
      storageSize: c.str('redis.storageSize', redis.storageSize, '8Gi', QUANTITY, 'a storage quantity'),
      storageClass: c.str('redis.storageClass', redis.storageClass, ''),
      memoryLimit: c.str('redis.memoryLimit', redis.memoryLimit, '512Mi', /^[0-9]+(Mi|Gi)$/, 'a memory quantity in Mi or Gi'),
      blockNodeDrains: c.bool('redis.blockNodeDrains', redis.blockNodeDrains, false),
      externalCidrs: c.strList('redis.externalCidrs', redis.externalCidrs, [], CIDR, 'CIDRs'),
      topology: c.oneOf('redis.topology', redis.topology, 'url', ['url', 'sentinel', 'cluster'] as const),
      sentinels: c.strList('redis.sentinels', redis.sentinels, [], HOST_PORT, 'host:port'),
      sentinelName: c.str('redis.sentinelName', redis.sentinelName, ''),
      clusterNodes: c.strList('redis.clusterNodes', redis.clusterNodes, [], HOST_PORT, 'host:port'),
      tls: c.bool('redis.tls', redis.tls, false),
      waitReplicas: c.int('redis.waitReplicas', redis.waitReplicas, 0, 0, 16),
    },
    auth: {
      jwksUrl: c.str('auth.jwksUrl', auth.jwksUrl, '', URL_RE, 'an http(s) URL'),
      issuer: c.str('auth.issuer', auth.issuer, ''),
      audience: c.str('auth.audience', auth.audience, ''),
    },
    monitoring: {
      enabled: c.bool('monitoring.enabled', monitoring.enabled, false),
      release: c.str('monitoring.release', monitoring.release, 'kube-prometheus-stack', /^\S+$/),
      runbookBaseUrl: c.str('monitoring.runbookBaseUrl', monitoring.runbookBaseUrl, '', URL_RE, 'an http(s) URL'),
      prometheusNamespace: c.str('monitoring.prometheusNamespace', monitoring.prometheusNamespace, 'monitoring', DNS_LABEL, 'a namespace'),
    },
    otlpEndpoint: c.str('otlpEndpoint', raw.otlpEndpoint, '', URL_RE, 'an http(s) URL'),
    networkPolicy: c.bool('networkPolicy', raw.networkPolicy, false),
  };

  if (!config.image.repository) c.problems.push('image.repository is required');
  if (!config.image.tag) c.problems.push('image.tag is required');
  if (config.transports.length === 0) c.problems.push('transports must name at least one transport');
  if (provider === 'gateway-api' && !sessionPersistence && config.transports.includes('polling')) {
    c.problems.push('transports includes polling, which needs routing.sessionPersistence true with routing.provider gateway-api (the Gateway must support the experimental field); or leave transports unset for WebSocket only');
  }
  for (const k of Object.keys(config.extraEnv)) if (FORBIDDEN_ENV.test(k)) c.problems.push(`extraEnv.${k}: secrets and the variables the chart sets cannot go through extraEnv`);
  if (!config.context && !secretsSet.includes('kubeconfig')) c.problems.push('set context (a kubeconfig context) or the secret kubeconfig: the program never deploys to whatever context is current');
  if (config.routing.provider !== 'none' && !config.host) c.problems.push(`host is required with routing.provider ${config.routing.provider}`);
  if (config.routing.provider === 'gateway-api' && !config.routing.gatewayName) c.problems.push('routing.gatewayName is required with routing.provider gateway-api');
  if (config.tls.enabled && config.routing.provider.startsWith('ingress-') && !config.tls.secretName) c.problems.push('tls.secretName is required for TLS on an Ingress');
  for (const [req, lim] of [['cpuRequest', 'cpuLimit'], ['memoryRequest', 'memoryLimit']] as const) {
    const r = config.resources;
    if (quantityValue(r[req]) > quantityValue(r[lim])) c.problems.push(`resources.${req} ${r[req]} is above resources.${lim} ${r[lim]}`);
  }
  if (config.autoscaling.minReplicas > config.autoscaling.maxReplicas) c.problems.push('autoscaling.minReplicas must not exceed autoscaling.maxReplicas');
  const has = (k: SecretKey) => secretsSet.includes(k);
  if (!has('jwtSecret') && !config.auth.jwksUrl) c.problems.push('set the secret jwtSecret (HS256) or auth.jwksUrl (RS256/ES256)');
  if (has('jwtSecret') && config.auth.jwksUrl) c.problems.push('set only one of the secret jwtSecret and auth.jwksUrl');
  if (!has('apiKeys')) c.problems.push('the secret apiKeys is required (comma-separated keys of the server HTTP API)');
  if (config.redis.mode === 'standalone' && !has('redisPassword')) c.problems.push('the secret redisPassword is required with redis.mode standalone');
  if (config.redis.mode === 'standalone' && has('redisUrl')) c.problems.push('redisUrl is only used with redis.mode external');
  const topology = config.redis.topology;
  if (config.redis.mode === 'standalone' && topology !== 'url') c.problems.push(`redis.topology ${topology} needs redis.mode external`);
  if (config.redis.mode === 'external' && topology === 'url' && !has('redisUrl')) c.problems.push('the secret redisUrl (redis:// or rediss:// with password) is required with redis.mode external');
  if (topology !== 'url' && has('redisUrl')) c.problems.push(`redisUrl is not used with redis.topology ${topology}`);
  if (topology === 'sentinel' && (config.redis.sentinels.length === 0 || !config.redis.sentinelName)) c.problems.push('redis.sentinels and redis.sentinelName are required with redis.topology sentinel');
  if (topology === 'cluster' && config.redis.clusterNodes.length === 0) c.problems.push('redis.clusterNodes is required with redis.topology cluster');
  if (topology !== 'sentinel' && has('redisSentinelPassword')) c.problems.push('redisSentinelPassword is only used with redis.topology sentinel');
  if (config.webhookUrl && !has('webhookSecret')) c.problems.push('the secret webhookSecret is required with webhookUrl (the gateway signs every delivery)');
  if (c.problems.length) throw new StackConfigError(c.problems);
  return config;
}

/** Structured `pulumi config` values arrive as JSON text; plain strings stay strings. */
function decode(v: string | undefined): unknown {
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** Reads and validates the current stack's configuration; secrets stay Pulumi secrets. */
export function readStackConfig(cfg: pulumi.Config = new pulumi.Config()): { config: StackConfig; secrets: StackSecrets } {
  const raw: Raw = {};
  for (const k of STACK_KEYS) raw[k] = decode(cfg.get(k));
  const secrets: StackSecrets = {};
  for (const k of SECRET_KEYS) {
    const s = cfg.getSecret(k);
    if (s !== undefined) secrets[k] = s;
  }
  return { config: parseStackConfig(raw, Object.keys(secrets)), secrets };
}
