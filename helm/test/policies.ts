/**
 * Policies over rendered manifests, as pure functions: each returns the violations it finds,
 * every one naming the object, so a failing test says what to fix. [] means compliant.
 */
import type { K8sObject } from './k8s-schema';
import { DEFAULT_RUNBOOK_BASE_URL } from '../../alerts/lib/runbook-url';
import { objectRef } from './k8s-schema';

type Dict = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Key-order-independent JSON, so equality does not depend on object realms or key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Dict)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

function workloads(objs: K8sObject[]): K8sObject[] {
  return objs.filter((o) => WORKLOADS.has(o.kind));
}

function podSpec(o: K8sObject): Dict {
  return ((o.spec as Dict)?.template?.spec ?? {}) as Dict;
}

function podLabels(o: K8sObject): Record<string, string> {
  return ((o.spec as Dict)?.template?.metadata?.labels ?? {}) as Record<string, string>;
}

function containers(o: K8sObject): Dict[] {
  const spec = podSpec(o);
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Environment of a container as the kubelet would build it from literal env and ConfigMaps. */
export function containerEnv(objs: K8sObject[], c: Dict): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef?.name);
    Object.assign(env, (cm?.data as Record<string, string>) ?? {});
  }
  for (const e of c.env ?? []) if (typeof e.value === 'string') env[e.name] = e.value;
  return env;
}

function preStopSeconds(c: Dict): number {
  const pre = c.lifecycle?.preStop;
  if (!pre) return 0;
  if (pre.sleep?.seconds !== undefined) return Number(pre.sleep.seconds);
  const cmd: string[] = pre.exec?.command ?? [];
  return cmd[0] === 'sleep' ? Number(cmd[1]) : 0;
}

/**
 * The kubelet kills a pod once terminationGracePeriodSeconds has passed, preStop included; the
 * gateway then still needs DRAIN_DELAY_MS + DRAIN_WINDOW_MS and time to close Redis.
 */
export function gracePeriodViolations(objs: K8sObject[], minMarginSeconds = 5): string[] {
  const out: string[] = [];
  for (const w of workloads(objs)) {
    const grace = Number(podSpec(w).terminationGracePeriodSeconds ?? 30);
    for (const c of podSpec(w).containers ?? []) {
      const env = containerEnv(objs, c);
      if (env.DRAIN_DELAY_MS === undefined && env.DRAIN_WINDOW_MS === undefined) continue;
      const needed = preStopSeconds(c) + Number(env.DRAIN_DELAY_MS ?? 0) / 1000 + Number(env.DRAIN_WINDOW_MS ?? 0) / 1000 + minMarginSeconds;
      if (grace < needed) {
        out.push(`${objectRef(w)}: terminationGracePeriodSeconds ${grace} must be >= preStop ${preStopSeconds(c)} s + DRAIN_DELAY_MS ${env.DRAIN_DELAY_MS} + DRAIN_WINDOW_MS ${env.DRAIN_WINDOW_MS} + ${minMarginSeconds} s margin (container ${c.name})`);
      }
    }
  }
  return out;
}

