/** Label matchers shared by every query, so one dashboard variable change reaches all panels. */

/** Series the gateway itself exports, scraped by the chart's ServiceMonitor. */
export const GW = 'job="socket-gateway", cluster=~"$cluster", namespace="$namespace", pod=~"$pod"';

/** The same without the pod filter, for fleet-wide figures and the SLO recording rules. */
export const GW_NS = 'job="socket-gateway", cluster=~"$cluster", namespace="$namespace"';

/** cAdvisor and kube-state-metrics series of the chart's gateway container. */
export const CONTAINER = 'cluster=~"$cluster", namespace="$namespace", pod=~"$pod", container="gateway"';

/** kube-state-metrics series of the chart's HorizontalPodAutoscaler. */
export const HPA = 'cluster=~"$cluster", namespace="$namespace", horizontalpodautoscaler="socket-gateway"';

/** kube-state-metrics series of the chart's Deployment. */
export const DEPLOYMENT = 'cluster=~"$cluster", namespace="$namespace", deployment="socket-gateway"';

/** redis_exporter series of the gateway's Redis (job relabelled like the gateway's). */
export const REDIS = 'job="socket-gateway-redis", cluster=~"$cluster", namespace="$namespace"';

/** Budgets of the two SLOs (alerts/README.md). */
export const CONNECTION_ERROR_BUDGET = 0.001;
export const MESSAGE_ERROR_BUDGET = 0.0001;
