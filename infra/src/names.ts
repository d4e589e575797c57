/** Object names shared by the Pulumi program, the chart values and the runbooks. */

/** Helm release name: with it the chart names every object `socket-gateway`. */
export const RELEASE_NAME = 'socket-gateway';
/** The Secret the chart reads JWT_SECRET, API_KEYS, REDIS_URL and WEBHOOK_SECRET from. */
export const GATEWAY_SECRET_NAME = 'socket-gateway-secrets';
/** Standalone Redis: StatefulSet, Service and Secret name. */
export const REDIS_NAME = 'socket-gateway-redis';
export const REDIS_PORT = 6379;
/** redis_exporter sidecar of the standalone Redis: pinned image and its metrics port. */
export const REDIS_EXPORTER_IMAGE = 'oliver006/redis_exporter:v1.67.0';
export const REDIS_EXPORTER_PORT = 9121;
/** Labels of the standalone Redis pods; the gateway's NetworkPolicy egress targets them. */
export const REDIS_POD_LABELS = { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': REDIS_NAME };
/** Labels of the gateway pods (the chart's selector labels for release socket-gateway). */
export const GATEWAY_POD_LABELS = { 'app.kubernetes.io/name': 'socket-gateway', 'app.kubernetes.io/instance': RELEASE_NAME };