/** Every selector and reference must land on real pods, Services and ports. */
export function selectorViolations(objs: K8sObject[]): string[] {
  const out: string[] = [];
  const pods = workloads(objs).map((w) => ({ w, labels: podLabels(w) }));
  const hitsPods = (sel: Record<string, string> | undefined) => pods.some((p) => matches(sel, p.labels));
  for (const w of workloads(objs)) {
    const sel = (w.spec as Dict).selector?.matchLabels;
    if (!matches(sel, podLabels(w))) out.push(`${objectRef(w)}: spec.selector does not match its own pod template labels`);
    for (const t of podSpec(w).topologySpreadConstraints ?? []) {
      if (!matches(t.labelSelector?.matchLabels, podLabels(w))) out.push(`${objectRef(w)}: topologySpreadConstraints[${t.topologyKey}] selects other pods`);
    }
  }
  const services = objs.filter((o) => o.kind === 'Service');
  for (const s of services) {
    const spec = s.spec as Dict;
    if (!hitsPods(spec.selector)) out.push(`${objectRef(s)}: selector ${JSON.stringify(spec.selector)} matches no pod template`);
    for (const p of spec.ports ?? []) {
      if (typeof p.targetPort !== 'string') continue;
      const named = pods.filter((x) => matches(spec.selector, x.labels)).some((x) => containers(x.w).some((c) => (c.ports ?? []).some((cp: Dict) => cp.name === p.targetPort)));
      if (!named) out.push(`${objectRef(s)}: targetPort ${p.targetPort} is not a container port of the selected pods`);
    }
  }
  for (const o of objs) {
    const spec = (o.spec ?? {}) as Dict;
    if (o.kind === 'PodDisruptionBudget' && !hitsPods(spec.selector?.matchLabels)) out.push(`${objectRef(o)}: selector matches no pod template`);
    if (o.kind === 'NetworkPolicy' && !hitsPods(spec.podSelector?.matchLabels)) out.push(`${objectRef(o)}: podSelector matches no pod template`);
    if (o.kind === 'HorizontalPodAutoscaler') {
      const ref = spec.scaleTargetRef ?? {};
      if (!objs.some((t) => t.kind === ref.kind && t.metadata.name === ref.name)) out.push(`${objectRef(o)}: scaleTargetRef ${ref.kind}/${ref.name} is not rendered`);
    }
    if (o.kind === 'ServiceMonitor') {
      const svc = services.filter((s) => matches(spec.selector?.matchLabels, s.metadata.labels ?? {}));
      if (svc.length === 0) out.push(`${objectRef(o)}: selector matches no Service`);
      if (svc.length > 1) out.push(`${objectRef(o)}: selector matches ${svc.length} Services, so every pod is scraped more than once`);
      // An ordinary Service drops a terminating pod from its endpoints at once: its drain would
      // never be scraped (drain panels, SocketGatewayDrainingTooLong).
      for (const s of svc) if ((s.spec as Dict).publishNotReadyAddresses !== true) out.push(`${objectRef(o)}: ${objectRef(s)} drops draining pods from its endpoints (publishNotReadyAddresses is not true)`);
      for (const e of spec.endpoints ?? []) {
        if (!svc.some((s) => ((s.spec as Dict).ports ?? []).some((p: Dict) => p.name === e.port))) out.push(`${objectRef(o)}: endpoint port ${e.port} is not a port of the selected Service`);
      }
    }
    const backends: { name: string; port: unknown }[] = [];
    if (o.kind === 'Ingress') {
      for (const r of spec.rules ?? []) for (const p of r.http?.paths ?? []) backends.push({ name: p.backend?.service?.name, port: p.backend?.service?.port?.name ?? p.backend?.service?.port?.number });
    }
    if (o.kind === 'HTTPRoute') {
      for (const r of spec.rules ?? []) for (const b of r.backendRefs ?? []) backends.push({ name: b.name, port: b.port });
    }
    for (const b of backends) {
      const svc = services.find((s) => s.metadata.name === b.name);
      const ok = svc && ((svc.spec as Dict).ports ?? []).some((p: Dict) => p.name === b.port || p.port === b.port);
      if (!ok) out.push(`${objectRef(o)}: backend ${b.name}:${b.port} is not a rendered Service port`);
    }
  }
  return out;
}

/** What the running app serves on each named container port. */
export type AppEndpoints = Record<string, string[]>;

/** Probes and scrapes must hit paths the app really serves, on the port that serves them. */
export function probeViolations(objs: K8sObject[], app: AppEndpoints): string[] {
  const out: string[] = [];
  for (const w of workloads(objs)) {
    for (const c of podSpec(w).containers ?? []) {
      for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const get = c[kind]?.httpGet;
        if (!get) continue;
        const portName = typeof get.port === 'string' ? get.port : (c.ports ?? []).find((p: Dict) => p.containerPort === get.port)?.name;
        if (!(c.ports ?? []).some((p: Dict) => p.name === portName)) out.push(`${objectRef(w)}: ${c.name}.${kind} uses port ${get.port}, not a declared container port`);
        else if (!(app[portName] ?? []).includes(get.path)) out.push(`${objectRef(w)}: ${c.name}.${kind} GET ${get.path} on port ${portName}, which the app does not serve there`);
      }
    }
  }
  for (const sm of objs.filter((o) => o.kind === 'ServiceMonitor')) {
    for (const e of (sm.spec as Dict).endpoints ?? []) {
      if (!(app[e.port] ?? []).includes(e.path ?? '/metrics')) out.push(`${objectRef(sm)}: scrapes ${e.path} on port ${e.port}, which the app does not serve there`);
    }
  }
  return out;
}

