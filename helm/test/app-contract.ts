/**
 * What the gateway serves on each named container port, as the chart relies on it. Proven
 * against the running app by helm/app-endpoints.spec.ts, so the policies can use it without
 * booting the app for every rendering.
 */
import type { AppEndpoints } from './policies';

export const APP_ENDPOINTS: AppEndpoints = {
  http: ['/healthz', '/readyz'],
  api: ['/healthz', '/readyz'],
  metrics: ['/metrics'],
};
