/**
 * Where the schema of each Kubernetes kind the chart renders comes from: the kubernetes-models
 * packages, generated from the Kubernetes OpenAPI document and the prometheus-operator and
 * Gateway API CRDs. A kind missing here is refused, so a new template cannot skip validation.
 */
export interface KindModel {
  /** ESM module exporting the model class (validator) and its `I<Kind>` interface (fields). */
  module: string;
  kind: string;
}

const GROUP_PACKAGES: Record<string, string> = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'gateway.networking.k8s.io': '@kubernetes-models/gateway-api',
};

export const SUPPORTED_KINDS = [
  'v1/ConfigMap',
  'v1/Service',
  'v1/ServiceAccount',
  'v1/Secret',
  'v1/Namespace',
  'v1/PersistentVolumeClaim',
  'apps/v1/Deployment',
  'apps/v1/StatefulSet',
  'policy/v1/PodDisruptionBudget',
  'autoscaling/v2/HorizontalPodAutoscaler',
  'networking.k8s.io/v1/Ingress',
  'networking.k8s.io/v1/NetworkPolicy',
  'monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PrometheusRule',
  'monitoring.coreos.com/v1alpha1/AlertmanagerConfig',
  'gateway.networking.k8s.io/v1/HTTPRoute',
] as const;

export function modelFor(apiVersion: string, kind: string): KindModel | null {
  if (!(SUPPORTED_KINDS as readonly string[]).includes(`${apiVersion}/${kind}`)) return null;
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  const pkg = GROUP_PACKAGES[group] ?? 'kubernetes-models';
  return { module: `${pkg}/${apiVersion}/${kind}`, kind };
}