const QUANTITY_SUFFIX: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** A Kubernetes resource quantity ("500m", "1", "256Mi", "0.5Gi") as a number; NaN when unreadable. */
export function quantity(q: unknown): number {
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(q));
  return m ? Number(m[1]) * QUANTITY_SUFFIX[m[2] ?? ''] : NaN;
}

/** Every container: resources, non-root, read-only root filesystem, no privilege escalation, no capabilities. */
export function hardeningViolations(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const w of workloads(objs)) {
    const pod = podSpec(w).securityContext ?? {};
    for (const c of containers(w)) {
      const sc = c.securityContext ?? {};
      const where = `${objectRef(w)}: container ${c.name}`;
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) out.push(`${where} has no cpu and memory requests`);
      if (!c.resources?.limits?.memory) out.push(`${where} has no memory limit`);
      for (const r of ['cpu', 'memory']) {
        const [req, lim] = [c.resources?.requests?.[r], c.resources?.limits?.[r]];
        // The API server refuses a pod whose request exceeds its limit.
        if (req !== undefined && lim !== undefined && quantity(req) > quantity(lim)) out.push(`${where} requests ${r} ${req} above its limit ${lim}`);
      }
      if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) out.push(`${where} may run as root (runAsNonRoot is not true)`);
      if ((sc.runAsUser ?? pod.runAsUser) === 0) out.push(`${where} runs as uid 0`);
      if (sc.readOnlyRootFilesystem !== true) out.push(`${where} has a writable root filesystem`);
      if (sc.allowPrivilegeEscalation !== false) out.push(`${where} allows privilege escalation`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${where} keeps Linux capabilities (drop ALL)`);
      if (sc.privileged === true) out.push(`${where} is privileged`);
    }
  }
  for (const sa of objs.filter((o) => o.kind === 'ServiceAccount')) {
    if ((sa as Dict).automountServiceAccountToken !== false) out.push(`${objectRef(sa)}: automountServiceAccountToken must be false`);
  }
  return out;
}

const SECRET_KEY = /(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEYS?|PRIVATE_KEY|CREDENTIAL)/i;
const SECRET_ENV = ['JWT_SECRET', 'API_KEYS', 'REDIS_URL', 'WEBHOOK_SECRET'];
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@"]*:[^/\s@"]+@/i;

/**
 * No secret reaches a ConfigMap or a literal env value: no secret-looking keys, no URL with a
 * password, none of the known secret values; secret variables only via secretKeyRef.
 */
export function secretLeakViolations(objs: K8sObject[], knownSecretValues: string[] = []): string[] {
  const out: string[] = [];
  const leaks = (v: string) => URL_WITH_PASSWORD.test(v) || knownSecretValues.some((s) => s.length >= 8 && v.includes(s));
  for (const cm of objs.filter((o) => o.kind === 'ConfigMap')) {
    for (const [k, v] of Object.entries((cm.data ?? {}) as Record<string, string>)) {
      if (SECRET_KEY.test(k) || SECRET_ENV.includes(k)) out.push(`${objectRef(cm)}: key ${k} looks like a secret`);
      if (leaks(v)) out.push(`${objectRef(cm)}: value of ${k} contains a secret`);
    }
  }
  for (const w of workloads(objs)) {
    for (const c of containers(w)) {
      for (const e of c.env ?? []) {
        if (SECRET_ENV.includes(e.name) && !e.valueFrom?.secretKeyRef) out.push(`${objectRef(w)}: ${c.name} env ${e.name} must come from a secretKeyRef`);
        if (typeof e.value === 'string' && leaks(e.value)) out.push(`${objectRef(w)}: ${c.name} env ${e.name} holds a secret value`);
      }
    }
  }
  return out;
}

/** The rule groups alerts/*.rules.yaml define, in file order, as the chart must ship them (runbook pages kept, base swapped). */
export function expectedRuleGroups(files: { name: string; doc: Dict }[], runbookBaseUrl = '', dashboardBaseUrl = ''): Dict[] {
  const groups = [...files].sort((a, b) => (a.name < b.name ? -1 : 1)).flatMap((f) => JSON.parse(JSON.stringify(f.doc.groups ?? [])) as Dict[]);
  if (dashboardBaseUrl) {
    for (const r of groups.flatMap((g) => (g.rules ?? []) as Dict[])) {
      if (r.alert && r.annotations?.dashboard_url) r.annotations.dashboard_url = `${dashboardBaseUrl.replace(/\/$/, '')}/${String(r.annotations.dashboard_url).split('/').pop()}`;
    }
  }
  if (runbookBaseUrl) {
    for (const g of groups) {
      for (const r of g.rules ?? []) {
        if (!r.alert) continue;
        const page = String(r.annotations?.runbook_url ?? `${r.alert}.md`).split('/').pop();
        r.annotations = { ...(r.annotations ?? {}), runbook_url: `${runbookBaseUrl.replace(/\/$/, '')}/${page}` };
      }
    }
  }
  return groups;
}

/** The PrometheusRule holds exactly the repository's rule groups (no copies that drift). */
export function prometheusRuleViolations(objs: K8sObject[], expectedGroups: Dict[]): string[] {
  const rules = objs.filter((o) => o.kind === 'PrometheusRule');
  if (rules.length !== 1) return [`expected exactly one PrometheusRule, found ${rules.length}`];
  const actual = ((rules[0].spec as Dict).groups ?? []) as Dict[];
  if (sameJson(actual, expectedGroups)) return [];
  const names = (gs: Dict[]) => gs.map((g) => g.name).join(', ');
  const diff = actual.findIndex((g, i) => !sameJson(g, expectedGroups[i]));
  return [`${objectRef(rules[0])}: groups differ from alerts/ (chart: ${names(actual)}; alerts/: ${names(expectedGroups)}; first difference in group #${diff === -1 ? actual.length : diff})`];
}

/**
 * One ConfigMap per dashboard file, labelled for the Grafana sidecar, holding the file unchanged
 * except for the runbook base when one is set (as the PrometheusRule's runbook_url).
 */
export function dashboardViolations(objs: K8sObject[], files: { name: string; json: string }[], runbookBaseUrl = ''): string[] {
  const out: string[] = [];
  const cms = objs.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
  if (cms.length !== files.length) out.push(`expected ${files.length} dashboard ConfigMaps, found ${cms.length}`);
  for (const f of files) {
    const cm = cms.find((c) => (c.data as Dict | undefined)?.[f.name] !== undefined);
    if (!cm) out.push(`no dashboard ConfigMap holds ${f.name}`);
    else if ((cm.data as Dict)[f.name] !== rebaseRunbookUrls(f.json, runbookBaseUrl).replace(/\n$/, '')) out.push(`${objectRef(cm)}: ${f.name} differs from dashboards/generated/${f.name}`);
  }
  return out;
}

/**
 * Long-lived connections need long proxy timeouts everywhere; with polling, every request of a
 * session must reach the same pod, so the routing object must pin clients by cookie.
 */
export function routingViolations(objs: K8sObject[], polling: boolean, minTimeoutSeconds = 3600): string[] {
  const out: string[] = [];
  const seconds = (d: string | undefined) => (d ? Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN) : NaN);
  for (const r of objs.filter((o) => o.kind === 'HTTPRoute')) {
    for (const rule of (r.spec as Dict).rules ?? []) {
      if (!(seconds(rule.timeouts?.request) >= minTimeoutSeconds)) out.push(`${objectRef(r)}: timeouts.request ${rule.timeouts?.request} is shorter than ${minTimeoutSeconds}s`);
      if (polling && rule.sessionPersistence?.type !== 'Cookie') out.push(`${objectRef(r)}: polling needs cookie sessionPersistence`);
    }
  }
  for (const ing of objs.filter((o) => o.kind === 'Ingress')) {
    const a = ing.metadata.annotations ?? {};
    const cls = (ing.spec as Dict).ingressClassName;
    if (cls === 'nginx') {
      for (const k of ['proxy-read-timeout', 'proxy-send-timeout']) {
        if (!(Number(a[`nginx.ingress.kubernetes.io/${k}`]) >= minTimeoutSeconds)) out.push(`${objectRef(ing)}: nginx ${k} must be >= ${minTimeoutSeconds}`);
      }
      if (polling && a['nginx.ingress.kubernetes.io/affinity'] !== 'cookie') out.push(`${objectRef(ing)}: polling needs nginx cookie affinity`);
    } else if (cls === 'traefik') {
      const svcName = (ing.spec as Dict).rules?.[0]?.http?.paths?.[0]?.backend?.service?.name;
      const svc = objs.find((o) => o.kind === 'Service' && o.metadata.name === svcName);
      if (polling && svc?.metadata.annotations?.['traefik.ingress.kubernetes.io/service.sticky.cookie'] !== 'true') out.push(`${objectRef(ing)}: polling needs the Traefik sticky cookie on Service ${svcName}`);
    } else {
      out.push(`${objectRef(ing)}: unknown ingress class ${cls}`);
    }
  }
  return out;
}

