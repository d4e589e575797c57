/** Label matchers shared by every query, so one dashboard variable change reaches all panels. */

/** Series the gateway itself exports, scraped by the chart's ServiceMonitor. */
export const GW = 'job="socket-gateway", namespace="$namespace", pod=~"$pod"';

/** The same without the pod filter, for fleet-wide figures and the SLO recording rules. */
export const GW_NS = 'job="socket-gateway", namespace="$namespace"';

/** cAdvisor and kube-state-metrics series of the chart's gateway container. */
export const CONTAINER = 'namespace="$namespace", pod=~"$pod", container="gateway"';

/** kube-state-metrics series of the chart's HorizontalPodAutoscaler. */
export const HPA = 'namespace="$namespace", horizontalpodautoscaler="socket-gateway"';

/** kube-state-metrics series of the chart's Deployment. */
export const DEPLOYMENT = 'namespace="$namespace", deployment="socket-gateway"';

/** Budgets of the two SLOs (alerts/README.md). */
export const CONNECTION_ERROR_BUDGET = 0.001;
export const MESSAGE_ERROR_BUDGET = 0.0001;