/**
 * Only Socket.IO is public: every Ingress path and HTTPRoute match is the /socket.io/ prefix and
 * reaches the Service's `http` port, never the server API or metrics ports; a Service reachable
 * from outside the cluster (NodePort, LoadBalancer) carries only the `http` port.
 */
export function publicSurfaceViolations(objs: K8sObject[], publicPath = '/socket.io/'): string[] {
  const out: string[] = [];
  for (const svc of objs.filter((o) => o.kind === 'Service' && ((o.spec as Dict).type ?? 'ClusterIP') !== 'ClusterIP')) {
    for (const p of (svc.spec as Dict).ports ?? []) if (p.name !== 'http') out.push(`${objectRef(svc)}: type ${(svc.spec as Dict).type} exposes port ${p.name} outside the cluster; only http may be public`);
  }
  const httpPort = (name: string) => ((objs.find((o) => o.kind === 'Service' && o.metadata.name === name)?.spec as Dict)?.ports ?? []).find((p: Dict) => p.name === 'http');
  const check = (o: K8sObject, path: string | undefined, service: string, port: unknown) => {
    if (path !== publicPath) out.push(`${objectRef(o)}: routes ${path} publicly; only ${publicPath} may be public`);
    const http = httpPort(service);
    if (!http || (port !== 'http' && port !== http.port)) out.push(`${objectRef(o)}: routes to ${service}:${port}, not the Service's http port`);
  };
  for (const ing of objs.filter((o) => o.kind === 'Ingress')) {
    for (const r of (ing.spec as Dict).rules ?? []) for (const p of r.http?.paths ?? []) check(ing, p.path, p.backend?.service?.name, p.backend?.service?.port?.name ?? p.backend?.service?.port?.number);
  }
  for (const route of objs.filter((o) => o.kind === 'HTTPRoute')) {
    for (const rule of (route.spec as Dict).rules ?? []) {
      const paths = (rule.matches ?? [{}]).map((m: Dict) => m.path?.value);
      for (const path of paths) for (const b of rule.backendRefs ?? []) check(route, path, b.name, b.port);
    }
  }
  return out;
}

/** All chart policies at once, for a rendering whose expectations are known. */
export interface PolicyInputs {
  app: AppEndpoints;
  alertGroups?: Dict[];
  dashboards?: { name: string; json: string }[];
  /** monitoring.prometheusRule.runbookBaseUrl of the rendering, if set. */
  runbookBaseUrl?: string;
  knownSecretValues?: string[];
}

export function allViolations(objs: K8sObject[], inputs: PolicyInputs): string[] {
  const gateway = objs.find((o) => o.kind === 'Deployment');
  const env = gateway ? containerEnv(objs, podSpec(gateway).containers?.[0] ?? {}) : {};
  const polling = (env.TRANSPORTS ?? 'websocket,polling').split(',').includes('polling');
  return [
    ...publicSurfaceViolations(objs),
    ...gracePeriodViolations(objs),
    ...selectorViolations(objs),
    ...probeViolations(objs, inputs.app),
    ...hardeningViolations(objs),
    ...secretLeakViolations(objs, inputs.knownSecretValues),
    ...routingViolations(objs, polling),
    ...(objs.some((o) => o.kind === 'PrometheusRule') && inputs.alertGroups ? prometheusRuleViolations(objs, inputs.alertGroups) : []),
    ...(objs.some((o) => o.metadata.labels?.grafana_dashboard === '1') && inputs.dashboards ? dashboardViolations(objs, inputs.dashboards, inputs.runbookBaseUrl) : []),
  ];
}

function rebaseRunbookUrls(text: string, base: string): string {
  return base ? text.split(DEFAULT_RUNBOOK_BASE_URL).join(`${base.replace(/\/$/, '')}/`) : text;
}
